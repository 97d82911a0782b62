"""Agency signatures behind the events that agencies' submissions caused.

Every ``Submission.Accepted`` (v2) keeps the canonical bytes the agency signed. The
check reads the log in order, keeping the keys the consortium had registered so far,
and for each accepted submission verifies: its digest, its signature with the
agency's key as registered (and not revoked) then, that it names the same agency,
id and kind, and that the events it caused say what was signed (an outcome's
programme, report, metric, quarter, value and evidence; a registration's fields; a
partner or status change). Every outcome event that names a submission must be
backed by one. Outcomes staff entered directly (no submission id) are counted, not
failed: nobody signed them.
"""

import hashlib
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson

from impact.audit.findings import CheckResult, short
from impact.contract.submissions import submission_adapter
from impact.domain.consortium import AgencyKey, Consortium
from impact.domain.evidence import EvidenceDocument
from impact.domain.program import Program
from impact.domain.submission import Submission
from impact.signing import verify

OUTCOME_TYPES = (Program.OutcomeReported, Program.OutcomeCorrected)


def _at(moment: datetime) -> str:
    return moment.isoformat()


class SignatureCheck:
    def __init__(self) -> None:
        self.result = CheckResult(
            "agency-signatures",
            "agency signatures on accepted submissions verify, and the events they caused match "
            "what was signed",
        )
        self.keys: dict[tuple[str, str], AgencyKey] = {}
        self.outcomes: dict[tuple[str, str], tuple[int, Any]] = {}
        self.registrations: dict[UUID, tuple[int, Any]] = {}
        self.backed: set[tuple[str, str]] = set()
        self.staff_outcomes = 0
        self.legacy = 0
        self.previous: tuple[int, Any] | None = None

    def observe(self, nid: int, event: Any) -> None:
        """Take the next event of the log (in notification-id order)."""
        if isinstance(event, Consortium.KeyRegistered):
            self.keys[(event.key.agency, event.key.key_id)] = event.key
        elif isinstance(event, Consortium.KeyRevoked) and (event.agency, event.key_id) in self.keys:
            old = self.keys[(event.agency, event.key_id)]
            revoked = old.model_copy(update={"revoked_at": event.revoked_at})
            self.keys[(event.agency, event.key_id)] = revoked
        elif isinstance(event, OUTCOME_TYPES):
            if event.submission_id:
                self.outcomes[(event.actor, event.submission_id)] = (nid, event)
            else:
                self.staff_outcomes += 1
        elif isinstance(event, Program.Registered):
            self.registrations[event.originator_id] = (nid, event)
        elif isinstance(event, Submission.Accepted):
            self._accepted(nid, event)
        self.previous = (nid, event)

    def _accepted(self, nid: int, event: Any) -> None:
        where = (
            f"event store notification {nid} (submission {event.submission_id} of {event.agency})"
        )
        self.result.checked += 1
        if event.signed_content is None:
            self.legacy += 1
            return
        signed = event.signed_content.encode("utf-8")
        if hashlib.sha256(signed).hexdigest() != event.digest:
            self.result.fail(where, "the stored signed content does not match its digest")
        key = self.keys.get((event.agency, event.key_id))
        if key is None:
            self.result.fail(
                where,
                f"key {event.key_id} of {event.agency} was not registered "
                "before the submission was accepted",
            )
        elif key.revoked_at is not None and key.revoked_at <= event.timestamp:
            self.result.fail(
                where,
                f"key {event.key_id} of {event.agency} was revoked at "
                f"{_at(key.revoked_at)}, before the submission was accepted",
            )
        elif not verify(key.public_key, event.signature, signed):
            self.result.fail(
                where, f"the signature does not verify with key {event.key_id} of {event.agency}"
            )
        try:
            document = orjson.loads(signed)
            submission = submission_adapter.validate_python(document)
        except ValueError as exc:
            self.result.fail(
                where, f"the signed content is not a valid submission: {short(str(exc), 200)}"
            )
            return
        for name, recorded in (
            ("agency", event.agency),
            ("submission_id", event.submission_id),
            ("kind", event.submission_kind),
        ):
            if getattr(submission, name) != recorded:
                self.result.fail(
                    where,
                    f"{name} is {recorded!r} in the event but "
                    f"{getattr(submission, name)!r} in what was signed",
                )
        self.backed.add((submission.agency, submission.submission_id))
        self._caused(nid, where, submission)

    def _caused(self, nid: int, where: str, s: Any) -> None:
        if s.kind == "evidence.register":
            self._registered_document(nid, where, s)
            return
        program_id = Program.create_id(code=s.program_code)
        if s.kind in ("outcome.report", "outcome.correct"):
            found = self.outcomes.get((s.agency, s.submission_id))
            if found is None:
                self.result.fail(where, f"no outcome event names submission {s.submission_id}")
                return
            onid, outcome = found
            expected: dict[str, Any] = {
                "programme": program_id,
                "report_id": s.report_id,
                "value": s.value,
                "evidence": s.evidence,
                "occurred_at": s.submitted_at,
            }
            actual: dict[str, Any] = {
                "programme": outcome.originator_id,
                "report_id": outcome.report_id,
                "value": outcome.value,
                "evidence": outcome.evidence,
                "occurred_at": outcome.occurred_at,
            }
            if s.kind == "outcome.report":
                expected |= {"type": "OutcomeReported", "metric": s.metric, "quarter": s.quarter}
                actual |= {
                    "type": type(outcome).__name__,
                    "metric": outcome.metric,
                    "quarter": outcome.quarter,
                }
            else:
                expected |= {"type": "OutcomeCorrected", "corrects": s.corrects, "reason": s.reason}
                actual |= {
                    "type": type(outcome).__name__,
                    "corrects": getattr(outcome, "corrects", None),
                    "reason": getattr(outcome, "reason", None),
                }
            self._compare(
                f"outcome event notification {onid} ({s.program_code} report {outcome.report_id})",
                expected,
                actual,
                s,
                nid,
            )
        elif s.kind == "program.register":
            found = self.registrations.get(program_id)
            if found is None:
                self.result.fail(where, f"no registration of {s.program_code} was stored with it")
                return
            rnid, registered = found
            fields = (
                "agency",
                "task_code",
                "title_ko",
                "title_en",
                "budget_krw",
                "starts_on",
                "ends_on",
                "targets",
                "origin_proposals",
            )
            self._compare(
                f"registration notification {rnid} ({s.program_code})",
                {f: getattr(s, f) for f in fields}
                | {
                    "code": s.program_code,
                    "occurred_at": s.submitted_at,
                    "measures": tuple(sorted(set(s.measures))),
                },
                {f: getattr(registered, f) for f in fields}
                | {
                    "code": registered.code,
                    "occurred_at": registered.occurred_at,
                    "measures": registered.measures,
                },
                s,
                nid,
            )
        else:
            # A partner, an answer, a declaration or a status change is stored in the same
            # transaction, just before.
            if self.previous is None or self.previous[1].originator_id != program_id:
                self.result.fail(where, f"the event it caused on {s.program_code} is not beside it")
                return
            pnid, caused = self.previous
            if s.kind == "program.partner":
                expected = {"type": "PartnerJoined", "partner": s.partner}
                actual = {
                    "type": type(caused).__name__,
                    "partner": getattr(caused, "partner", None),
                }
            elif s.kind == "program.partner.answer":
                expected = {
                    "type": "PartnerAccepted" if s.accept else "PartnerDeclined",
                    "partner_code": s.agency,
                }
                actual = {
                    "type": type(caused).__name__,
                    "partner_code": getattr(caused, "partner_code", None),
                }
            elif s.kind == "program.measures":
                expected = {"type": "MetricsDeclared", "reason": s.reason}
                actual = {"type": type(caused).__name__, "reason": getattr(caused, "reason", None)}
                declared = set(getattr(caused, "metrics", ()))
                if not declared or not declared <= set(s.metrics):
                    expected["metrics"] = tuple(sorted(set(s.metrics)))
                    actual["metrics"] = tuple(sorted(declared))
            else:
                names = {"suspended": "Suspended", "resumed": "Resumed", "completed": "Completed"}
                expected = {"type": names[s.status]}
                actual = {"type": type(caused).__name__}
                if s.status == "suspended":
                    expected["reason"] = s.reason or "not given"
                    actual["reason"] = getattr(caused, "reason", None)
            self._compare(f"event notification {pnid} ({s.program_code})", expected, actual, s, nid)

    def _registered_document(self, nid: int, where: str, s: Any) -> None:
        """A document registration is stored in the same transaction, just before."""
        if self.previous is None or not isinstance(self.previous[1], EvidenceDocument.Registered):
            self.result.fail(where, "the document registration it caused is not beside it")
            return
        pnid, caused = self.previous
        fields = ("sha256", "size", "media_type", "title")
        self._compare(
            f"event notification {pnid} (document {s.sha256[:12]}…)",
            {f: getattr(s, f) for f in fields} | {"owner": s.agency},
            {f: getattr(caused, f) for f in fields} | {"owner": caused.owner},
            s,
            nid,
        )

    def _compare(
        self, where: str, expected: dict[str, Any], actual: dict[str, Any], s: Any, nid: int
    ) -> None:
        for name, value in expected.items():
            if actual.get(name) != value:
                self.result.fail(
                    where,
                    f"{name} is {short(actual.get(name))} but {s.agency} signed {short(value)} "
                    f"(submission {s.submission_id}, notification {nid})",
                )

    def finish(self) -> CheckResult:
        by_position = sorted(self.outcomes.items(), key=lambda item: item[1][0])
        for (agency, submission_id), (nid, outcome) in by_position:
            if (agency, submission_id) not in self.backed and self.legacy == 0:
                self.result.fail(
                    f"outcome event notification {nid} (report {outcome.report_id})",
                    f"names submission {submission_id} of {agency}, but no signed submission "
                    "backs it",
                )
        self.result.notes.append(
            f"{self.result.checked} accepted submissions, "
            f"{len(self.outcomes)} agency-submitted outcomes, "
            f"{self.staff_outcomes} entered by staff (not agency-signed)"
        )
        if self.legacy:
            self.result.notes.append(
                f"{self.legacy} submissions were accepted before their signed content was kept "
                "(Submission.Accepted v1): their signatures cannot be checked again"
            )
        return self.result
