"""One handler per command: load what the rule needs, ask the aggregate, return what changed.

A handler never stores: it returns the aggregates it changed (nothing when there was
nothing to do) and the unit of work keeps them. ``HANDLERS`` maps each command class
to its handler.

Staff commands can be retried (after a crash, a timeout, a doubt): a command that asks
for what the ledger already holds (the same natural id with the same content) changes
nothing and returns nothing, so ``Ledger.handle`` answers False and the command line
says "already recorded"; the same id with other content is refused by the rule as
before. Business time and the acting person are not content: a retry entered a minute
later is the same command.
"""

import re
from datetime import datetime
from typing import Any

from impact.application import commands as c
from impact.application.unit_of_work import Handler, UnitOfWork
from impact.domain.base import Aggregate
from impact.domain.consortium import Consortium
from impact.domain.evidence import AUDITOR, DocumentFacts, EvidenceDocument
from impact.domain.plan import Plan
from impact.domain.program import Program
from impact.domain.proposal import Proposal
from impact.domain.review import PromotionReview
from impact.domain.scoring import BASELINE_EFFECTIVE_FROM, POLICY_V1
from impact.errors import AlreadyExistsError, NotAMemberError, NotFoundError, ReviewStateError

Changed = tuple[Aggregate, ...]


# -- reading what a rule needs -------------------------------------------------------


def consortium(uow: UnitOfWork, to_change: bool = True) -> Consortium:
    read = uow.get if to_change else uow.look
    return read(Consortium, Consortium.create_id(), "the consortium (run `impact init`)")


def plan(uow: UnitOfWork) -> Plan:
    return uow.look(Plan, Plan.create_id(), "the plan (run `impact init`)")


def program(uow: UnitOfWork, code: str) -> Program:
    return uow.get(Program, Program.create_id(code=code), f"programme {code}")


def proposal(uow: UnitOfWork, code: str, to_change: bool = True) -> Proposal:
    read = uow.get if to_change else uow.look
    return read(Proposal, Proposal.create_id(code=code), f"proposal {code}")


def review(uow: UnitOfWork, quarter: str) -> PromotionReview:
    return uow.get(
        PromotionReview, PromotionReview.create_id(quarter=quarter), f"the review of {quarter}"
    )


def acting_on(uow: UnitOfWork, program_code: str, agency: str, at: datetime) -> Program:
    """The programme an agency acts on, once the agency is known to be an active member then."""
    consortium(uow, to_change=False).check_active(agency, on=at.date())
    return program(uow, program_code)


# -- the consortium ----------------------------------------------------------------


def found(uow: UnitOfWork, cmd: c.FoundConsortium) -> Changed:
    changed: list[Aggregate] = []
    if not uow.exists(Consortium.create_id()):
        changed.append(Consortium.found(occurred_at=cmd.occurred_at, actor=cmd.actor))
    if not uow.exists(Plan.create_id()):
        changed.append(Plan.declare_2018(occurred_at=cmd.occurred_at, actor=cmd.actor))
    return tuple(changed)


def admit_member(uow: UnitOfWork, cmd: c.AdmitMember) -> Changed:
    found_ = consortium(uow)
    if found_.members.get(cmd.member.code) == cmd.member:
        return ()
    found_.admit(cmd.member, occurred_at=cmd.occurred_at, actor=cmd.actor)
    return (found_,)


def retire_member(uow: UnitOfWork, cmd: c.RetireMember) -> Changed:
    found_ = consortium(uow)
    member = found_.members.get(cmd.code)
    if member is not None and member.left_on == cmd.left_on:
        return ()
    found_.retire(cmd.code, cmd.left_on, occurred_at=cmd.occurred_at, actor=cmd.actor)
    return (found_,)


def register_key(uow: UnitOfWork, cmd: c.RegisterKey) -> Changed:
    found_ = consortium(uow)
    if found_.keys.get((cmd.key.agency, cmd.key.key_id)) == cmd.key:
        return ()
    found_.register_key(cmd.key, occurred_at=cmd.occurred_at, actor=cmd.actor)
    return (found_,)


