"""How domain events are stored: pydantic models as JSON (orjson), with upcasting.

Events are kept exactly as their pydantic ``model_dump(mode="json")``; an event class
with ``class_version`` > 1 stores its version, and older stored versions are
upcast on read by the class's ``upcast_vN_vN+1`` static methods. The stored log
is never rewritten.
"""

from typing import Any, cast

import orjson
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    Mapper,
    MapperDeserialisationError,
    ProgrammingError,
    StoredEvent,
    Transcoder,
    Transcoding,
)
from eventsourcing.utils import get_topic, resolve_topic
from pydantic import BaseModel

from impact.errors import ContractError

BASE_FIELDS = ("originator_id", "originator_version")


class OrjsonTranscoder(Transcoder):
    def encode(self, obj: Any) -> bytes:
        return orjson.dumps(obj)

    def decode(self, data: bytes) -> Any:
        return orjson.loads(data)

    def register(self, transcoding: Transcoding) -> None:
        raise ProgrammingError("events are pydantic models; no transcodings are needed")


def event_state(domain_event: BaseModel) -> dict[str, Any]:
    """The JSON-ready state of an event, as stored and as published."""
    return domain_event.model_dump(mode="json")


def upcast(cls: type, state: dict[str, Any]) -> dict[str, Any]:
    """Bring a stored state up to the class's current version, in place."""
    class_version = getattr(cls, "class_version", 1)
    from_version = state.pop("class_version", 1)
    while from_version < class_version:
        getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(state)
        from_version += 1
    return state


class PydanticMapper(Mapper[Any]):
    def to_stored_event(self, domain_event: DomainEventProtocol[Any]) -> StoredEvent:
        state = event_state(cast(BaseModel, domain_event))
        for name in BASE_FIELDS:
            state.pop(name)
        class_version = getattr(type(domain_event), "class_version", 1)
        if class_version > 1:
            state["class_version"] = class_version
        data = self.transcoder.encode(state)
        if self.compressor:
            data = self.compressor.compress(data)
        if self.cipher:
            data = self.cipher.encrypt(data)
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=get_topic(type(domain_event)),
            state=data,
        )

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[Any]:
        cls = resolve_topic(stored_event.topic)
        data = stored_event.state
        try:
            if self.cipher:
                data = self.cipher.decrypt(data)
            if self.compressor:
                data = self.compressor.decompress(data)
            state: dict[str, Any] = self.transcoder.decode(data)
        except Exception as exc:
            raise MapperDeserialisationError(
                f"stored event {stored_event.originator_id} v{stored_event.originator_version} "
                f"({stored_event.topic}) cannot be decoded: {exc}"
            ) from exc
        upcast(cls, state)
        state["originator_id"] = stored_event.originator_id
        state["originator_version"] = stored_event.originator_version
        try:
            return cast(DomainEventProtocol[Any], cls.model_validate(state))
        except Exception as exc:
            raise ContractError(
                f"stored event {stored_event.originator_id} v{stored_event.originator_version} "
                f"({stored_event.topic}) does not match its class: {exc}"
            ) from exc
