"""The public contract of ``impact.events``: one envelope per stored domain event.

The envelope is what every reader downstream sees (loader, auditors, other
systems). Its ``payload`` is the event's own fields, as the event class's JSON
Schema describes them; ``type`` names the class (``Program.OutcomeReported``) and
``schema_version`` its version, so readers can upcast old records.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from pydantic import BaseModel, ConfigDict, Field

from impact.domain.base import event_id
from impact.errors import ContractError

ENVELOPE_FIELDS = ("originator_id", "originator_version", "timestamp", "occurred_at", "actor")
HIDDEN_FIELDS = ("originator_topic",)


class EventEnvelope(BaseModel):
    """One domain event as published on ``impact.events``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: UUID = Field(description="uuid5(aggregate_id, str(aggregate_version)).")
    type: str = Field(description="Aggregate and event class, e.g. Program.OutcomeReported.")
    schema_version: int = Field(ge=1)
    aggregate_type: str
    aggregate_id: UUID
    aggregate_version: int = Field(ge=1)
    notification_id: int = Field(ge=1, description="Position in the event store's log.")
    occurred_at: datetime = Field(description="Business time.")
    recorded_at: datetime = Field(description="System time the event was stored.")
    actor: str
    payload: dict[str, Any]

    def to_bytes(self) -> bytes:
        return orjson.dumps(self.model_dump(mode="json"))

    @classmethod
    def from_bytes(cls, data: bytes) -> "EventEnvelope":
        try:
            return cls.model_validate_json(data)
        except ValueError as exc:
            raise ContractError(f"not an event envelope: {exc}") from exc


def envelope_for(notification_id: int, domain_event: Any) -> EventEnvelope:
    """Wrap a domain event (a pydantic model) read from the notification log."""
    cls = type(domain_event)
    aggregate_cls_name, _, _ = cls.__qualname__.partition(".")
    owner = getattr(__import__(cls.__module__, fromlist=[aggregate_cls_name]), aggregate_cls_name)
    state = domain_event.model_dump(mode="json")
    payload = {k: v for k, v in state.items() if k not in ENVELOPE_FIELDS + HIDDEN_FIELDS}
    return EventEnvelope(
        event_id=event_id(domain_event.originator_id, domain_event.originator_version),
        type=cls.__qualname__,
        schema_version=getattr(cls, "class_version", 1),
        aggregate_type=getattr(owner, "kind", aggregate_cls_name.lower()),
        aggregate_id=domain_event.originator_id,
        aggregate_version=domain_event.originator_version,
        notification_id=notification_id,
        occurred_at=domain_event.occurred_at,
        recorded_at=domain_event.timestamp,
        actor=domain_event.actor,
        payload=payload,
    )
