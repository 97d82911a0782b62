"""The ledger application: the use cases, on eventsourcing's event store.

Each method loads the aggregates a rule needs, asks them to decide, and saves the
new events atomically. The notification log of this application is the outbox the
relay publishes to ``impact.events``.
"""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from copy import deepcopy
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.persistence import (
    IntegrityError,
    Mapper,
    Notification,
    ProcessRecorder,
    Tracking,
    Transcoder,
)

from impact.domain.base import Aggregate
from impact.domain.consortium import FOUNDING_MEMBERS, AgencyKey, Consortium, Member
from impact.domain.errors import AlreadyExistsError, ConflictError, NotFoundError, ReviewStateError
from impact.domain.metrics import CURRENT_CATALOGUE
from impact.domain.plan import DECLARED_ON, STRATEGIES_2018, TASKS_2018, Plan
from impact.domain.program import Evidence, Partner, Program, Target
from impact.domain.proposal import Channel, Proposal, ReviewComment, SealedPersonalData
from impact.domain.review import Decision, PromotionReview, ScoredCandidate
from impact.domain.scoring import BASELINE_EFFECTIVE_FROM, POLICY_V1, ScoringPolicy
from impact.eventstore import OrjsonTranscoder, PydanticMapper

A = TypeVar("A", bound=Aggregate)


class Pending:
    """Aggregates changed by decisions taken one after another and not saved yet.

    Inside ``Ledger.deciding_in(pending)`` every read sees them (a decision sees what the
    decisions before it changed); a decision works on copies, and only what ``keep`` is
    given stays, so a refused decision leaves nothing behind. Saved together at the end.
    """

    def __init__(self) -> None:
        self.aggregates: dict[UUID, Aggregate] = {}
        self.events: list[Any] = []
        """The new events in the order they were decided: each decision's together, as
        saving each decision on its own would have ordered them (auditors rely on it)."""

    def keep(self, aggregates: tuple[Aggregate, ...]) -> None:
        for aggregate in aggregates:
            earlier = self.aggregates.get(aggregate.id)
            done = len(earlier.pending_events) if earlier is not None else 0
            self.events.extend(aggregate.pending_events[done:])
            self.aggregates[aggregate.id] = aggregate

DECLARATION_AT = datetime(2018, 11, 28, 10, 0, tzinfo=UTC)


def now() -> datetime:
    return datetime.now(tz=UTC)


