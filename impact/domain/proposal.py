"""Citizen proposals, from submission through expert review to one decision.

A proposer's personal data never sits in the clear in an event: the application
seals it with a key of that proposer's own (``SealedPersonalData``), so destroying
the key erases it without rewriting the log.
"""

from datetime import datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from eventsourcing.domain import event
from pydantic import Field

from impact.domain.base import Aggregate, Model, natural_id
from impact.domain.values import Line, Text
from impact.errors import ProposalAlreadyDecidedError, ProposalNotReviewedError, ReviewStateError

Channel = Literal["website", "forum", "email", "visit", "agency"]
ProposalStatus = Literal["submitted", "under_review", "reviewed", "adopted", "rejected", "merged"]


class SealedPersonalData(Model):
    """Personal data encrypted under the subject's own key (AES-GCM, base64)."""

    subject_id: str = Field(min_length=1, max_length=128)
    key_id: str
    ciphertext: str


class ReviewComment(Model):
    reviewer: Line = Field(min_length=1, max_length=128)
    comment: Text = Field(max_length=4000)


class Proposal(Aggregate):
    kind = "proposal"

    class Submitted(Aggregate.Created):
        code: str
        channel: Channel
        title: str
        text: str
        category: str
        proposer: SealedPersonalData | None

    class ReviewStarted(Aggregate.Event):
        panel: tuple[str, ...]

    class Reviewed(Aggregate.Event):
        scores: dict[str, Decimal]
        comments: tuple[ReviewComment, ...]

    class Adopted(Aggregate.Event):
        task_code: str

    class Rejected(Aggregate.Event):
        reason: str

    class Merged(Aggregate.Event):
        into_code: str

    @staticmethod
    def create_id(code: str, **_: object) -> UUID:
        return natural_id("proposal", code)

    @event(Submitted)
    def __init__(
        self,
        code: str,
        channel: Channel,
        title: str,
        text: str,
        category: str,
        proposer: SealedPersonalData | None,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        self.code = code
        self.title = title
        self.text = text
        self.category = category
        self.channel = channel
        self.status: ProposalStatus = "submitted"
        self.submitted_at = occurred_at
        self.proposer = proposer
        self.task_code: str | None = None
        self.scores: dict[str, Decimal] = {}
        self.panel: tuple[str, ...] = ()
        self.decision_reason: str | None = None
        self.merged_into: str | None = None

    # -- commands ---------------------------------------------------------------

    def start_review(self, panel: tuple[str, ...], occurred_at: datetime, actor: str) -> None:
        self._check_open()
        if self.status != "submitted":
            raise ReviewStateError(f"proposal {self.code} is already {self.status}")
        if not panel:
            raise ReviewStateError(f"proposal {self.code}: name at least one expert on the panel")
        self._review_started(panel=panel, occurred_at=occurred_at, actor=actor)

    def record_review(
        self,
        scores: dict[str, Decimal],
        comments: tuple[ReviewComment, ...],
        occurred_at: datetime,
        actor: str,
    ) -> None:
        self._check_open()
        if self.status != "under_review":
            raise ReviewStateError(
                f"proposal {self.code} is {self.status}; start its review before recording one"
            )
        for name, value in scores.items():
            if not value.is_finite() or not Decimal(0) <= value <= Decimal(100):
                raise ReviewStateError(f"score {name}={value} must be between 0 and 100")
        self._reviewed(scores=scores, comments=comments, occurred_at=occurred_at, actor=actor)

    def adopt(self, task_code: str, occurred_at: datetime, actor: str) -> None:
        self._check_decidable()
        self._adopted(task_code=task_code, occurred_at=occurred_at, actor=actor)

    def reject(self, reason: str, occurred_at: datetime, actor: str) -> None:
        self._check_decidable()
        if not reason.strip():
            raise ReviewStateError(f"say why proposal {self.code} is rejected")
        self._rejected(reason=reason, occurred_at=occurred_at, actor=actor)

    def merge_into(self, into_code: str, occurred_at: datetime, actor: str) -> None:
        self._check_decidable()
        if into_code == self.code:
            raise ReviewStateError(f"proposal {self.code} cannot be merged into itself")
        self._merged(into_code=into_code, occurred_at=occurred_at, actor=actor)

    def _check_open(self) -> None:
        if self.status in ("adopted", "rejected", "merged"):
            raise ProposalAlreadyDecidedError(
                f"proposal {self.code} was already {self.status}; a decision is final"
            )

    def _check_decidable(self) -> None:
        self._check_open()
        if self.status != "reviewed":
            raise ProposalNotReviewedError(
                f"proposal {self.code} is {self.status}; the expert review must be recorded first"
            )

    # -- mutators ---------------------------------------------------------------

    @event(ReviewStarted)
    def _review_started(self, panel: tuple[str, ...], occurred_at: datetime, actor: str) -> None:
        self.status = "under_review"
        self.panel = tuple(panel)

    @event(Reviewed)
    def _reviewed(
        self,
        scores: dict[str, Decimal],
        comments: tuple[ReviewComment, ...],
        occurred_at: datetime,
        actor: str,
    ) -> None:
        self.status = "reviewed"
        self.scores = dict(scores)

    @event(Adopted)
    def _adopted(self, task_code: str, occurred_at: datetime, actor: str) -> None:
        self.status = "adopted"
        self.task_code = task_code

    @event(Rejected)
    def _rejected(self, reason: str, occurred_at: datetime, actor: str) -> None:
        self.status = "rejected"
        self.decision_reason = reason

    @event(Merged)
    def _merged(self, into_code: str, occurred_at: datetime, actor: str) -> None:
        self.status = "merged"
        self.merged_into = into_code
