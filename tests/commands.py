"""Commands for tests, built from positional arguments with the defaults tests lean on.

Each function returns the command a person would send; ``ledger.handle(...)`` decides it.
Business time defaults to now, as a user's command line would resolve it.
"""

import hashlib
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from impact.application import commands as c
from impact.contract.submissions import (
    AnswerPartnership,
    ChangeProgramStatus,
    CorrectOutcome,
    JoinPartner,
    RegisterProgram,
    ReportOutcome,
)
from impact.domain.consortium import AgencyKey, Member
from impact.domain.program import Evidence, Partner, Target
from impact.domain.proposal import ReviewComment, SealedPersonalData
from impact.domain.review import Decision, ScoredCandidate
from impact.domain.scoring import ScoringPolicy


def _at(occurred_at: datetime | None) -> datetime:
    return occurred_at or datetime.now(tz=UTC)


def found() -> c.FoundConsortium:
    return c.FoundConsortium()


def baseline_policy(
    actor: str = "council", occurred_at: datetime | None = None
) -> c.AdoptBaselinePolicy:
    return c.AdoptBaselinePolicy(actor=actor, occurred_at=_at(occurred_at))


def admit_member(member: Member, actor: str, occurred_at: datetime | None = None) -> c.AdmitMember:
    return c.AdmitMember(member=member, actor=actor, occurred_at=_at(occurred_at))


def retire_member(
    code: str, left_on: date, actor: str, occurred_at: datetime | None = None
) -> c.RetireMember:
    return c.RetireMember(code=code, left_on=left_on, actor=actor, occurred_at=_at(occurred_at))


def register_key(key: AgencyKey, actor: str, occurred_at: datetime | None = None) -> c.RegisterKey:
    return c.RegisterKey(key=key, actor=actor, occurred_at=_at(occurred_at))


def revoke_key(
    agency: str,
    key_id: str,
    revoked_at: datetime,
    actor: str = "secretariat",
    occurred_at: datetime | None = None,
) -> c.RevokeKey:
    return c.RevokeKey(
        agency=agency,
        key_id=key_id,
        revoked_at=revoked_at,
        actor=actor,
        occurred_at=_at(occurred_at),
    )


def adopt_policy(
    policy: ScoringPolicy,
    effective_from: str,
    actor: str = "council",
    occurred_at: datetime | None = None,
) -> c.AdoptPolicy:
    return c.AdoptPolicy(
        policy=policy, effective_from=effective_from, actor=actor, occurred_at=_at(occurred_at)
    )


def submit_proposal(
    code: str,
    title: str,
    text: str,
    category: str,
    channel: str = "website",
    proposer: SealedPersonalData | None = None,
    occurred_at: datetime | None = None,
    actor: str = "proposal-desk",
) -> c.SubmitProposal:
    return c.SubmitProposal(
        code=code,
        title=title,
        text=text,
        category=category,
        channel=channel,  # type: ignore[arg-type]
        proposer=proposer,
        occurred_at=_at(occurred_at),
        actor=actor,
    )


def start_proposal_review(
    code: str, panel: tuple[str, ...], actor: str, occurred_at: datetime | None = None
) -> c.StartProposalReview:
    return c.StartProposalReview(code=code, panel=panel, actor=actor, occurred_at=_at(occurred_at))


def record_proposal_review(
    code: str,
    scores: Mapping[str, Decimal],
    comments: tuple[ReviewComment, ...],
    actor: str,
    occurred_at: datetime | None = None,
) -> c.RecordProposalReview:
    return c.RecordProposalReview(
        code=code, scores=dict(scores), comments=comments, actor=actor, occurred_at=_at(occurred_at)
    )


def adopt_proposal(
    code: str, task_code: str, actor: str, occurred_at: datetime | None = None
) -> c.AdoptProposal:
    return c.AdoptProposal(
        code=code, task_code=task_code, actor=actor, occurred_at=_at(occurred_at)
    )


def reject_proposal(
    code: str, reason: str, actor: str, occurred_at: datetime | None = None
) -> c.RejectProposal:
    return c.RejectProposal(code=code, reason=reason, actor=actor, occurred_at=_at(occurred_at))


def merge_proposal(
    code: str, into_code: str, actor: str, occurred_at: datetime | None = None
) -> c.MergeProposal:
    return c.MergeProposal(
        code=code, into_code=into_code, actor=actor, occurred_at=_at(occurred_at)
    )


