"""What people ask the ledger to do, as data.

Agencies' commands are the public contract's submission models
(``impact.contract.submissions``): the same object is sent signed over Kafka or
entered by staff. Staff and council commands are defined here. Every command says
when the fact happened (business time, resolved once at the edge when the user gave
none) and who acts; a handler (``impact.application.handlers``) decides each one.
"""

from datetime import date, datetime
from decimal import Decimal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field

from impact.contract.submissions import (
    AnswerPartnership,
    ChangeProgramStatus,
    CorrectOutcome,
    DeclareMetrics,
    JoinPartner,
    RegisterDocument,
    RegisterProgram,
    ReportOutcome,
)
from impact.domain.consortium import DECLARED_AT, AgencyKey, Member
from impact.domain.evidence import DocumentFacts
from impact.domain.proposal import Channel, ReviewComment, SealedPersonalData
from impact.domain.quarter import QuarterText
from impact.domain.review import Decision, ScoredCandidate
from impact.domain.scoring import ScoringPolicy
from impact.domain.values import Line, Text
from impact.signing import key_id_of, public_key_text


class StaffCommand(BaseModel):
    """A command entered by a person: the secretariat, the proposal desk, the council."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    occurred_at: datetime = Field(description="Business time: when it happened.")
    actor: Line = Field(min_length=1, max_length=64)


# -- the consortium ----------------------------------------------------------------


class FoundConsortium(StaffCommand):
    """Found the consortium and declare the 2018 plan, once (both as of the declaration)."""

    occurred_at: datetime = DECLARED_AT
    actor: str = "BUSAN"


class AdmitMember(StaffCommand):
    member: Member


class RetireMember(StaffCommand):
    code: str
    left_on: date


class RegisterKey(StaffCommand):
    key: AgencyKey

    @classmethod
    def of_public_key(
        cls,
        agency: str,
        public: Ed25519PublicKey,
        valid_from: datetime,
        actor: str,
        occurred_at: datetime,
    ) -> "RegisterKey":
        """Register the public half an agency handed over (its private key stays with it)."""
        key = AgencyKey(
            agency=agency,
            key_id=key_id_of(public),
            public_key=public_key_text(public),
            valid_from=valid_from,
        )
        return cls(key=key, actor=actor, occurred_at=occurred_at)


class RevokeKey(StaffCommand):
    agency: str
    key_id: str
    revoked_at: datetime


class AdoptPolicy(StaffCommand):
    """The council adopts a scoring policy for the quarters from ``effective_from`` on."""

    policy: ScoringPolicy
    effective_from: QuarterText
    actor: str = "council"


class AdoptBaselinePolicy(StaffCommand):
    """Adopt policy v1 (in force since founding) if no policy was ever adopted."""

    actor: str = "council"


# -- proposals ---------------------------------------------------------------------


class SubmitProposal(StaffCommand):
    code: Line
    title: Line = Field(min_length=1, max_length=300)
    text: Text = ""
    category: Line = "general"
    channel: Channel = "website"
    proposer: SealedPersonalData | None = None
    actor: str = "proposal-desk"


class StartProposalReview(StaffCommand):
    code: str
    panel: tuple[str, ...]


class RecordProposalReview(StaffCommand):
    code: str
    scores: dict[str, Decimal]
    comments: tuple[ReviewComment, ...] = ()


class AdoptProposal(StaffCommand):
    code: str
    task_code: str


class RejectProposal(StaffCommand):
    code: Line
    reason: Text


class MergeProposal(StaffCommand):
    code: str
    into_code: str


# -- the evidence register ---------------------------------------------------------


class RegisterEvidence(StaffCommand):
    """Register a document (its sha256, size, type and title) for the agency that holds it."""

    document: DocumentFacts
    owner: Line = Field(min_length=1, max_length=64)


class AttestEvidence(StaffCommand):
    """Another member, or an auditor (``auditor:<firm>``), vouches for a registered document."""

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    attester: Line = Field(min_length=1, max_length=64)
    note: Text = Field(default="", max_length=2000)


# -- promotion reviews -------------------------------------------------------------


class RecordReviewScores(StaffCommand):
    """Open the quarter's review if needed and record its scored candidates."""

    quarter: QuarterText
    policy_version: int
    candidates: tuple[ScoredCandidate, ...]
    inputs_digest: str
    chain_position: int | None = Field(default=None, ge=0)
    """The highest notification id of the chain the scores were read from (0: none)."""
    chain_hash: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$|^$")
    """The chain's hash at ``chain_position`` ('' when those records carried none)."""
    actor: str = "promotion-review"


class DecidePromotion(StaffCommand):
    """A council decision; a promotion makes the programme a joint project of the
    agencies named, or of every agency active on the day."""

    quarter: QuarterText
    program_code: str
    decision: Decision
    reason: Text
    meeting_ref: Line
    participants: tuple[str, ...] = ()
    actor: str = "council"


AgencyCommand = (
    RegisterProgram
    | DeclareMetrics
    | ReportOutcome
    | CorrectOutcome
    | JoinPartner
    | AnswerPartnership
    | ChangeProgramStatus
    | RegisterDocument
)

Command = (
    AgencyCommand
    | FoundConsortium
    | AdmitMember
    | RetireMember
    | RegisterKey
    | RevokeKey
    | AdoptPolicy
    | AdoptBaselinePolicy
    | SubmitProposal
    | StartProposalReview
    | RecordProposalReview
    | AdoptProposal
    | RejectProposal
    | MergeProposal
    | RegisterEvidence
    | AttestEvidence
    | RecordReviewScores
    | DecidePromotion
)
