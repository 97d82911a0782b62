"""What agencies send to ``impact.submissions``: signed submissions.

On the wire a message is JSON (UTF-8)::

    {"submission": {...one of the kinds below...},
     "signature": {"algorithm": "ed25519", "key_id": "...", "value": "<base64>"}}

The signature is Ed25519 over the RFC 8785 canonical form (JCS) of the
``submission`` object exactly as sent. ``submission_id`` is chosen by the sender
and stable: sending the same submission again is safe.
"""

from datetime import date
from typing import Annotated, Any, Literal, Self, get_args

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from impact.domain.program import Evidence, Partner, Target
from impact.domain.quarter import QuarterText
from impact.domain.values import QUANTITY_CODES, TEXT_CODES, Line, Quantity, Text

MAX_SUBMISSION_BYTES = 256 * 1024
SUBMISSION_ID = r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$"
AGENCY = r"^[A-Z][A-Z0-9]{1,15}$"
PROGRAM = r"^P-[A-Z0-9]{2,16}-[0-9A-Z-]{1,24}$"


class _Submission(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = Field(description="Version of this submission format.")
    submission_id: str = Field(pattern=SUBMISSION_ID)
    agency: str = Field(pattern=AGENCY, description="The sending agency; must own the key.")
    submitted_at: AwareDatetime = Field(
        description="Business time of the fact being submitted, with its UTC offset."
    )

    @property
    def routing_key(self) -> str:
        return getattr(self, "program_code", None) or self.submission_id

    @classmethod
    def create(cls, **fields: Any) -> Self:
        """Build one in Python: this format's version and kind are filled in, the rest
        validated as a message on the wire would be."""
        return cls(**{"schema_version": 1, "kind": _kind_of(cls), **fields})


class RegisterProgram(_Submission):
    """An agency registers a programme under a task of the plan."""

    kind: Literal["program.register"]
    program_code: str = Field(pattern=PROGRAM)
    task_code: Line = Field(max_length=64)
    title_ko: Line = Field(min_length=1, max_length=300)
    title_en: Line = Field(min_length=1, max_length=300)
    budget_krw: int = Field(ge=0, le=10**14)
    starts_on: date
    ends_on: date | None = None
    targets: tuple[Target, ...] = ()
    origin_proposals: tuple[Annotated[Line, Field(max_length=128)], ...] = ()
    measures: tuple[Annotated[Line, Field(max_length=64)], ...] = Field(
        default=(),
        max_length=64,
        description="Metrics it will report besides its targets' (reach, spill-over, ...).",
    )


class DeclareMetrics(_Submission):
    """A programme commits to report more metrics than it did at registration."""

    kind: Literal["program.measures"]
    program_code: str = Field(pattern=PROGRAM)
    metrics: tuple[Annotated[Line, Field(max_length=64)], ...] = Field(min_length=1, max_length=64)
    reason: Text = Field(min_length=1, max_length=2000)


class ReportOutcome(_Submission):
    """An outcome of a programme for a quarter."""

    kind: Literal["outcome.report"]
    program_code: str = Field(pattern=PROGRAM)
    report_id: str = Field(pattern=SUBMISSION_ID)
    metric: Line = Field(max_length=64)
    quarter: QuarterText
    value: Quantity
    evidence: Evidence | None = None


class CorrectOutcome(_Submission):
    """A correction of an earlier report; the original stays in the log."""

    kind: Literal["outcome.correct"]
    program_code: str = Field(pattern=PROGRAM)
    report_id: str = Field(pattern=SUBMISSION_ID)
    corrects: str = Field(pattern=SUBMISSION_ID)
    value: Quantity
    reason: Text = Field(min_length=1, max_length=2000)
    evidence: Evidence | None = None


class JoinPartner(_Submission):
    """A partner (another agency, a civic group, an enterprise) joins a programme."""

    kind: Literal["program.partner"]
    program_code: str = Field(pattern=PROGRAM)
    partner: Partner


class AnswerPartnership(_Submission):
    """An agency named a partner of another's programme accepts or declines, signed by
    itself (``agency`` is the partner, not the programme's owner)."""

    kind: Literal["program.partner.answer"]
    program_code: str = Field(pattern=PROGRAM)
    accept: bool
    reason: Text = Field(default="", max_length=2000)


class RegisterDocument(_Submission):
    """An agency registers a document of its own in the evidence register (what
    ``impact evidence add`` computes from the file); outcomes then cite it as
    ``docreg:<sha256>``."""

    kind: Literal["evidence.register"]
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=0, le=10**12)
    media_type: Line = Field(min_length=1, max_length=128)
    title: Line = Field(min_length=1, max_length=300)


class ChangeProgramStatus(_Submission):
    """A programme is suspended, resumed or completed."""

    kind: Literal["program.status"]
    program_code: str = Field(pattern=PROGRAM)
    status: Literal["suspended", "resumed", "completed"]
    reason: Text = Field(default="", max_length=2000)


AgencySubmission = Annotated[
    RegisterProgram
    | DeclareMetrics
    | ReportOutcome
    | CorrectOutcome
    | JoinPartner
    | AnswerPartnership
    | ChangeProgramStatus
    | RegisterDocument,
    Field(discriminator="kind"),
]
SUBMISSION_KINDS = (
    "program.register",
    "program.measures",
    "outcome.report",
    "outcome.correct",
    "program.partner",
    "program.partner.answer",
    "program.status",
    "evidence.register",
)

submission_adapter: TypeAdapter[Any] = TypeAdapter(AgencySubmission)


def _kind_of(cls: type[_Submission]) -> str:
    annotation = cls.model_fields["kind"].annotation
    (kind,) = get_args(annotation)
    return str(kind)


REFUSAL_CODES: dict[str, str] = {
    **{code: code for code in (*QUANTITY_CODES, *TEXT_CODES)},
    "quarter_out_of_range": "quarter_out_of_range",
    "evidence_mismatch": "evidence_mismatch",
    "finite_number": "number_out_of_range",
    "timezone_aware": "naive_timestamp",
}
"""Validation errors that have a refusal code of their own; any other is ``invalid``."""


def refusal_code(exc: ValidationError) -> str:
    """The specific code of the first error that has one, else ``invalid``."""
    for error in exc.errors():
        if error["type"] in REFUSAL_CODES:
            return REFUSAL_CODES[error["type"]]
    return "invalid"


def describe_errors(exc: ValidationError, limit: int = 5) -> str:
    """A validation error as one line a person can act on: where, and what is wrong."""
    errors = exc.errors()
    parts = [
        f"{'.'.join(str(p) for p in e['loc']) or 'message'}: {e['msg']}" for e in errors[:limit]
    ]
    more = len(errors) - limit
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


class Signature(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    algorithm: Literal["ed25519"] = "ed25519"
    key_id: str = Field(min_length=1, max_length=128)
    value: str = Field(min_length=1, max_length=200, description="base64 of the 64-byte signature.")


class SignedSubmission(BaseModel):
    """The message on ``impact.submissions``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    submission: AgencySubmission
    signature: Signature
