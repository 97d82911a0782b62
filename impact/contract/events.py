"""The public contract of ``impact.events``: one envelope per stored domain event.

The envelope is what every reader downstream sees (loader, auditors, other
systems). Its ``payload`` is the event's own fields, as the event class's JSON
Schema describes them; ``type`` names the class (``Program.OutcomeReported``) and
``schema_version`` its version, so readers can upcast old records.

Each envelope is also a link of the log's hash chain (``prev_hash``, ``hash``; see
``impact.audit.chain``), and ``Checkpoint`` is what ``impact.events.checkpoints``
carries: the chain's hash at a notification id, signed by the platform key.
"""

import sys
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from pydantic import BaseModel, ConfigDict, Field

from impact.domain.base import event_id
from impact.errors import ContractError

HEX64 = r"^[0-9a-f]{64}$"
CHAIN_FIELDS = ("prev_hash", "hash")
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
    prev_hash: str | None = Field(
        default=None, pattern=HEX64,
        description="hash of the envelope before this one in notification-id order "
                    "(64 zeros for the first); absent on records published before the chain.",
    )
    hash: str | None = Field(
        default=None, pattern=HEX64,
        description="sha256(bytes of prev_hash + sha256(RFC 8785 canonical JSON of this "
                    "envelope without prev_hash and hash)), hex.",
    )

    def to_bytes(self) -> bytes:
        return orjson.dumps(self.model_dump(mode="json"))

    def content(self) -> dict[str, Any]:
        """The envelope as JSON without its chain fields: what its hash covers."""
        return self.model_dump(mode="json", exclude=set(CHAIN_FIELDS))

    @classmethod
    def from_bytes(cls, data: bytes) -> "EventEnvelope":
        try:
            return cls.model_validate_json(data)
        except ValueError as exc:
            raise ContractError(f"not an event envelope: {exc}") from exc


_aggregate_types: dict[type, str] = {}


def aggregate_type_of(event_cls: type) -> str:
    """The ``kind`` of the aggregate an event class is nested in (looked up once per class)."""
    kind = _aggregate_types.get(event_cls)
    if kind is None:
        owner_name = event_cls.__qualname__.partition(".")[0]
        owner = getattr(sys.modules[event_cls.__module__], owner_name)
        kind = _aggregate_types[event_cls] = str(getattr(owner, "kind", owner_name.lower()))
    return kind


def envelope_for(notification_id: int, domain_event: Any) -> EventEnvelope:
    """Wrap a domain event (a pydantic model) read from the notification log."""
    cls = type(domain_event)
    state = domain_event.model_dump(mode="json")
    payload = {k: v for k, v in state.items() if k not in ENVELOPE_FIELDS + HIDDEN_FIELDS}
    return EventEnvelope(
        event_id=event_id(domain_event.originator_id, domain_event.originator_version),
        type=cls.__qualname__,
        schema_version=getattr(cls, "class_version", 1),
        aggregate_type=aggregate_type_of(cls),
        aggregate_id=domain_event.originator_id,
        aggregate_version=domain_event.originator_version,
        notification_id=notification_id,
        occurred_at=domain_event.occurred_at,
        recorded_at=domain_event.timestamp,
        actor=domain_event.actor,
        payload=payload,
    )


class Checkpoint(BaseModel):
    """The hash chain of ``events_topic`` up to a notification id, signed by the platform key.

    ``signature`` is Ed25519 over the RFC 8785 canonical JSON of every other field.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    events_topic: str
    up_to_notification_id: int = Field(ge=1)
    hash: str = Field(pattern=HEX64, description="The chain's hash at up_to_notification_id.")
    signed_at: datetime
    key_id: str = Field(description="Id of the platform key (sha256 of its raw public key, 16 hex).")
    algorithm: str = "ed25519"
    signature: str = Field(description="base64")

    def signed_part(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"signature"})

    def to_bytes(self) -> bytes:
        return orjson.dumps(self.model_dump(mode="json"))

    @classmethod
    def from_bytes(cls, data: bytes) -> "Checkpoint":
        try:
            return cls.model_validate_json(data)
        except ValueError as exc:
            raise ContractError(f"not a checkpoint: {exc}") from exc
