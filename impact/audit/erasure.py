"""Erasing a citizen's personal data: destroy their key, rewrite nothing.

The sealed bytes stay in the event store, on ``impact.events`` and in ClickHouse
exactly as they were, so the hash chain, the checkpoints and ``audit verify`` are
unaffected; what changes is that nobody can open them any more, and every reader
(history, reports) shows ``[erased]``.
"""

from dataclasses import dataclass, field
from typing import Any

from eventsourcing.utils import get_topic

from impact.domain.proposal import Proposal
from impact.errors import NotFoundError
from impact.ledger import Ledger
from impact.privacy import PersonalDataSealer


@dataclass
class SubjectRecords:
    subject_id: str
    key: str  # held | erased | unknown
    erased_at: str | None = None
    proposals: list[tuple[int, str]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "subject_id": self.subject_id,
            "key": self.key,
            "erased_at": self.erased_at,
            "sealed_in": [{"notification_id": n, "proposal": c} for n, c in self.proposals],
        }


def subject_records(ledger: Ledger, sealer: PersonalDataSealer, subject_id: str) -> SubjectRecords:
    """Where the subject's sealed data sits in the log, and whether their key exists."""
    vault = sealer.vault
    found = SubjectRecords(
        subject_id, vault.state(subject_id), getattr(vault, "erased_at", lambda _: None)(subject_id)
    )
    start, topics = 1, (get_topic(Proposal.Submitted),)
    while page := ledger.notifications(start, 1000, topics):
        for notification in page:
            event = ledger.mapper.to_domain_event(notification)
            assert isinstance(event, Proposal.Submitted)
            if event.proposer is not None and event.proposer.subject_id == subject_id:
                found.proposals.append((notification.id, event.code))
        start = page[-1].id + 1
    return found


def erase(ledger: Ledger, sealer: PersonalDataSealer, subject_id: str) -> SubjectRecords:
    """Destroy the subject's key; afterwards their sealed data reads as erased everywhere."""
    before = subject_records(ledger, sealer, subject_id)
    if before.key == "unknown":
        raise NotFoundError(
            f"no key of subject {subject_id} is held here; nothing to erase "
            "(give the subject id the proposal was sealed under, e.g. citizen-0001; "
            "`impact privacy status C-2018-0001` shows a proposal's)"
        )
    if before.key == "held":
        sealer.vault.erase(subject_id)
    return subject_records(ledger, sealer, subject_id)
