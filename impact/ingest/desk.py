"""The submissions desk: what happens to one message from ``impact.submissions``.

``SubmissionDesk.process`` decodes, validates, checks the signature against the
agency's registered key, checks the agency may do this, and decides the command in
the caller's unit of work, keeping with it a ``Submission.Accepted``; or it keeps a
``Rejection`` with a code and a message a person can act on. It returns the
verdict. The caller commits the unit of work together with the position it read.

Only a refusal (contract, signature, domain rule) becomes a rejection: an error the
desk did not expect propagates, so nothing is stored and the message is decided
again after restart.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from pydantic import ValidationError

from impact import clock
from impact.application.unit_of_work import UnitOfWork
from impact.canonical_json import canonical
from impact.contract.submissions import (
    MAX_SUBMISSION_BYTES,
    SUBMISSION_KINDS,
    SignedSubmission,
    describe_errors,
    refusal_code,
)
from impact.domain.base import Aggregate
from impact.domain.consortium import Consortium
from impact.domain.submission import Rejection, Submission
from impact.errors import (
    ContractError,
    DomainError,
    NotFoundError,
    SubmissionRefusedError,
)
from impact.signing import verify

DESK = "submissions-desk"


LOG_APPEND_TIME = 1
"""Kafka's timestamp type of a record stamped by the broker on arrival (0: the sender's)."""


@dataclass(frozen=True)
class Source:
    topic: str
    partition: int
    offset: int
    timestamp: datetime
    timestamp_type: int = LOG_APPEND_TIME
    """The record's: only a broker-stamped arrival time may judge a key's validity."""

    def __str__(self) -> str:
        return f"{self.topic}:{self.partition}:{self.offset}"


@dataclass(frozen=True)
class Verdict:
    """The desk's answer on one message: applied, or rejected with a code and a reason."""

    rejected: bool
    code: str = "accepted"
    message: str = ""


DOMAIN_CODES: dict[type[DomainError], str] = {NotFoundError: "unknown_program"}


