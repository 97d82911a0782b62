"""The timeline of a proposal or a programme, from the log alone.

From the citizen's proposal (and any merged into it) through its expert review and
adoption, to the programme(s) it became, their outcomes and corrections, every
quarterly review that scored them, the council's decisions and the joint project.
Entries are in log order (notification id), with both clocks. The proposer's name
is shown only while their key exists: once erased it reads ``[erased]``.
"""

import re
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson

from impact.domain.base import natural_id
from impact.domain.program import PROGRAM_CODE
from impact.domain.proposal import SealedPersonalData
from impact.errors import NotFoundError
from impact.privacy import ERASED, SEALED, PersonalDataSealer
from impact.projections.scoring import utc
from impact.projections.store import ProjectionStore


@dataclass(frozen=True)
class Entry:
    notification_id: int
    recorded_at: datetime
    occurred_at: datetime
    subject: str
    type: str
    actor: str
    summary: str

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["recorded_at"] = self.recorded_at.isoformat()
        data["occurred_at"] = self.occurred_at.isoformat()
        return data


@dataclass(frozen=True)
class Timeline:
    subject: str
    proposals: tuple[str, ...]
    programmes: tuple[str, ...]
    entries: tuple[Entry, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "proposals": list(self.proposals),
            "programmes": list(self.programmes),
            "entries": [e.as_json() for e in self.entries],
        }


def _resolve(store: ProjectionStore, ident: str) -> tuple[str, str]:
    """(kind, code) of a proposal or programme code, or an aggregate id."""
    try:
        aggregate_id = UUID(ident)
    except ValueError:
        kind = "program" if re.match(PROGRAM_CODE, ident) else "proposal"
        return kind, ident
    rows = store.rows(
        "SELECT aggregate_type, JSONExtractString(payload, 'code') FROM {db}.events"
        " WHERE aggregate_id = {a:UUID} AND aggregate_version = 1",
        a=aggregate_id,
    )
    if not rows or rows[0][0] not in ("program", "proposal"):
        raise NotFoundError(f"{ident} is not a proposal or programme on the log")
    return rows[0][0], rows[0][1]


def _events(store: ProjectionStore, where: str, **params: Any) -> list[dict[str, Any]]:
    return store.dicts(
        "SELECT notification_id, type, aggregate_id, aggregate_version, occurred_at, recorded_at,"
        f" actor, payload FROM {{db}}.events WHERE {where} ORDER BY notification_id",
        **params,
    )


def timeline(store: ProjectionStore, ident: str, sealer: PersonalDataSealer) -> Timeline:
    kind, code = _resolve(store, ident)
    if kind == "program":
        found = store.rows(
            "SELECT origin_proposals FROM {db}.programs WHERE code = {c:String}", c=code
        )
        if not found:
            raise NotFoundError(f"programme {code} is not on the log")
        proposals = set(found[0][0])
        programmes = {code}
    else:
        proposals = {code}
        programmes = {
            c
            for (c,) in store.rows(
                "SELECT code FROM {db}.programs WHERE has(origin_proposals, {c:String})", c=code
            )
        }
    merged = store.rows(
        "SELECT JSONExtractString(e.payload, 'code') FROM {db}.events AS e"
        " WHERE e.type = 'Proposal.Submitted' AND e.aggregate_id IN ("
        "  SELECT aggregate_id FROM {db}.events WHERE type = 'Proposal.Merged'"
        "  AND has({p:Array(String)}, JSONExtractString(payload, 'into_code')))",
        p=sorted(proposals),
    )
    proposals |= {c for (c,) in merged}
    ids = [natural_id("proposal", c) for c in proposals]
    ids += [natural_id("program", c) for c in programmes]
    rows = _events(store, "has({ids:Array(UUID)}, aggregate_id)", ids=ids)
    if not rows:
        raise NotFoundError(f"{kind} {code} is not on the log")
    subjects = {str(natural_id("proposal", c)): c for c in proposals}
    subjects |= {str(natural_id("program", c)): c for c in programmes}
    entries = [_entry(r, subjects[str(r["aggregate_id"])], sealer) for r in rows]
    entries += _review_entries(store, programmes)
    entries.sort(key=lambda e: e.notification_id)
    return Timeline(ident, tuple(sorted(proposals)), tuple(sorted(programmes)), tuple(entries))


