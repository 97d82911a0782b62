"""The ledger's exceptions, all of them.

Every error the ledger raises on purpose derives from one root::

    ImpactError
    ├── DomainError                     a command would break a rule of the programme
    │   ├── NotFoundError               no such consortium, plan, proposal, programme or review
    │   ├── ReportNotFoundError         a correction names a report the programme lacks
    │   ├── AlreadyExistsError          created, reported or decided once already
    │   ├── ConflictError               someone else changed it meanwhile: read again, retry
    │   ├── NotAMemberError             not a member (then), or a city member where an agency must act
    │   ├── UnknownTaskError            the task is not in the plan's revision of the day
    │   ├── UnknownMetricError          the metric is not in the catalogue
    │   ├── ValueOutOfRangeError        a value, budget or code outside what the rule allows
    │   ├── PeriodOutsideProgramError   a quarter or date outside the programme's life
    │   │   └── BeforeProgramStartError a quarter that ended before the programme started
    │   ├── QuarterNotEndedError        an outcome for a quarter that has not ended yet
    │   ├── MetricNotDeclaredError      a metric the programme never committed to report
    │   ├── SelfAttestationError        an agency attesting its own evidence
    │   ├── PartnerConsentError         a partner acceptance the partner did not give, or cannot
    │   ├── NotOwnerError               another agency's programme
    │   ├── ProgramNotActiveError       suspended or completed
    │   ├── ProposalAlreadyDecidedError adopted, rejected or merged already
    │   ├── ProposalNotReviewedError    decided before the expert review
    │   ├── ReviewStateError            the review or proposal is not in a state that allows it
    │   └── CandidateNotScoredError     a decision on a programme the review did not score
    ├── ContractError                   a message does not match the public contract
    │   ├── SubmissionError             an agency's submission fails before it is sent
    │   └── SubmissionRefusedError      the desk refuses a message (a rejection, with its code)
    ├── SigningError                    a key cannot be created, read or used
    ├── PrivacyError                    personal data cannot be sealed or opened
    ├── DemoStateError                  the main job's state folder holds what it did not record
    ├── ConfigurationError              a setting is missing or malformed
    └── InfrastructureError             a service could not be reached or used
        ├── LogError                    Kafka refused or lost a read or a write
        └── ProjectionStoreError        ClickHouse refused a statement

The development tools (``impact_dev``) add ``BrokerError`` and ``PostgresError`` under
``InfrastructureError`` and ``BenchError`` under ``ImpactError``. Adapters translate their
library's exceptions into these with ``raise ... from exc``, so nothing from kafka-python
or clickhouse-connect leaks past them. Messages say what was attempted and what to do.
"""


class ImpactError(Exception):
    """Root of every error the ledger raises on purpose."""


# -- the rules of the programme -------------------------------------------------------


class DomainError(ImpactError):
    """A command would break a rule of the programme; ``code`` names the rule for rejections."""

    code = "domain_rule"


class NotFoundError(DomainError):
    code = "not_found"


class ReportNotFoundError(DomainError):
    code = "report_not_found"


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


class BeforeProgramStartError(PeriodOutsideProgramError):
    code = "before_program_start"


class QuarterNotEndedError(DomainError):
    code = "quarter_not_ended"


class MetricNotDeclaredError(DomainError):
    code = "metric_not_declared"


class SelfAttestationError(DomainError):
    code = "self_attestation"


class PartnerConsentError(DomainError):
    code = "partner_consent"


class NotOwnerError(DomainError):
    code = "not_owner"


class ProgramNotActiveError(DomainError):
    code = "program_not_active"


class ProposalAlreadyDecidedError(DomainError):
    code = "proposal_already_decided"


class ProposalNotReviewedError(DomainError):
    code = "proposal_not_reviewed"


class ReviewStateError(DomainError):
    code = "review_state"


class CandidateNotScoredError(DomainError):
    code = "candidate_not_scored"


# -- messages and keys ----------------------------------------------------------------


class ContractError(ImpactError):
    """A message does not match the public contract."""


class SubmissionError(ContractError):
    """A submission fails the contract before it is sent."""


class SubmissionRefusedError(ContractError):
    """The submissions desk refuses a message: recorded as a rejection with ``code``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class SigningError(ImpactError):
    """A key could not be created, read or used."""


class PrivacyError(ImpactError):
    """Personal data could not be sealed or opened."""


class DemoStateError(ImpactError):
    """The ledger holds events the main job did not record."""


# -- settings and services ------------------------------------------------------------


class ConfigurationError(ImpactError):
    """A setting is missing or malformed."""


class InfrastructureError(ImpactError):
    """A service the ledger depends on could not be reached or used."""


class LogError(InfrastructureError):
    """Kafka refused or failed a read or a write on the event log."""


class ProjectionStoreError(InfrastructureError):
    """ClickHouse refused a statement or could not be opened."""