class SubmissionDesk:
    def process(self, value: bytes | None, source: Source, uow: UnitOfWork) -> Verdict:
        """The verdict on one message. Anything but a refusal propagates: the caller
        stores nothing of its poll and the message is decided again after restart."""
        with clock.deciding(value):
            return self._process(value, source, uow)

    def _process(self, value: bytes | None, source: Source, uow: UnitOfWork) -> Verdict:
        claimed: str | None = None
        agency: str | None = None  # only once the agency's signature verified
        submission_id: str | None = None
        document: Any = None
        try:
            document = self._decode(value)
            head = document.get("submission") if isinstance(document, dict) else None
            if isinstance(head, dict):
                claimed = head.get("agency") if isinstance(head.get("agency"), str) else None
                sid = head.get("submission_id")
                submission_id = sid if isinstance(sid, str) else None
            self._check_arrival(source)
            signed = self._validate(document)
            signed_bytes = self._check_signature(signed, document["submission"], source, uow)
            agency = signed.submission.agency
            uow.keep(*self._decide(signed, signed_bytes, source, uow))
            return Verdict(rejected=False, message=f"applied {signed.submission.kind}")
        except SubmissionRefusedError as refusal:
            agency = agency or self._signer(document, source, uow)
            uow.keep(
                Rejection.of_message(
                    value or b"",
                    source_topic=source.topic,
                    source_partition=source.partition,
                    source_offset=source.offset,
                    code=refusal.code,
                    message=refusal.message,
                    submission_id=submission_id[:128] if submission_id else None,
                    agency=agency,
                    claimed_agency=None if agency else _printable(claimed, 16),
                    occurred_at=source.timestamp,
                    actor=DESK,
                )
            )
            return Verdict(rejected=True, code=refusal.code, message=refusal.message)

    # -- steps ------------------------------------------------------------------

    def _check_arrival(self, source: Source) -> None:
        if source.timestamp_type != LOG_APPEND_TIME:
            raise SubmissionRefusedError(
                "sender_timestamp",
                f"{source} carries a timestamp its sender chose (timestamp type "
                f"{source.timestamp_type}), not the broker's arrival time: the submissions "
                "topic must be message.timestamp.type=LogAppendTime, so it is not decided",
            )

    def _decode(self, value: bytes | None) -> Any:
        if not value:
            raise SubmissionRefusedError(
                "empty", "the message is empty; send one signed submission as JSON"
            )
        if len(value) > MAX_SUBMISSION_BYTES:
            raise SubmissionRefusedError(
                "oversized",
                f"the message has {len(value)} bytes; a submission may have at most "
                f"{MAX_SUBMISSION_BYTES}. Split it, or link large evidence by URI and SHA-256",
            )
        try:
            value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SubmissionRefusedError(
                "not_utf8", f"the message is not UTF-8 (byte {exc.start}); encode JSON as UTF-8"
            ) from None
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError as exc:
            raise SubmissionRefusedError(
                "malformed_json", f"the message is not valid JSON: {exc}"
            ) from None

    def _validate(self, document: Any) -> SignedSubmission:
        if not isinstance(document, dict) or "submission" not in document:
            raise SubmissionRefusedError(
                "invalid", 'the message must be an object with "submission" and "signature"'
            )
        if "signature" not in document or not document["signature"]:
            raise SubmissionRefusedError(
                "missing_signature", "the submission is not signed; sign it with the agency's key"
            )
        head = document["submission"]
        if isinstance(head, dict):
            if head.get("kind") not in SUBMISSION_KINDS:
                raise SubmissionRefusedError(
                    "unknown_kind",
                    f"kind {head.get('kind')!r} is not one of {', '.join(SUBMISSION_KINDS)}",
                )
            if head.get("schema_version") != 1:
                raise SubmissionRefusedError(
                    "unsupported_schema_version",
                    f"schema_version {head.get('schema_version')!r} is not supported; send 1",
                )
        try:
            return SignedSubmission.model_validate(document)
        except ValidationError as exc:
            raise SubmissionRefusedError(refusal_code(exc), describe_errors(exc)) from None

    def _check_signature(
        self, signed: SignedSubmission, raw: Any, source: Source, uow: UnitOfWork
    ) -> bytes:
        """The canonical bytes the agency signed, once the signature verifies."""
        submission, signature = signed.submission, signed.signature
        consortium = uow.look(
            Consortium, Consortium.create_id(), "the consortium (run `impact init`)"
        )
        member = consortium.members.get(submission.agency)
        if member is None:
            raise SubmissionRefusedError(
                "unknown_agency", f"{submission.agency} is not a member of the consortium"
            )
        if member.left_on is not None and source.timestamp.date() >= member.left_on:
            raise SubmissionRefusedError(
                "not_a_member",
                f"{submission.agency} left the consortium on {member.left_on}; it can no longer submit",
            )
        key = consortium.keys.get((submission.agency, signature.key_id))
        if key is None:
            owners = [a for (a, k) in consortium.keys if k == signature.key_id]
            if owners:
                raise SubmissionRefusedError(
                    "key_of_another_agency",
                    f"key {signature.key_id} belongs to {owners[0]}, not {submission.agency}",
                )
            raise SubmissionRefusedError(
                "unknown_key",
                f"{submission.agency} has no registered key {signature.key_id}; register it first",
            )
        if submission.submitted_at > source.timestamp + timedelta(days=1):
            raise SubmissionRefusedError(
                "submitted_in_future",
                f"submitted_at {submission.submitted_at:%Y-%m-%d} is in the future of the message's "
                f"arrival ({source.timestamp:%Y-%m-%d})",
            )
        if not key.valid_at(source.timestamp):
            raise SubmissionRefusedError(
                "key_not_valid",
                f"key {signature.key_id} of {submission.agency} was not valid at {source.timestamp:%Y-%m-%d %H:%M}Z",
            )
        try:
            data = canonical(raw)
        except ContractError as exc:
            raise SubmissionRefusedError("invalid", str(exc)) from None
        if not verify(key.public_key, signature.value, data):
            raise SubmissionRefusedError(
                "bad_signature",
                f"the signature does not verify with key {signature.key_id} of {submission.agency}",
            )
        return data

    def _signer(self, document: Any, source: Source, uow: UnitOfWork) -> str | None:
        """The agency whose registered key verifies the signature of a refused message,
        whatever refused it; None when none does (the name it claims is anyone's)."""
        if not isinstance(document, dict):
            return None
        head, signature = document.get("submission"), document.get("signature")
        if not isinstance(head, dict) or not isinstance(signature, dict):
            return None
        agency, key_id, value = head.get("agency"), signature.get("key_id"), signature.get("value")
        if not (isinstance(agency, str) and isinstance(key_id, str) and isinstance(value, str)):
            return None
        try:
            consortium = uow.look(Consortium, Consortium.create_id(), "the consortium")
            key = consortium.keys.get((agency, key_id))
            if key is None or not key.valid_at(source.timestamp):
                return None
            data = canonical(head)
        except (DomainError, ContractError):
            return None
        return agency if verify(key.public_key, value, data) else None

    def _decide(
        self, signed: SignedSubmission, signed_bytes: bytes, source: Source, uow: UnitOfWork
    ) -> tuple[Aggregate, ...]:
        """The command decided, with the record of the submission that asked for it."""
        submission = signed.submission
        digest = hashlib.sha256(signed_bytes).hexdigest()
        record_id = Submission.create_id(
            agency=submission.agency, submission_id=submission.submission_id
        )
        if uow.exists(record_id):
            earlier = uow.look(Submission, record_id, f"submission {submission.submission_id}")
            if earlier.digest == digest:
                raise SubmissionRefusedError(
                    "duplicate",
                    f"submission {submission.submission_id} was already applied on "
                    f"{earlier.accepted_at:%Y-%m-%d}; nothing changed",
                )
            raise SubmissionRefusedError(
                "submission_id_reused",
                f"submission id {submission.submission_id} was used before for different content; "
                f"give a new submission a new id",
            )
        uow.arrived_at = source.timestamp
        try:
            aggregates = uow.handlers[type(submission)](uow, submission)
        except DomainError as exc:
            code = DOMAIN_CODES.get(type(exc), exc.code)
            raise SubmissionRefusedError(code, str(exc)) from None
        except ValidationError as exc:  # a model the handler built from the submission
            raise SubmissionRefusedError(refusal_code(exc), describe_errors(exc)) from None
        finally:
            uow.arrived_at = None
        record = Submission(
            submission_id=submission.submission_id,
            agency=submission.agency,
            submission_kind=submission.kind,
            digest=digest,
            key_id=signed.signature.key_id,
            signature=signed.signature.value,
            source=str(source),
            occurred_at=submission.submitted_at,
            actor=submission.agency,
            signed_content=signed_bytes.decode("utf-8"),
        )
        return (*aggregates, record)


def _printable(text: str | None, limit: int) -> str | None:
    """At most ``limit`` characters of a name the message claims, control characters dropped."""
    if not text:
        return None
    return "".join(c for c in text[:limit] if c.isprintable()) or None