def revoke_key(uow: UnitOfWork, cmd: c.RevokeKey) -> Changed:
    found_ = consortium(uow)
    key = found_.keys.get((cmd.agency, cmd.key_id))
    if key is not None and key.revoked_at == cmd.revoked_at:
        return ()
    found_.revoke_key(
        cmd.agency, cmd.key_id, cmd.revoked_at, occurred_at=cmd.occurred_at, actor=cmd.actor
    )
    return (found_,)


def adopt_policy(uow: UnitOfWork, cmd: c.AdoptPolicy) -> Changed:
    found_ = consortium(uow)
    if (cmd.effective_from, cmd.policy) in found_.adopted_policies():
        return ()
    found_.adopt_policy(
        cmd.policy, cmd.effective_from, occurred_at=cmd.occurred_at, actor=cmd.actor
    )
    return (found_,)


def adopt_baseline_policy(uow: UnitOfWork, cmd: c.AdoptBaselinePolicy) -> Changed:
    found_ = consortium(uow)
    if found_.adopted_policies():
        return ()
    found_.adopt_policy(
        POLICY_V1, BASELINE_EFFECTIVE_FROM, occurred_at=cmd.occurred_at, actor=cmd.actor
    )
    return (found_,)


# -- proposals ---------------------------------------------------------------------


def submit_proposal(uow: UnitOfWork, cmd: c.SubmitProposal) -> Changed:
    if uow.exists(Proposal.create_id(code=cmd.code)):
        earlier = proposal(uow, cmd.code, to_change=False)
        if (earlier.title, earlier.text, earlier.category, earlier.channel) == (
            cmd.title,
            cmd.text,
            cmd.category,
            cmd.channel,
        ):
            return ()
        raise AlreadyExistsError(
            f"proposal {cmd.code} already exists with another title, text, category or "
            f"channel; give a new proposal a new code"
        )
    return (
        Proposal(
            code=cmd.code,
            channel=cmd.channel,
            title=cmd.title,
            text=cmd.text,
            category=cmd.category,
            proposer=cmd.proposer,
            occurred_at=cmd.occurred_at,
            actor=cmd.actor,
        ),
    )


def start_proposal_review(uow: UnitOfWork, cmd: c.StartProposalReview) -> Changed:
    found_ = proposal(uow, cmd.code)
    if found_.status != "submitted" and found_.panel == cmd.panel:
        return ()
    found_.start_review(cmd.panel, occurred_at=cmd.occurred_at, actor=cmd.actor)
    return (found_,)


def record_proposal_review(uow: UnitOfWork, cmd: c.RecordProposalReview) -> Changed:
    found_ = proposal(uow, cmd.code)
    if found_.status not in ("submitted", "under_review") and found_.scores == dict(cmd.scores):
        return ()
    found_.record_review(
        dict(cmd.scores), cmd.comments, occurred_at=cmd.occurred_at, actor=cmd.actor
    )
    return (found_,)


def adopt_proposal(uow: UnitOfWork, cmd: c.AdoptProposal) -> Changed:
    plan(uow).task(cmd.task_code, on=cmd.occurred_at.date())
    found_ = proposal(uow, cmd.code)
    if found_.status == "adopted" and found_.task_code == cmd.task_code:
        return ()
    found_.adopt(cmd.task_code, occurred_at=cmd.occurred_at, actor=cmd.actor)
    return (found_,)


def reject_proposal(uow: UnitOfWork, cmd: c.RejectProposal) -> Changed:
    found_ = proposal(uow, cmd.code)
    if found_.status == "rejected" and found_.decision_reason == cmd.reason:
        return ()
    found_.reject(cmd.reason, occurred_at=cmd.occurred_at, actor=cmd.actor)
    return (found_,)


def merge_proposal(uow: UnitOfWork, cmd: c.MergeProposal) -> Changed:
    proposal(uow, cmd.into_code, to_change=False)
    found_ = proposal(uow, cmd.code)
    if found_.status == "merged" and found_.merged_into == cmd.into_code:
        return ()
    found_.merge_into(cmd.into_code, occurred_at=cmd.occurred_at, actor=cmd.actor)
    return (found_,)


