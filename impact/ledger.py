"""The ledger: eventsourcing's application holding the event store and the outbox.

Commands are decided by their handlers (``impact.application.handlers``) in a unit of
work (``impact.application.unit_of_work``), stored atomically here. The notification
log of this application is the outbox the relay publishes to ``impact.events``.
Reads (``consortium()``, ``program(code)``, ...) return instances to look at.
"""

from collections.abc import Iterator, Sequence
from pathlib import Path
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

from impact.application.commands import Command
from impact.application.handlers import HANDLERS
from impact.application.unit_of_work import UnitOfWork
from impact.contract.chain import PlatformKey
from impact.domain.base import Aggregate
from impact.domain.consortium import Consortium
from impact.domain.evidence import EvidenceDocument
from impact.domain.plan import Plan
from impact.domain.program import Program
from impact.domain.proposal import Proposal
from impact.domain.review import Decision, PromotionReview
from impact.errors import AlreadyExistsError, ConflictError, NotFoundError
from impact.eventstore import OrjsonTranscoder, PydanticMapper
from impact.store_chain import Link

A = TypeVar("A", bound=Aggregate)


class Ledger(Application[UUID]):
    """The event store of the impact ledger, its outbox and its use cases."""

    name = "impact"
    log_section_size = 5000
    # Keep aggregates read (the consortium above all, read for every submission) and
    # bring them up to date with one query for newer events instead of replaying them
    # all; each caller gets its own copy. Fast-forwarding sees other processes' events.
    env: ClassVar[dict[str, str]] = {"AGGREGATE_CACHE_MAXSIZE": "4096"}

    _seal_key: PlatformKey | None = None

    def construct_transcoder(self) -> Transcoder:
        return OrjsonTranscoder()

    def construct_recorder(self) -> ProcessRecorder:
        # A process recorder stores tracking records ("consumed up to offset O of
        # partition P") in the same transaction as the events they caused.
        return self.factory.process_recorder()

    def construct_mapper(self) -> Mapper[UUID]:
        return self.factory.mapper(
            transcoder=self.construct_transcoder(), mapper_class=PydanticMapper
        )

    # -- commands ---------------------------------------------------------------

    def unit_of_work(self, from_submissions: bool = False) -> UnitOfWork:
        return UnitOfWork(self, HANDLERS, from_submissions=from_submissions)

    def handle(self, command: Command) -> bool:
        """Decide one command and store what it changed. True if it recorded anything."""
        uow = self.unit_of_work()
        changed = uow.decide(command)
        uow.commit()
        return changed

    # -- the event store (the unit of work's port) ------------------------------

    def load(self, aggregate_id: UUID, copy: bool = True) -> Aggregate:
        """The aggregate as stored; ``copy=False``: the cached instance, to look at only."""
        aggregate: Aggregate = self.repository.get(aggregate_id, deepcopy_from_cache=copy)
        return aggregate

    def store(self, events: Sequence[Any], tracking: Tracking | None = None) -> None:
        """Store the events, in their order, and the tracking record in one transaction.

        A lost race (another process stored first) stores nothing and raises
        ``AlreadyExistsError`` when a tracking record was given (the position may have
        been processed already), ``ConflictError`` otherwise.
        """
        processing = ProcessingEvent[UUID](tracking=tracking)
        processing.collect_events(*events, seal=self._seal())
        try:
            self._notify(self._record(processing))
        except IntegrityError:
            if tracking is not None:
                raise AlreadyExistsError(
                    f"{tracking.application_name} at {tracking.notification_id} was already "
                    f"processed, or an aggregate changed meanwhile"
                ) from None
            names = sorted({type(e).__qualname__.split(".")[0] for e in events})
            raise ConflictError(
                f"{', '.join(names)} changed meanwhile (another process saved first); "
                f"read it again and retry"
            ) from None

    def _seal(self) -> PlatformKey | None:
        """The platform key that signs the store chain's last link of every transaction
        (``impact.store_chain``), when the environment names one."""
        if self._seal_key is None and self.env.get("IMPACT_PLATFORM_KEY"):
            self._seal_key = PlatformKey.load_or_create(Path(self.env["IMPACT_PLATFORM_KEY"]))
        return self._seal_key

    def store_chain(self, start: int, stop: int) -> list[Link] | None:
        """The store chain's links of notifications ``start``..``stop`` (None: this event
        store keeps no store chain)."""
        select = getattr(self.recorder, "select_links", None)
        return None if select is None else list(select(start, stop))

    def tracked_position(self, name: str) -> int | None:
        """The highest position recorded under ``name`` (None when nothing was)."""
        recorder = self.recorder
        assert isinstance(recorder, ProcessRecorder)
        return recorder.max_tracking_id(name)

    # -- reads ------------------------------------------------------------------

    def exists(self, aggregate_id: UUID) -> bool:
        try:
            self.load(aggregate_id, copy=False)
        except AggregateNotFoundError:
            return False
        return True

    def _read(self, cls: type[A], aggregate_id: UUID, what: str) -> A:
        return self.unit_of_work().get(cls, aggregate_id, what)

    def consortium(self) -> Consortium:
        return self._read(Consortium, Consortium.create_id(), "the consortium (run `impact init`)")

    def plan(self) -> Plan:
        return self._read(Plan, Plan.create_id(), "the plan (run `impact init`)")

    def program(self, code: str) -> Program:
        return self._read(Program, Program.create_id(code=code), f"programme {code}")

    def evidence(self, sha256: str) -> EvidenceDocument:
        return self._read(
            EvidenceDocument,
            EvidenceDocument.create_id(sha256=sha256),
            f"document {sha256[:12]}… in the evidence register",
        )

    def proposal(self, code: str) -> Proposal:
        return self._read(Proposal, Proposal.create_id(code=code), f"proposal {code}")

    def review(self, quarter: str) -> PromotionReview:
        return self._read(
            PromotionReview, PromotionReview.create_id(quarter=quarter), f"the review of {quarter}"
        )

    def decisions_of(self, quarter: str) -> dict[str, Decision]:
        """The council's decisions in the review of a quarter (none if it was never opened)."""
        try:
            return dict(self.review(quarter).decisions)
        except NotFoundError:
            return {}

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