def register_program(
    code: str,
    agency: str,
    task_code: str,
    title_ko: str,
    title_en: str,
    budget_krw: int,
    starts_on: date,
    ends_on: date | None = None,
    targets: tuple[Target, ...] = (),
    origin_proposals: tuple[str, ...] = (),
    occurred_at: datetime | None = None,
    measures: tuple[str, ...] = (),
) -> Any:
    """A registration as staff enter it; ``model_construct`` lets a test send what the
    contract would refuse (a negative budget, say) to see the domain refuse it."""
    fields: dict[str, Any] = dict(
        schema_version=1,
        kind="program.register",
        submission_id=f"test:register:{code}",
        agency=agency,
        submitted_at=_at(occurred_at),
        program_code=code,
        task_code=task_code,
        title_ko=title_ko,
        title_en=title_en,
        budget_krw=budget_krw,
        starts_on=starts_on,
        ends_on=ends_on,
        targets=tuple(targets),
        origin_proposals=tuple(origin_proposals),
        measures=tuple(measures),
    )
    return RegisterProgram.model_construct(**fields)


def report_outcome(
    program_code: str,
    agency: str,
    report_id: str,
    metric: str,
    quarter: str,
    value: Decimal,
    evidence: Evidence | None = None,
    submission_id: str | None = None,
    occurred_at: datetime | None = None,
) -> Any:
    return ReportOutcome.model_construct(
        schema_version=1,
        kind="outcome.report",
        submission_id=submission_id or f"test:{report_id}",
        agency=agency,
        submitted_at=_at(occurred_at),
        program_code=program_code,
        report_id=report_id,
        metric=metric,
        quarter=quarter,
        value=Decimal(value),
        evidence=evidence,
    )


def correct_outcome(
    program_code: str,
    agency: str,
    report_id: str,
    corrects: str,
    value: Decimal,
    reason: str,
    evidence: Evidence | None = None,
    submission_id: str | None = None,
    occurred_at: datetime | None = None,
) -> Any:
    return CorrectOutcome.model_construct(
        schema_version=1,
        kind="outcome.correct",
        submission_id=submission_id or f"test:{report_id}",
        agency=agency,
        submitted_at=_at(occurred_at),
        program_code=program_code,
        report_id=report_id,
        corrects=corrects,
        value=Decimal(value),
        reason=reason,
        evidence=evidence,
    )


def join_partner(
    program_code: str, agency: str, partner: Partner, occurred_at: datetime | None = None
) -> JoinPartner:
    name = hashlib.sha256(partner.name.encode()).hexdigest()[:12]
    return JoinPartner.create(
        submission_id=f"test:partner:{program_code}:{name}",
        agency=agency,
        submitted_at=_at(occurred_at),
        program_code=program_code,
        partner=partner,
    )


def answer_partnership(
    program_code: str,
    agency: str,
    accept: bool,
    reason: str = "",
    occurred_at: datetime | None = None,
) -> AnswerPartnership:
    return AnswerPartnership.create(
        submission_id=f"test:answer:{program_code}:{agency}",
        agency=agency,
        submitted_at=_at(occurred_at),
        program_code=program_code,
        accept=accept,
        reason=reason,
    )


def change_status(
    program_code: str,
    agency: str,
    status: str,
    reason: str = "",
    occurred_at: datetime | None = None,
) -> ChangeProgramStatus:
    return ChangeProgramStatus.create(
        submission_id=f"test:status:{program_code}:{status}",
        agency=agency,
        submitted_at=_at(occurred_at),
        program_code=program_code,
        status=status,
        reason=reason,
    )


def record_review_scores(
    quarter: str,
    policy_version: int,
    candidates: tuple[ScoredCandidate, ...],
    inputs_digest: str,
    actor: str = "promotion-review",
    occurred_at: datetime | None = None,
) -> c.RecordReviewScores:
    return c.RecordReviewScores(
        quarter=quarter,
        policy_version=policy_version,
        candidates=candidates,
        inputs_digest=inputs_digest,
        actor=actor,
        occurred_at=_at(occurred_at),
    )


def decide(
    quarter: str,
    program_code: str,
    decision: Decision,
    reason: str,
    meeting_ref: str,
    participants: tuple[str, ...] = (),
    actor: str = "council",
    occurred_at: datetime | None = None,
) -> c.DecidePromotion:
    return c.DecidePromotion(
        quarter=quarter,
        program_code=program_code,
        decision=decision,
        reason=reason,
        meeting_ref=meeting_ref,
        participants=participants,
        actor=actor,
        occurred_at=_at(occurred_at),
    )