# -- agencies' programmes ----------------------------------------------------------


def register_program(uow: UnitOfWork, cmd: c.RegisterProgram) -> Changed:
    at = cmd.submitted_at
    consortium(uow, to_change=False).check_active(cmd.agency, on=at.date())
    plan(uow).task(cmd.task_code, on=at.date())
    for origin in cmd.origin_proposals:
        status = proposal(uow, origin, to_change=False).status
        if status != "adopted":
            raise ReviewStateError(
                f"proposal {origin} is {status}; only an adopted proposal can be "
                f"the origin of a programme"
            )
    registered = Program.register(
        code=cmd.program_code,
        agency=cmd.agency,
        task_code=cmd.task_code,
        title_ko=cmd.title_ko,
        title_en=cmd.title_en,
        origin_proposals=cmd.origin_proposals,
        targets=cmd.targets,
        budget_krw=cmd.budget_krw,
        starts_on=cmd.starts_on,
        ends_on=cmd.ends_on,
        occurred_at=at,
        measures=tuple(cmd.measures),
    )
    if uow.exists(registered.id):
        if not uow.from_submissions and _same_programme(
            uow.look(Program, registered.id, cmd.program_code), registered
        ):
            return ()  # staff entering it again
        raise AlreadyExistsError(f"programme {cmd.program_code} already exists")
    return (registered,)


def _same_programme(earlier: Program, again: Program) -> bool:
    fields = (
        "agency",
        "task_code",
        "title_ko",
        "title_en",
        "origin_proposals",
        "targets",
        "budget_krw",
        "starts_on",
        "ends_on",
    )
    return all(getattr(earlier, f) == getattr(again, f) for f in fields)


def _reported_already(found: Program, uow: UnitOfWork, report_id: str, *content: object) -> bool:
    """Staff entering a report again: the same id with the same metric, quarter, value
    (and the report it corrects)."""
    earlier = found.reports.get(report_id)
    if uow.from_submissions or earlier is None:
        return False
    return (earlier.metric, earlier.quarter, earlier.value, earlier.corrects) == content


def _submission_id(uow: UnitOfWork, cmd: Any) -> str | None:
    """Events name the signed submission that caused them; staff entries name none."""
    return cmd.submission_id if uow.from_submissions else None


def report_outcome(uow: UnitOfWork, cmd: c.ReportOutcome) -> Changed:
    found_ = acting_on(uow, cmd.program_code, cmd.agency, cmd.submitted_at)
    if _reported_already(found_, uow, cmd.report_id, cmd.metric, cmd.quarter, cmd.value, None):
        return ()
    found_.report_outcome(
        report_id=cmd.report_id,
        metric=cmd.metric,
        quarter=cmd.quarter,
        value=cmd.value,
        evidence=cmd.evidence,
        submission_id=_submission_id(uow, cmd),
        occurred_at=cmd.submitted_at,
        actor=cmd.agency,
        arrived_at=uow.arrival(),
    )
    return (found_,)


def correct_outcome(uow: UnitOfWork, cmd: c.CorrectOutcome) -> Changed:
    found_ = acting_on(uow, cmd.program_code, cmd.agency, cmd.submitted_at)
    corrected = found_.reports.get(cmd.corrects)
    if corrected is not None and _reported_already(
        found_, uow, cmd.report_id, corrected.metric, corrected.quarter, cmd.value, cmd.corrects
    ):
        return ()
    found_.correct_outcome(
        report_id=cmd.report_id,
        corrects=cmd.corrects,
        value=cmd.value,
        reason=cmd.reason,
        evidence=cmd.evidence,
        submission_id=_submission_id(uow, cmd),
        occurred_at=cmd.submitted_at,
        actor=cmd.agency,
    )
    return (found_,)


def declare_metrics(uow: UnitOfWork, cmd: c.DeclareMetrics) -> Changed:
    found_ = acting_on(uow, cmd.program_code, cmd.agency, cmd.submitted_at)
    found_.declare_metrics(
        tuple(cmd.metrics), cmd.reason, occurred_at=cmd.submitted_at, actor=cmd.agency
    )
    return (found_,)


