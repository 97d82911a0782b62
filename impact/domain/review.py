"""The quarterly promotion review: opened with a policy, candidates scored, decided, closed."""

from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, Literal
from uuid import UUID

from eventsourcing.domain import event
from pydantic import Field, model_serializer

from impact.domain.base import Aggregate, Model, natural_id
from impact.domain.quarter import QuarterText
from impact.errors import CandidateNotScoredError, ReviewStateError

Decision = Literal["promote", "defer", "decline"]


FlagKind = Literal["late", "target", "previous", "task_median"]
Treatment = Literal["as_is", "cap", "exclude_until_attested"]


class Flag(Model):
    """Something the council should see before deciding: a late report, or a value far from
    its reference (the programme's target, its previous quarter, its task's median)."""

    metric: str
    kind: FlagKind
    value: Decimal
    reference: Decimal | None = None
    threshold: Decimal | None = None
    treatment: Treatment = "as_is"
    reason: str


class ScoredCandidate(Model):
    program_code: str
    rank: int = Field(ge=1)
    score: Decimal
    components: dict[str, Decimal]
    eligible: bool = True
    failed_gate: str | None = Field(default=None, description="The gate that kept it out, if any.")
    flags: tuple[Flag, ...] = Field(
        default=(), description="What the policy flagged, and how each flagged value counted."
    )

    @model_serializer(mode="wrap")
    def _flags_only_when_any(self, handler):
        """No ``flags`` key without flags: scores recorded before flags keep their bytes.
        (Unannotated, so the serialization schema stays the fields'.)"""
        data = handler(self)
        if not data.get("flags"):
            data.pop("flags", None)
        return data


class PromotionReview(Aggregate):
    kind = "promotion_review"

    class Opened(Aggregate.Created):
        quarter: QuarterText
        policy_version: int

    class CandidatesScored(Aggregate.Event):
        """The scores of a review, from inputs with ``inputs_digest``, read from the log's
        chain as far as ``chain_position`` (the highest notification id the projections had
        admitted, 0 for none) whose hash there was ``chain_hash``."""

        class_version: ClassVar[int] = 2
        candidates: tuple[ScoredCandidate, ...]
        inputs_digest: str = Field(pattern=r"^[0-9a-f]{64}$")
        policy_version: int
        chain_position: int | None = Field(default=None, ge=0)
        chain_hash: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$|^$")

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """v1 scores did not say which part of the chain they read."""
            state["chain_position"] = None
            state["chain_hash"] = None

    class Decided(Aggregate.Event):
        program_code: str
        decision: Decision
        reason: str
        meeting_ref: str

    class Closed(Aggregate.Event):
        pass

    @staticmethod
    def create_id(quarter: str, **_: object) -> UUID:
        return natural_id("promotion_review", quarter)

    @event(Opened)
    def __init__(
        self, quarter: str, policy_version: int, occurred_at: datetime, actor: str
    ) -> None:
        self.quarter = quarter
        self.policy_version = policy_version
        self.candidates: dict[str, ScoredCandidate] = {}
        self.inputs_digest: str | None = None
        self.decisions: dict[str, Decision] = {}
        self.closed = False

    def record_scores(
        self,
        candidates: tuple[ScoredCandidate, ...],
        inputs_digest: str,
        occurred_at: datetime,
        actor: str,
        chain_position: int | None = None,
        chain_hash: str | None = None,
    ) -> None:
        self._check_open()
        if self.decisions:
            raise ReviewStateError(
                f"review {self.quarter} already has decisions; scores can no longer change"
            )
        self._scored(
            candidates=candidates,
            inputs_digest=inputs_digest,
            policy_version=self.policy_version,
            chain_position=chain_position,
            chain_hash=chain_hash,
            occurred_at=occurred_at,
            actor=actor,
        )

    def decide(
        self,
        program_code: str,
        decision: Decision,
        reason: str,
        meeting_ref: str,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        self._check_open()
        if program_code not in self.candidates:
            raise CandidateNotScoredError(
                f"{program_code} was not scored in review {self.quarter}; run the review first"
            )
        if program_code in self.decisions:
            raise ReviewStateError(
                f"{program_code} was already decided ({self.decisions[program_code]}) in {self.quarter}"
            )
        if not reason.strip():
            raise ReviewStateError("a council decision needs a reason")
        self._decided(
            program_code=program_code,
            decision=decision,
            reason=reason,
            meeting_ref=meeting_ref,
            occurred_at=occurred_at,
            actor=actor,
        )

    def close(self, occurred_at: datetime, actor: str) -> None:
        self._check_open()
        self._closed(occurred_at=occurred_at, actor=actor)

    def _check_open(self) -> None:
        if self.closed:
            raise ReviewStateError(f"review {self.quarter} is closed")

    @event(CandidatesScored)
    def _scored(
        self,
        candidates: tuple[ScoredCandidate, ...],
        inputs_digest: str,
        policy_version: int,
        chain_position: int | None,
        chain_hash: str | None,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        self.candidates = {c.program_code: c for c in candidates}
        self.inputs_digest = inputs_digest
        self.chain_position = chain_position
        self.chain_hash = chain_hash

    @event(Decided)
    def _decided(
        self,
        program_code: str,
        decision: Decision,
        reason: str,
        meeting_ref: str,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        self.decisions[program_code] = decision

    @event(Closed)
    def _closed(self, occurred_at: datetime, actor: str) -> None:
        self.closed = True
