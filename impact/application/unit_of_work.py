"""The unit of work: decisions taken one after another, stored together.

* ``decide(command)`` runs the command's handler. A handler reads aggregates through
  ``get`` (a copy it may change) or ``look`` (an instance to look at only); both see
  what the decisions before it in this unit decided.
* Only a decision that succeeds is kept: a refused one leaves nothing behind.
* ``commit`` stores every kept event in the order decided, each decision's events
  together (auditors pair a submission with the event just before it), with an
  optional tracking record ("partition P consumed up to offset O"), in one
  transaction. Nothing is stored before ``commit``.
"""

from collections.abc import Callable, Mapping, Sequence
from copy import deepcopy
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import Tracking

from impact.domain.base import Aggregate
from impact.errors import NotFoundError

A = TypeVar("A", bound=Aggregate)


class EventStore(Protocol):
    """What a unit of work needs of the ledger's event store (the port a fake implements)."""

    def load(self, aggregate_id: UUID, copy: bool = True) -> Aggregate:
        """The aggregate as stored; raises ``AggregateNotFoundError`` when there is none."""

    def store(self, events: Sequence[Any], tracking: Tracking | None = None) -> None:
        """Store the events (and the tracking record) atomically, or nothing."""


Handler = Callable[["UnitOfWork", Any], tuple[Aggregate, ...]]


class UnitOfWork:
    def __init__(
        self,
        store: EventStore,
        handlers: Mapping[type, Handler],
        from_submissions: bool = False,
    ) -> None:
        self.event_store = store
        self.handlers = handlers
        self.from_submissions = from_submissions
        """The commands come from signed submissions: the events they cause name them."""
        self.arrived_at: datetime | None = None
        """When the message being decided reached the ledger (its broker timestamp); None
        for a command entered by staff, which arrives when it is decided."""
        self._changed: dict[UUID, Aggregate] = {}
        self._seen: dict[UUID, Aggregate] = {}
        """Aggregates looked at as stored, each read once per unit: a batch of submissions
        reads the consortium (its agencies' keys) once, not once a message. What another
        process stored meanwhile is not seen by the rest of the batch, as if the batch had
        been decided a moment earlier; an aggregate to change (``get``) is read as stored
        each time, and a change on one another process moved on is refused at ``commit``."""
        self.events: list[Any] = []
        """The new events in the order they were decided."""

    # -- reads ------------------------------------------------------------------

    def get(self, cls: type[A], aggregate_id: UUID, what: str) -> A:
        """A copy of the aggregate to decide on, as the decisions before left it."""
        return self._read(cls, aggregate_id, what, copy=True)

    def look(self, cls: type[A], aggregate_id: UUID, what: str) -> A:
        """The aggregate to look at, never to change (no copy is made)."""
        return self._read(cls, aggregate_id, what, copy=False)

    def exists(self, aggregate_id: UUID) -> bool:
        try:
            self._read(Aggregate, aggregate_id, "", copy=False)
        except NotFoundError:
            return False
        return True

    def _read(self, cls: type[A], aggregate_id: UUID, what: str, copy: bool) -> A:
        aggregate: Aggregate | None = self._changed.get(aggregate_id)
        if aggregate is not None:
            aggregate = deepcopy(aggregate) if copy else aggregate
        elif not copy and aggregate_id in self._seen:
            aggregate = self._seen[aggregate_id]
        else:
            try:
                aggregate = self.event_store.load(aggregate_id, copy=copy)
            except AggregateNotFoundError:
                raise NotFoundError(f"{what} does not exist") from None
            if not copy:
                self._seen[aggregate_id] = aggregate
        if not isinstance(aggregate, cls):
            raise NotFoundError(f"{what} does not exist")
        return aggregate

    def arrival(self) -> datetime:
        """When the command being decided arrived: the message's broker time, or now."""
        return self.arrived_at or datetime.now(UTC)

    # -- decisions --------------------------------------------------------------

    def decide(self, command: Any) -> bool:
        """Decide one command; keep what it changed. True if it changed anything."""
        try:
            handler = self.handlers[type(command)]
        except KeyError:
            raise TypeError(f"no handler for {type(command).__name__}") from None
        return self.keep(*handler(self, command)) > 0

    def keep(self, *aggregates: Aggregate) -> int:
        """Keep the aggregates a decision changed; return how many new events they hold."""
        before = len(self.events)
        for aggregate in aggregates:
            earlier = self._changed.get(aggregate.id)
            done = len(earlier.pending_events) if earlier is not None else 0
            self.events.extend(aggregate.pending_events[done:])
            self._changed[aggregate.id] = aggregate
        return len(self.events) - before

    def commit(self, tracking: Tracking | None = None) -> int:
        """Store every kept event (and the tracking record) in one transaction."""
        if self.events or tracking is not None:
            self.event_store.store(self.events, tracking)
        for aggregate in self._changed.values():
            aggregate.collect_events()  # stored: no longer pending (a cached instance may be reused)
        stored = len(self.events)
        self._changed.clear()
        self._seen.clear()
        self.events = []
        return stored
