"""Receipts: what the submissions desk did with each submission an agency sent.

The desk records a verdict on every message it reads as an event of the ledger: a
``Submission.Accepted`` (applied) or a ``Rejection.Recorded`` (refused, with a code and a
message a person can act on). Receipts are read from those events alone, so they say what
the ledger holds, not what a process remembers.

A rejection is filed under an agency only when that agency's signature verified; one that
merely names the agency is shown too, marked unverified, since it may well be the agency's
own message with a broken signature.
"""

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from impact.domain.submission import Rejection, Submission
from impact.ingest.client import Sent
from impact.ledger import Ledger

ACCEPTED = "impact.domain.submission:Submission.Accepted"
REJECTED = "impact.domain.submission:Rejection.Recorded"


@dataclass(frozen=True)
class Receipt:
    submission_id: str
    verdict: str
    """``applied`` or ``refused``."""
    code: str
    message: str
    kind: str
    source: str
    """topic:partition:offset of the message the verdict is on."""
    at: datetime
    verified: bool = True
    """False for a refusal of a message that names the agency without its valid signature."""

    @property
    def refused(self) -> bool:
        return self.verdict == "refused"

    def as_json(self) -> dict[str, Any]:
        return {
            "submission_id": self.submission_id,
            "verdict": self.verdict,
            "code": self.code,
            "message": self.message,
            "kind": self.kind,
            "source": self.source,
            "at": self.at.isoformat(),
            "verified": self.verified,
        }


def _receipt(event: Any, agency: str | None) -> Receipt | None:
    if isinstance(event, Submission.Accepted):
        if agency is not None and event.agency != agency:
            return None
        return Receipt(
            event.submission_id,
            "applied",
            "applied",
            f"applied {event.submission_kind}",
            event.submission_kind,
            event.source,
            event.occurred_at,
        )
    if isinstance(event, Rejection.Recorded):
        verified = event.agency is not None
        if agency is not None and agency not in (event.agency, event.claimed_agency):
            return None
        return Receipt(
            event.submission_id or "?",
            "refused",
            event.code,
            event.message,
            "",
            f"{event.source_topic}:{event.source_partition}:{event.source_offset}",
            event.occurred_at,
            verified,
        )
    return None


def receipts(
    ledger: Ledger, agency: str | None = None, since: datetime | None = None, batch: int = 500
) -> list[Receipt]:
    """Every verdict on ``agency``'s submissions (all agencies' if None), oldest first."""
    found = []
    start = 1
    while True:
        page = ledger.notifications(start, batch, topics=(ACCEPTED, REJECTED))
        if not page:
            break
        for notification in page:
            receipt = _receipt(ledger.mapper.to_domain_event(notification), agency)
            if receipt is not None and (since is None or receipt.at >= since):
                found.append(receipt)
        start = page[-1].id + 1
    return found


def verdict_of(ledger: Ledger, agency: str, sent: Sent, topic: str) -> Receipt | None:
    """The verdict on one message sent to ``topic``, or None while the desk has not read it."""
    rejection_id = Rejection.create_id(
        source_topic=topic, source_partition=sent.partition, source_offset=sent.offset
    )
    for event in ledger.events.get(rejection_id, lte=1):
        return _receipt(event, None)
    record_id = Submission.create_id(agency=agency, submission_id=sent.submission_id)
    for event in ledger.events.get(record_id, lte=1):
        if getattr(event, "source", None) == f"{topic}:{sent.partition}:{sent.offset}":
            return _receipt(event, None)
    return None


def wait_for_verdicts(
    ledger: Ledger,
    agency: str,
    sent: Iterable[Sent],
    topic: str,
    timeout: float,
    poll: float = 0.5,
    on_verdict: Callable[[Sent, Receipt], None] | None = None,
) -> tuple[list[tuple[Sent, Receipt]], list[Sent]]:
    """Wait up to ``timeout`` seconds for the desk's verdict on each message: the verdicts
    found, in the order sent, and the messages still without one."""
    pending = list(sent)
    found: dict[int, tuple[Sent, Receipt]] = {}
    deadline = time.monotonic() + timeout
    order = {id(s): i for i, s in enumerate(pending)}
    while pending:
        still = []
        for item in pending:
            receipt = verdict_of(ledger, agency, item, topic)
            if receipt is None:
                still.append(item)
                continue
            found[order[id(item)]] = (item, receipt)
            if on_verdict is not None:
                on_verdict(item, receipt)
        pending = still
        if not pending or time.monotonic() >= deadline:
            break
        time.sleep(poll)
    return [found[i] for i in sorted(found)], pending
