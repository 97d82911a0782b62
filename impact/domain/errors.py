"""Errors raised when a command would break a rule of the programme.

Each names what was attempted and what to do instead.
"""

from impact.errors import ImpactError


class DomainError(ImpactError):
    """A command would break a rule of the programme."""

    code = "domain_rule"


class NotFoundError(DomainError):
    code = "not_found"


class AlreadyExistsError(DomainError):
    code = "already_exists"


class ConflictError(DomainError):
    """Someone else changed the same thing meanwhile; read it again and retry."""

    code = "conflict"


class NotAMemberError(DomainError):
    code = "not_a_member"


class UnknownTaskError(DomainError):
    code = "unknown_task"


class UnknownMetricError(DomainError):
    code = "unknown_metric"


class ValueOutOfRangeError(DomainError):
    code = "value_out_of_range"


class PeriodOutsideProgramError(DomainError):
    code = "period_outside_program"


class NotOwnerError(DomainError):
    code = "not_owner"


class ProposalAlreadyDecidedError(DomainError):
    code = "proposal_already_decided"


class ProposalNotReviewedError(DomainError):
    code = "proposal_not_reviewed"


class ReportNotFoundError(DomainError):
    code = "report_not_found"


class ProgramNotActiveError(DomainError):
    code = "program_not_active"


class ReviewStateError(DomainError):
    code = "review_state"


class CandidateNotScoredError(DomainError):
    code = "candidate_not_scored"
