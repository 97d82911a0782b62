"""The base of every aggregate and event: pydantic events on eventsourcing aggregates.

Every event carries, beside eventsourcing's originator id, version and system
``timestamp`` (when it was recorded), the business time ``occurred_at`` and the
``actor`` (an agency code, or a person's staff reference) who caused it. Events are
pydantic models, so they are also the public contract of ``impact.events``.
"""

from datetime import datetime
from typing import Any, ClassVar, Self
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import BaseAggregate, CanInitAggregate, CanMutateAggregate
from pydantic import BaseModel, ConfigDict, Field

from impact import clock

LEDGER_NAMESPACE = uuid5(NAMESPACE_URL, "https://busan-impact-ledger.example/ns")


def natural_id(kind: str, key: str) -> UUID:
    """A stable aggregate id derived from a natural key, e.g. ``program:P-KAMCO-01``."""
    return uuid5(LEDGER_NAMESPACE, f"{kind}:{key}")


def event_id(aggregate_id: UUID, version: int) -> UUID:
    """The deterministic id of the event at ``version`` of an aggregate."""
    return uuid5(aggregate_id, str(version))


class DomainEvent(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        """An event is immutable: a copy of an aggregate shares its pending events."""
        return self

    originator_id: UUID
    originator_version: int
    timestamp: datetime


class Aggregate(BaseAggregate[UUID]):
    """Base of the ledger's aggregates."""

    kind: ClassVar[str] = "aggregate"

    class Event(DomainEvent, CanMutateAggregate[UUID]):
        class_version: ClassVar[int] = 1
        occurred_at: datetime = Field(description="Business time: when it happened.")
        actor: str = Field(min_length=1, max_length=64)

        @staticmethod
        def create_timestamp() -> datetime:
            """The recorded time: the ledger's clock (``impact.clock``)."""
            return clock.now()

    class Created(Event, CanInitAggregate[UUID]):
        originator_topic: str


class Model(BaseModel):
    """A value object inside an event."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        """A value is immutable: a copy of an aggregate (the ledger copies each aggregate it
        hands out for a command) shares its values instead of copying them."""
        return self
