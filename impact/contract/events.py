"""The public contract of ``impact.events``: one envelope per stored domain event.

The envelope is what every reader downstream sees (loader, auditors, other
systems). Its ``payload`` is the event's own fields, as the event class's JSON
Schema describes them; ``type`` names the class (``Program.OutcomeReported``) and
``schema_version`` its version, so readers can upcast old records.

Each envelope is also a link of the log's hash chain (``prev_hash``, ``hash``; see
``impact.contract.chain``), and ``Checkpoint`` is what ``impact.events.checkpoints``
carries: the chain's hash at a notification id, signed by the platform key.
"""

import re
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
import orjson
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from impact.domain.base import event_id
from impact.errors import ContractError

HEX64 = r"^[0-9a-f]{64}$"
CHAIN_FIELDS = ("prev_hash", "hash")
ENVELOPE_FIELDS = ("originator_id", "originator_version", "timestamp", "occurred_at", "actor")
HIDDEN_FIELDS = ("originator_topic",)
NOTIFICATION_HEADER = "notification_id"
"""The Kafka header in which every record the relay publishes names its notification id."""


def notification_id_in(headers: list[tuple[str, bytes]] | None) -> int | None:
    """The notification id a record's headers name (None when absent or not a number)."""
    for name, value in headers or []:
        if name == NOTIFICATION_HEADER:
            try:
                return int(value)
            except ValueError:
                return None
    return None


UUID_TEXT = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
"""How an id is written in an envelope: RFC 4122 text, hyphenated."""
TIME_TEXT = (
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?"
    r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?$"
)
"""How a time is written in an envelope: RFC 3339 (``T`` and ``Z`` upper case, at most
microseconds); without an offset it is UTC."""
_UUID_TEXT, _TIME_TEXT = re.compile(UUID_TEXT), re.compile(TIME_TEXT)


def _text_as(pattern: re.Pattern[str], what: str, parse: Any) -> Any:
    """Read text written as ``pattern`` with ``parse`` (the loader's reading parses it the
    same way); anything else goes on to the field's own validation."""

    def check(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if not pattern.match(value):
            raise ValueError(f"{value[:80]!r} is not {what}")
        return parse(value)

    return BeforeValidator(check)


def _storable(moment: datetime) -> datetime:
    instant = moment.astimezone(UTC) if moment.tzinfo else moment
    if not 1900 <= instant.year <= 2299:
        raise ValueError(f"{moment.isoformat()} is outside the years 1900-2299 the ledger stores")
    return moment


Moment = Annotated[
    datetime,
    _text_as(_TIME_TEXT, "an RFC 3339 time", datetime.fromisoformat),
    AfterValidator(_storable),
]
"""A time written as RFC 3339, in the range ClickHouse's DateTime64 holds (1900-2299, UTC)."""
Id = Annotated[UUID, _text_as(_UUID_TEXT, "a hyphenated UUID", UUID)]


class EventEnvelope(BaseModel):
    """One domain event as published on ``impact.events``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: Id = Field(description="uuid5(aggregate_id, str(aggregate_version)).")
    type: str = Field(description="Aggregate and event class, e.g. Program.OutcomeReported.")
    schema_version: int = Field(ge=1, le=65_535)
    aggregate_type: str
    aggregate_id: Id
    aggregate_version: int = Field(ge=1, le=4_294_967_295)
    notification_id: int = Field(
        ge=1, le=9_223_372_036_854_775_807, description="Position in the event store's log."
    )
    occurred_at: Moment = Field(description="Business time.")
    recorded_at: Moment = Field(description="System time the event was stored.")
    actor: str
    payload: dict[str, Any]
    prev_hash: str | None = Field(
        default=None,
        pattern=HEX64,
        description="hash of the envelope before this one in notification-id order "
        "(64 zeros for the first); absent on records published before the chain.",
    )
    hash: str | None = Field(
        default=None,
        pattern=HEX64,
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
        """Read one record, strictly: JSON as RFC 8259 has it (no NaN), typed as the schema
        says (times as RFC 3339 text, ids as UUID text, numbers as JSON integers), no
        coercions. ``read_for_loading`` judges it first, so the two never disagree."""
        read_for_loading(data)
        try:
            return cls.model_validate_json(data, strict=True)
        except ValueError as exc:
            raise ContractError(f"not an event envelope: {exc}") from exc


# -- the loader's reading of a record -------------------------------------------------


class _EnvelopeFields(msgspec.Struct, forbid_unknown_fields=True):
    """The envelope as the loader reads it: the same rules as ``EventEnvelope`` (a property
    test holds the two to the same verdicts), the payload kept as the JSON text it is."""

    event_id: Annotated[str, msgspec.Meta(pattern=UUID_TEXT)]
    type: str
    schema_version: Annotated[int, msgspec.Meta(ge=1, le=65_535)]
    aggregate_type: str
    aggregate_id: Annotated[str, msgspec.Meta(pattern=UUID_TEXT)]
    aggregate_version: Annotated[int, msgspec.Meta(ge=1, le=4_294_967_295)]
    notification_id: Annotated[int, msgspec.Meta(ge=1, le=9_223_372_036_854_775_807)]
    occurred_at: Annotated[str, msgspec.Meta(pattern=TIME_TEXT)]
    recorded_at: Annotated[str, msgspec.Meta(pattern=TIME_TEXT)]
    actor: str
    payload: msgspec.Raw
    prev_hash: str | None = None  # HEX64, checked after decoding (cheaper than a pattern)
    hash: str | None = None


_read_fields = msgspec.json.Decoder(_EnvelopeFields).decode
_write_fields = msgspec.json.Encoder().encode


_read_payload = msgspec.json.Decoder(dict[str, Any]).decode


@dataclass(frozen=True)
class RecordRead:
    """One record of ``impact.events`` read for loading."""

    recorded_at: datetime
    json: bytes
    """The envelope as one JSON object, each field and each key of the payload once."""
    content: dict[str, Any]
    """The envelope's fields, the payload as Python values (what the chain hashes)."""


def read_for_loading(data: bytes) -> RecordRead:
    """Read a record as ``EventEnvelope.from_bytes`` would judge it, about four times faster:
    the payload is checked to be a JSON object but not turned into Python objects."""
    try:
        fields = _read_fields(data)
        for name, value in (("prev_hash", fields.prev_hash), ("hash", fields.hash)):
            if value is not None and (len(value) != 64 or value.strip("0123456789abcdef")):
                raise ValueError(f"{name}: {value[:80]!r} is not 64 lower-case hex digits")
        # Read to the end (msgspec skipped over it): a JSON object whose every value Python
        # holds (no lone surrogate, no number beyond a double).
        try:
            payload = _read_payload(fields.payload)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            raise ValueError(f"payload: {exc}") from None
        recorded_at = _storable(_parse_time(fields.recorded_at, "recorded_at"))
        _storable(_parse_time(fields.occurred_at, "occurred_at"))
    except (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError, ValueError) as exc:
        raise ContractError(f"not an event envelope: {exc}") from exc
    if recorded_at.tzinfo is None:  # a time without an offset is UTC
        recorded_at = recorded_at.replace(tzinfo=UTC)
    content = msgspec.structs.asdict(fields)
    content["payload"] = payload
    # Written from what was read: a key the payload repeats is written once, with the value
    # the hash covers (the last), never the first one that ClickHouse's JSON functions read.
    return RecordRead(recorded_at, _write_fields(content), content)


def _parse_time(text: str, field: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"{field}: {exc}") from exc


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
    key_id: str = Field(
        description="Id of the platform key (sha256 of its raw public key, 16 hex)."
    )
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