def _review_entries(store: ProjectionStore, programmes: set[str]) -> list[Entry]:
    if not programmes:
        return []
    quarters = dict(store.rows("SELECT review_id, quarter FROM {db}.review_opened"))
    entries = []
    reviews = "type IN ('PromotionReview.CandidatesScored', 'PromotionReview.Decided')"
    for r in _events(store, reviews):
        payload = orjson.loads(r["payload"])
        quarter = quarters.get(r["aggregate_id"], "?")
        if r["type"] == "PromotionReview.Decided":
            if payload["program_code"] in programmes:
                entries.append(
                    _make(
                        r,
                        payload["program_code"],
                        f"council decided {payload['decision']} in the review of {quarter}: "
                        f"{payload['reason']} (meeting {payload['meeting_ref']})",
                    )
                )
            continue
        for c in payload["candidates"]:
            if c["program_code"] in programmes:
                standing = "eligible" if c["eligible"] else f"not eligible: {c['failed_gate']}"
                parts = ", ".join(f"{k} {v}" for k, v in sorted(c["components"].items()))
                entries.append(
                    _make(
                        r,
                        c["program_code"],
                        f"scored in the review of {quarter} (policy v{payload['policy_version']}): "
                        f"rank {c['rank']} of {len(payload['candidates'])}, score {c['score']}, "
                        f"{standing} ({parts}); inputs digest {payload['inputs_digest'][:12]}…",
                    )
                )
    return entries


def _make(row: dict[str, Any], subject: str, summary: str) -> Entry:
    return Entry(
        int(row["notification_id"]),
        utc(row["recorded_at"]),
        utc(row["occurred_at"]),
        subject,
        row["type"],
        row["actor"],
        summary,
    )


def proposer_name(proposer: dict[str, Any] | None, sealer: PersonalDataSealer) -> str | None:
    if not proposer:
        return None
    state, data = sealer.reveal(SealedPersonalData.model_validate(proposer))
    if data is not None:
        return data.name
    return ERASED if state == "erased" else SEALED


def _entry(row: dict[str, Any], subject: str, sealer: PersonalDataSealer) -> Entry:
    p = orjson.loads(row["payload"])
    kind = row["type"].split(".", 1)[1]
    evidence = p.get("evidence")
    signed = f"; agency submission {p['submission_id']}" if p.get("submission_id") else ""
    proof = f"; evidence {evidence['uri']} (sha256 {evidence['sha256'][:12]}…)" if evidence else ""
    texts = {
        "Submitted": lambda: (
            f"citizen proposal {p['code']} “{p['title']}” submitted via {p['channel']}"
            + (f" by {proposer_name(p.get('proposer'), sealer)}" if p.get("proposer") else "")
        ),
        "ReviewStarted": lambda: f"expert review started (panel: {', '.join(p['panel'])})",
        "Reviewed": lambda: (
            "expert review recorded: "
            + ", ".join(f"{k} {v}" for k, v in sorted(p["scores"].items()))
        ),
        "Adopted": lambda: f"adopted into task {p['task_code']} of the plan",
        "Rejected": lambda: f"rejected: {p['reason']}",
        "Merged": lambda: f"merged into proposal {p['into_code']}",
        "Registered": lambda: (
            f"programme {p['code']} registered by {p['agency']} under {p['task_code']}: "
            f"{p['title_ko']} / {p['title_en']}, budget {p['budget_krw']:,} KRW"
            + (
                f", from proposal(s) {', '.join(p['origin_proposals'])}"
                if p["origin_proposals"]
                else ""
            )
        ),
        "OutcomeReported": lambda: (
            f"outcome {p['metric']} {p['quarter']} = {p['value']} {p['unit']} "
            f"(report {p['report_id']}){proof}{signed}"
        ),
        "OutcomeCorrected": lambda: (
            f"report {p['corrects']} corrected: {p['metric']} {p['quarter']} = {p['value']} "
            f"{p['unit']} (report {p['report_id']}), because {p['reason']}{proof}{signed}"
        ),
        "PartnerJoined": lambda: f"partner joined: {p['partner']['name']} ({p['partner']['kind']})",
        "Suspended": lambda: f"suspended: {p['reason']}",
        "Resumed": lambda: "resumed",
        "Completed": lambda: f"completed on {p['completed_on']}",
        "Promoted": lambda: (
            f"became a joint project of {', '.join(p['participants'])} (review of {p['quarter']})"
        ),
    }
    summary = texts[kind]() if kind in texts else row["type"]
    return _make(row, subject, summary)