class Ledger(Application[UUID]):
    """Use cases of the impact ledger."""

    name = "impact"
    log_section_size = 5000
    # Keep aggregates read (the consortium above all, read for every submission) and
    # bring them up to date with one query for newer events instead of replaying them
    # all; each caller gets its own copy. Fast-forwarding sees other processes' events.
    env: ClassVar[dict[str, str]] = {"AGGREGATE_CACHE_MAXSIZE": "4096"}

    def construct_transcoder(self) -> Transcoder:
        return OrjsonTranscoder()

    def construct_recorder(self) -> ProcessRecorder:
        # A process recorder stores tracking records ("consumed up to offset O of
        # partition P") in the same transaction as the events they caused.
        return self.factory.process_recorder()

    def construct_mapper(self) -> Mapper[UUID]:
        return self.factory.mapper(transcoder=self.construct_transcoder(), mapper_class=PydanticMapper)

    # -- plumbing ---------------------------------------------------------------

    _pending: Pending | None = None

    @contextmanager
    def deciding_in(self, pending: Pending) -> Iterator[Pending]:
        """Reads see ``pending``'s aggregates first (see ``Pending``)."""
        self._pending = pending
        try:
            yield pending
        finally:
            self._pending = None

    def read(self, aggregate_id: UUID, to_read: bool = False) -> Aggregate:
        """The aggregate, current (pending changes included); ``to_read``: an instance to
        look at and never to change (no copy is made for it)."""
        pending = self._pending.aggregates.get(aggregate_id) if self._pending else None
        if pending is not None:
            return pending if to_read else deepcopy(pending)
        aggregate: Aggregate = self.repository.get(aggregate_id, deepcopy_from_cache=not to_read)
        return aggregate

    def _get(self, cls: type[A], aggregate_id: UUID, what: str, to_read: bool = False) -> A:
        try:
            aggregate = self.read(aggregate_id, to_read)
        except AggregateNotFoundError:
            raise NotFoundError(f"{what} does not exist") from None
        if not isinstance(aggregate, cls):
            raise NotFoundError(f"{what} does not exist")
        return aggregate

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        """Store new events; a lost race becomes a ConflictError the caller can act on."""
        try:
            return super().save(*objs, **kwargs)
        except IntegrityError:
            names = ", ".join(f"{type(o).__name__} {getattr(o, 'code', o.id)}" for o in objs if o is not None)
            raise ConflictError(
                f"{names} changed meanwhile (another process saved first); read it again and retry"
            ) from None

    def _save_new(self, aggregate: Aggregate, what: str) -> None:
        try:
            self.save(aggregate)
        except ConflictError:
            raise AlreadyExistsError(f"{what} already exists") from None

    def save_tracked(self, tracking: Tracking, *aggregates: Aggregate | Any) -> None:
        """Store the aggregates' new events (or the events given, in their order) and the
        tracking record in one transaction."""
        processing = ProcessingEvent[UUID](tracking=tracking)
        processing.collect_events(*aggregates)
        try:
            self._notify(self._record(processing))
        except IntegrityError:
            raise AlreadyExistsError(
                f"{tracking.application_name} at {tracking.notification_id} was already "
                f"processed, or an aggregate changed meanwhile"
            ) from None

    def tracked_position(self, name: str) -> int | None:
        """The highest position recorded under ``name`` (None when nothing was)."""
        recorder = self.recorder
        assert isinstance(recorder, ProcessRecorder)
        return recorder.max_tracking_id(name)

    def consortium(self, to_read: bool = False) -> Consortium:
        return self._get(
            Consortium, Consortium.create_id(), "the consortium (run `impact init`)", to_read
        )

    def plan(self) -> Plan:
        return self._get(Plan, Plan.create_id(), "the plan (run `impact init`)")

    def program(self, code: str) -> Program:
        return self._get(Program, Program.create_id(code=code), f"programme {code}")

    def proposal(self, code: str) -> Proposal:
        return self._get(Proposal, Proposal.create_id(code=code), f"proposal {code}")

    def review(self, quarter: str) -> PromotionReview:
        return self._get(
            PromotionReview, PromotionReview.create_id(quarter=quarter), f"the review of {quarter}"
        )

    def exists(self, aggregate_id: UUID) -> bool:
        try:
            self.read(aggregate_id, to_read=True)
        except AggregateNotFoundError:
            return False
        return True

    # -- consortium and plan ----------------------------------------------------

    def found(self, actor: str = "BUSAN") -> bool:
        """Found the consortium and declare the 2018 plan, once. True if it did anything."""
        did = False
        if not self.exists(Consortium.create_id()):
            self._save_new(
                Consortium(members=FOUNDING_MEMBERS, occurred_at=DECLARATION_AT, actor=actor),
                "the consortium",
            )
            did = True
        if not self.exists(Plan.create_id()):
            Plan.check_structure(STRATEGIES_2018, TASKS_2018)
            plan = Plan(
                title_ko="사회적 가치 혁신사업 기본계획",
                title_en="Social Value Innovation Basic Plan",
                effective_on=DECLARED_ON,
                strategies=STRATEGIES_2018,
                tasks=TASKS_2018,
                occurred_at=DECLARATION_AT,
                actor=actor,
            )
            self._save_new(plan, "the plan")
            did = True
        return did

    def admit_member(self, member: Member, actor: str, occurred_at: datetime | None = None) -> None:
        consortium = self.consortium()
        consortium.admit(member, occurred_at=occurred_at or now(), actor=actor)
        self.save(consortium)

    def retire_member(self, code: str, left_on: date, actor: str) -> None:
        consortium = self.consortium()
        consortium.retire(code, left_on, occurred_at=now(), actor=actor)
        self.save(consortium)

    def register_key(self, key: AgencyKey, actor: str) -> None:
        consortium = self.consortium()
        consortium.register_key(key, occurred_at=now(), actor=actor)
        self.save(consortium)

    def adopt_policy(
        self, policy: ScoringPolicy, effective_from: str, actor: str = "council",
        occurred_at: datetime | None = None,
    ) -> None:
        """The council adopts a scoring policy for the quarters from ``effective_from`` on."""
        consortium = self.consortium()
        consortium.adopt_policy(policy, effective_from, occurred_at=occurred_at or now(), actor=actor)
        self.save(consortium)

    def ensure_baseline_policy(self, actor: str = "council") -> bool:
        """Adopt policy v1 (in force since founding) if no policy was ever adopted. True if it did."""
        if self.consortium(to_read=True).adopted_policies():
            return False
        self.adopt_policy(POLICY_V1, BASELINE_EFFECTIVE_FROM, actor=actor)
        return True

    # -- proposals --------------------------------------------------------------

    def submit_proposal(
        self,
        code: str,
        title: str,
        text: str,
        category: str,
        channel: Channel = "website",
        proposer: SealedPersonalData | None = None,
        occurred_at: datetime | None = None,
        actor: str = "proposal-desk",
    ) -> UUID:
        proposal = Proposal(
            code=code, channel=channel, title=title, text=text, category=category,
            proposer=proposer, occurred_at=occurred_at or now(), actor=actor,
        )
        self._save_new(proposal, f"proposal {code}")
        return proposal.id

    def start_proposal_review(
        self, code: str, panel: tuple[str, ...], actor: str, occurred_at: datetime | None = None
    ) -> None:
        proposal = self.proposal(code)
        proposal.start_review(panel, occurred_at=occurred_at or now(), actor=actor)
        self.save(proposal)

    def record_proposal_review(
        self,
        code: str,
        scores: Mapping[str, Decimal],
        comments: tuple[ReviewComment, ...],
        actor: str,
        occurred_at: datetime | None = None,
    ) -> None:
        proposal = self.proposal(code)
        proposal.record_review(dict(scores), comments, occurred_at=occurred_at or now(), actor=actor)
        self.save(proposal)

    def adopt_proposal(
        self, code: str, task_code: str, actor: str, occurred_at: datetime | None = None
    ) -> None:
        moment = occurred_at or now()
        self.plan().task(task_code, on=moment.date())
        proposal = self.proposal(code)
        proposal.adopt(task_code, occurred_at=moment, actor=actor)
        self.save(proposal)

    def reject_proposal(
        self, code: str, reason: str, actor: str, occurred_at: datetime | None = None
    ) -> None:
        proposal = self.proposal(code)
        proposal.reject(reason, occurred_at=occurred_at or now(), actor=actor)
        self.save(proposal)

    def merge_proposal(
        self, code: str, into_code: str, actor: str, occurred_at: datetime | None = None
    ) -> None:
        self.proposal(into_code)
        proposal = self.proposal(code)
        proposal.merge_into(into_code, occurred_at=occurred_at or now(), actor=actor)
        self.save(proposal)

    # -- programmes -------------------------------------------------------------

    def register_program(self, code: str, *args: Any, **kwargs: Any) -> UUID:
        """Register an agency's programme; see ``decide_register_program``."""
        (program,) = self.decide_register_program(code, *args, **kwargs)
        self._save_new(program, f"programme {code}")
        return program.id

    def decide_register_program(
        self,
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
    ) -> tuple[Aggregate, ...]:
        moment = occurred_at or now()
        self.consortium(to_read=True).check_active(agency, on=moment.date())
        self.plan().task(task_code, on=moment.date())
        for origin in origin_proposals:
            proposal = self.proposal(origin)
            if proposal.status != "adopted":
                raise ReviewStateError(
                    f"proposal {origin} is {proposal.status}; only an adopted proposal can be "
                    f"the origin of a programme"
                )
        Program.check_registration(code, targets, budget_krw, starts_on, ends_on)
        program = Program(
            code=code, agency=agency, task_code=task_code, title_ko=title_ko, title_en=title_en,
            origin_proposals=origin_proposals, targets=targets, budget_krw=budget_krw,
            starts_on=starts_on, ends_on=ends_on, catalogue_version=CURRENT_CATALOGUE.version,
            occurred_at=moment, actor=agency,
        )
        if self.exists(program.id):
            raise AlreadyExistsError(f"programme {code} already exists")
        return (program,)

    def _acting_on(
        self, program_code: str, agency: str, occurred_at: datetime | None
    ) -> tuple[Program, datetime]:
        """The programme an agency acts on, once it is known to be an active member then."""
        moment = occurred_at or now()
        self.consortium(to_read=True).check_active(agency, on=moment.date())
        return self.program(program_code), moment

    def report_outcome(self, *args: Any, **kwargs: Any) -> None:
        self.save(*self.decide_report_outcome(*args, **kwargs))

    def decide_report_outcome(
        self,
        program_code: str,
        agency: str,
        report_id: str,
        metric: str,
        quarter: str,
        value: Decimal,
        evidence: Evidence | None = None,
        submission_id: str | None = None,
        occurred_at: datetime | None = None,
    ) -> tuple[Aggregate, ...]:
        program, moment = self._acting_on(program_code, agency, occurred_at)
        program.report_outcome(
            report_id=report_id, metric=metric, quarter=quarter, value=value, evidence=evidence,
            submission_id=submission_id, occurred_at=moment, actor=agency,
        )
        return (program,)

    def correct_outcome(self, *args: Any, **kwargs: Any) -> None:
        self.save(*self.decide_correct_outcome(*args, **kwargs))

    def decide_correct_outcome(
        self,
        program_code: str,
        agency: str,
        report_id: str,
        corrects: str,
        value: Decimal,
        reason: str,
        evidence: Evidence | None = None,
        submission_id: str | None = None,
        occurred_at: datetime | None = None,
    ) -> tuple[Aggregate, ...]:
        program, moment = self._acting_on(program_code, agency, occurred_at)
        program.correct_outcome(
            report_id=report_id, corrects=corrects, value=value, reason=reason, evidence=evidence,
            submission_id=submission_id, occurred_at=moment, actor=agency,
        )
        return (program,)

    def join_partner(self, *args: Any, **kwargs: Any) -> None:
        self.save(*self.decide_join_partner(*args, **kwargs))

    def decide_join_partner(
        self, program_code: str, agency: str, partner: Partner, occurred_at: datetime | None = None
    ) -> tuple[Aggregate, ...]:
        program, moment = self._acting_on(program_code, agency, occurred_at)
        program.join_partner(partner, occurred_at=moment, actor=agency)
        return (program,)

    def change_status(self, *args: Any, **kwargs: Any) -> None:
        self.save(*self.decide_change_status(*args, **kwargs))

    def decide_change_status(
        self,
        program_code: str,
        agency: str,
        status: str,
        reason: str = "",
        occurred_at: datetime | None = None,
    ) -> tuple[Aggregate, ...]:
        """Suspend, resume or complete a programme."""
        program, moment = self._acting_on(program_code, agency, occurred_at)
        if status == "suspended":
            program.suspend(reason or "not given", occurred_at=moment, actor=agency)
        elif status == "resumed":
            program.resume(occurred_at=moment, actor=agency)
        elif status == "completed":
            program.complete(moment.date(), occurred_at=moment, actor=agency)
        else:
            raise ValueError(f"unknown programme status {status!r}")
        return (program,)

    # -- promotion reviews ------------------------------------------------------

    def decisions_of(self, quarter: str) -> dict[str, Decision]:
        """The council's decisions in the review of a quarter (none if it was never opened)."""
        if not self.exists(PromotionReview.create_id(quarter=quarter)):
            return {}
        return dict(self.review(quarter).decisions)

    def record_review_scores(
        self,
        quarter: str,
        policy_version: int,
        candidates: tuple[ScoredCandidate, ...],
        inputs_digest: str,
        actor: str = "promotion-review",
        occurred_at: datetime | None = None,
    ) -> bool:
        """Open the quarter's review if needed and record its scored candidates.

        Returns False, recording nothing, when the review already holds these very
        scores from the same inputs under the same policy. A ledger that never adopted
        a policy adopts the baseline v1 (in force since founding) with the first review.
        """
        moment = occurred_at or now()
        consortium = self.consortium()
        if not consortium.adopted_policies():
            consortium.adopt_policy(POLICY_V1, BASELINE_EFFECTIVE_FROM, occurred_at=moment, actor=actor)
        if policy_version not in {p.version for _, p in consortium.adopted_policies()}:
            raise NotFoundError(f"scoring policy v{policy_version} was never adopted")
        review_id = PromotionReview.create_id(quarter=quarter)
        if self.exists(review_id):
            review = self.review(quarter)
            if review.policy_version != policy_version:
                raise ReviewStateError(
                    f"review {quarter} was opened under scoring policy v{review.policy_version}; "
                    f"it cannot be scored under v{policy_version}"
                )
            if review.inputs_digest == inputs_digest and tuple(review.candidates.values()) == candidates:
                return False
        else:
            review = PromotionReview(
                quarter=quarter, policy_version=policy_version, occurred_at=moment, actor=actor
            )
        review.record_scores(candidates, inputs_digest, occurred_at=moment, actor=actor)
        self.save(consortium, review)
        return True

    def decide(
        self,
        quarter: str,
        program_code: str,
        decision: Decision,
        reason: str,
        meeting_ref: str,
        participants: tuple[str, ...] = (),
        actor: str = "council",
        occurred_at: datetime | None = None,
    ) -> tuple[str, ...]:
        """Record a council decision; a promotion makes the programme a joint project.

        Returns the participants of the joint project (empty unless promoted): those
        named, or every agency active on the day of the decision.
        """
        moment = occurred_at or now()
        review = self.review(quarter)
        candidate = review.candidates.get(program_code)
        if decision == "promote" and candidate is not None and not candidate.eligible:
            raise ReviewStateError(
                f"{program_code} did not pass the gates of review {quarter} "
                f"({candidate.failed_gate}); it can be deferred or declined, not promoted"
            )
        review.decide(program_code, decision, reason, meeting_ref, occurred_at=moment, actor=actor)
        if decision != "promote":
            self.save(review)
            return ()
        program = self.program(program_code)
        consortium = self.consortium()
        for agency in participants:
            consortium.check_active(agency, on=moment.date())
        chosen = participants or tuple(consortium.agencies_on(moment.date()))
        program.promote(quarter, chosen, occurred_at=moment, actor=actor)
        self.save(review, program)
        return program.joint_participants

    # -- the outbox -------------------------------------------------------------

    def notifications(
        self, start: int, limit: int, topics: tuple[str, ...] = ()
    ) -> list[Notification]:
        return list(self.notification_log.select(start=start, limit=limit, topics=topics))

    def max_notification_id(self) -> int:
        return self.recorder.max_notification_id() or 0

    def iter_events(self, batch: int = 500) -> Iterator[tuple[Notification, Any]]:
        start = 1
        while True:
            page = self.notifications(start, batch)
            if not page:
                return
            for notification in page:
                yield notification, self.mapper.to_domain_event(notification)
            start = page[-1].id + 1