def join_partner(uow: UnitOfWork, cmd: c.JoinPartner) -> Changed:
    found_ = acting_on(uow, cmd.program_code, cmd.agency, cmd.submitted_at)
    if cmd.partner.kind == "agency" and cmd.partner.code:
        consortium(uow, to_change=False).member(cmd.partner.code)
    found_.join_partner(cmd.partner, occurred_at=cmd.submitted_at, actor=cmd.agency)
    return (found_,)


def answer_partnership(uow: UnitOfWork, cmd: c.AnswerPartnership) -> Changed:
    """The partner agency's own answer: it acts on another's programme, so only the consortium
    (is it an active member?) and the programme (was it named?) are asked."""
    found_ = acting_on(uow, cmd.program_code, cmd.agency, cmd.submitted_at)
    found_.answer_partner(cmd.accept, cmd.reason, occurred_at=cmd.submitted_at, actor=cmd.agency)
    return (found_,)


def change_program_status(uow: UnitOfWork, cmd: c.ChangeProgramStatus) -> Changed:
    """Suspend, resume or complete a programme."""
    at, agency = cmd.submitted_at, cmd.agency
    found_ = acting_on(uow, cmd.program_code, agency, at)
    if cmd.status == "suspended":
        found_.suspend(cmd.reason or "not given", occurred_at=at, actor=agency)
    elif cmd.status == "resumed":
        found_.resume(occurred_at=at, actor=agency)
    else:
        found_.complete(at.date(), occurred_at=at, actor=agency)
    return (found_,)


# -- the evidence register ---------------------------------------------------------


def register_evidence(uow: UnitOfWork, cmd: c.RegisterEvidence) -> Changed:
    consortium(uow, to_change=False).check_active(cmd.owner, on=cmd.occurred_at.date())
    return _register_document(uow, cmd.document, cmd.owner, cmd.occurred_at, cmd.actor)


def register_document(uow: UnitOfWork, cmd: c.RegisterDocument) -> Changed:
    """The agency's own signed registration (the agency side of ``impact evidence add``)."""
    consortium(uow, to_change=False).check_active(cmd.agency, on=cmd.submitted_at.date())
    facts = DocumentFacts(
        sha256=cmd.sha256, size=cmd.size, media_type=cmd.media_type, title=cmd.title
    )
    return _register_document(uow, facts, cmd.agency, cmd.submitted_at, cmd.agency)


def _register_document(
    uow: UnitOfWork, facts: DocumentFacts, owner: str, at: datetime, actor: str
) -> Changed:
    document_id = EvidenceDocument.create_id(sha256=facts.sha256)
    if uow.exists(document_id):
        held = uow.look(EvidenceDocument, document_id, "the document")
        raise AlreadyExistsError(
            f"document {facts.sha256[:12]}… is already registered by {held.owner} "
            f"as {held.title!r}; cite it as {held.uri}"
        )
    return (EvidenceDocument.register(facts, owner=owner, occurred_at=at, actor=actor),)


def attest_evidence(uow: UnitOfWork, cmd: c.AttestEvidence) -> Changed:
    if cmd.attester.startswith("auditor:"):
        if not re.fullmatch(AUDITOR, cmd.attester):
            raise NotAMemberError(
                f"{cmd.attester!r} is not an auditor reference; write auditor:<firm>"
            )
    else:
        consortium(uow, to_change=False).check_active(cmd.attester, on=cmd.occurred_at.date())
    document = uow.get(
        EvidenceDocument,
        EvidenceDocument.create_id(sha256=cmd.sha256),
        f"document {cmd.sha256[:12]}… in the evidence register (register it with "
        f"`impact evidence add FILE`)",
    )
    document.attest(cmd.attester, cmd.note, occurred_at=cmd.occurred_at, actor=cmd.actor)
    return (document,)


# -- promotion reviews -------------------------------------------------------------


