"""An in-memory implementation of the unit of work's event-store port, for pure tests.

It keeps each aggregate as its stored events made it, refuses a batch whose versions
do not follow on (a lost race) or whose tracking position was already stored, and
records every batch it stored so a test can see what went in together.
"""

from collections.abc import Sequence
from copy import deepcopy
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import Tracking

from impact.application.handlers import HANDLERS
from impact.application.unit_of_work import UnitOfWork
from impact.domain.base import Aggregate
from impact.errors import AlreadyExistsError, ConflictError


class FakeEventStore:
    def __init__(self) -> None:
        self.aggregates: dict[UUID, Aggregate] = {}
        self.positions: dict[str, int] = {}
        self.batches: list[tuple[list[Any], Tracking | None]] = []
        self.refuse_next = 0
        """How many coming batches to refuse as if another process had stored first."""

    def load(self, aggregate_id: UUID, copy: bool = True) -> Aggregate:
        try:
            aggregate = self.aggregates[aggregate_id]
        except KeyError:
            raise AggregateNotFoundError(aggregate_id) from None
        return deepcopy(aggregate) if copy else aggregate

    def store(self, events: Sequence[Any], tracking: Tracking | None = None) -> None:
        if self.refuse_next:
            self.refuse_next -= 1
            raise (AlreadyExistsError if tracking else ConflictError)(
                "another process stored first"
            )
        if (
            tracking
            and self.positions.get(tracking.application_name, 0) >= tracking.notification_id
        ):
            raise AlreadyExistsError(f"{tracking.application_name} at {tracking.notification_id}")
        changed: dict[UUID, Aggregate | None] = {}
        for event in events:
            current = changed.get(event.originator_id, self.aggregates.get(event.originator_id))
            version = current.version if current is not None else 0
            if event.originator_version != version + 1:
                raise ConflictError(f"{event.originator_id} is at version {version}")
            changed[event.originator_id] = event.mutate(deepcopy(current))
        self.aggregates.update({k: v for k, v in changed.items() if v is not None})
        if tracking:
            self.positions[tracking.application_name] = tracking.notification_id
        self.batches.append((list(events), tracking))


class FakeLedger:
    """What the ingest needs of the ledger: units of work and stored positions."""

    def __init__(self, store: FakeEventStore | None = None) -> None:
        self.event_store = store or FakeEventStore()

    def unit_of_work(self, from_submissions: bool = False) -> UnitOfWork:
        return UnitOfWork(self.event_store, HANDLERS, from_submissions=from_submissions)

    def handle(self, command: Any) -> bool:
        uow = self.unit_of_work()
        changed = uow.decide(command)
        uow.commit()
        return changed

    def tracked_position(self, name: str) -> int | None:
        return self.event_store.positions.get(name)