def record_review_scores(uow: UnitOfWork, cmd: c.RecordReviewScores) -> Changed:
    """Nothing changes when the review already holds these very scores from the same
    inputs under the same policy. A ledger that never adopted a policy adopts the
    baseline v1 (in force since founding) with its first review."""
    found_ = consortium(uow)
    if not found_.adopted_policies():
        found_.adopt_policy(
            POLICY_V1, BASELINE_EFFECTIVE_FROM, occurred_at=cmd.occurred_at, actor=cmd.actor
        )
    if cmd.policy_version not in {p.version for _, p in found_.adopted_policies()}:
        raise NotFoundError(f"scoring policy v{cmd.policy_version} was never adopted")
    if uow.exists(PromotionReview.create_id(quarter=cmd.quarter)):
        opened = review(uow, cmd.quarter)
        if opened.policy_version != cmd.policy_version:
            raise ReviewStateError(
                f"review {cmd.quarter} was opened under scoring policy v{opened.policy_version}; "
                f"it cannot be scored under v{cmd.policy_version}"
            )
        if (
            opened.inputs_digest == cmd.inputs_digest
            and tuple(opened.candidates.values()) == cmd.candidates
        ):
            return ()
    else:
        opened = PromotionReview(
            quarter=cmd.quarter,
            policy_version=cmd.policy_version,
            occurred_at=cmd.occurred_at,
            actor=cmd.actor,
        )
    opened.record_scores(
        cmd.candidates,
        cmd.inputs_digest,
        occurred_at=cmd.occurred_at,
        actor=cmd.actor,
        chain_position=cmd.chain_position,
        chain_hash=cmd.chain_hash,
    )
    return (found_, opened)


def decide_promotion(uow: UnitOfWork, cmd: c.DecidePromotion) -> Changed:
    """The review records the decision; a promotion also makes the programme a joint
    project of the agencies named, or of every agency active on the day."""
    at, code = cmd.occurred_at, cmd.program_code
    opened = review(uow, cmd.quarter)
    if opened.decisions.get(code) == cmd.decision:
        return ()  # the council's decision, recorded already
    candidate = opened.candidates.get(code)
    if cmd.decision == "promote" and candidate is not None and not candidate.eligible:
        raise ReviewStateError(
            f"{code} did not pass the gates of review {cmd.quarter} "
            f"({candidate.failed_gate}); it can be deferred or declined, not promoted"
        )
    opened.decide(code, cmd.decision, cmd.reason, cmd.meeting_ref, occurred_at=at, actor=cmd.actor)
    if cmd.decision != "promote":
        return (opened,)
    promoted = program(uow, code)
    members = consortium(uow, to_change=False)
    for agency in cmd.participants:
        members.check_active(agency, on=at.date())
    chosen = cmd.participants or tuple(members.agencies_on(at.date()))
    promoted.promote(cmd.quarter, chosen, occurred_at=at, actor=cmd.actor)
    return (opened, promoted)


HANDLERS: dict[type, Handler] = {
    c.FoundConsortium: found,
    c.AdmitMember: admit_member,
    c.RetireMember: retire_member,
    c.RegisterKey: register_key,
    c.RevokeKey: revoke_key,
    c.AdoptPolicy: adopt_policy,
    c.AdoptBaselinePolicy: adopt_baseline_policy,
    c.SubmitProposal: submit_proposal,
    c.StartProposalReview: start_proposal_review,
    c.RecordProposalReview: record_proposal_review,
    c.AdoptProposal: adopt_proposal,
    c.RejectProposal: reject_proposal,
    c.MergeProposal: merge_proposal,
    c.RegisterProgram: register_program,
    c.DeclareMetrics: declare_metrics,
    c.ReportOutcome: report_outcome,
    c.CorrectOutcome: correct_outcome,
    c.JoinPartner: join_partner,
    c.AnswerPartnership: answer_partnership,
    c.ChangeProgramStatus: change_program_status,
    c.RegisterEvidence: register_evidence,
    c.RegisterDocument: register_document,
    c.AttestEvidence: attest_evidence,
    c.RecordReviewScores: record_review_scores,
    c.DecidePromotion: decide_promotion,
}
