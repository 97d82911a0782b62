"""Each payload on ``impact.events`` judged by its event type's schema, as the loader and
the auditors read it.

The schema of a type is the contract's (``impact.contract.schemas.log_message_model``:
the event class's own fields, nothing else), so a payload is judged by the same pydantic
rules that wrote ``schemas/events/``. On top of the schema, every quantity the typed
tables cast to ``Decimal128(6)`` must be a finite decimal ClickHouse holds (fewer than
32 digits before the point): a payload that passes here is one no projection refuses.
"""

from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from pydantic import BaseModel, ValidationError

QUANTITY_DIGITS = 32
"""Digits before the point a ``Decimal128(6)`` column holds (38 in all, 6 after it)."""
QUANTITIES: dict[str, tuple[tuple[str, ...], ...]] = {
    "Program.OutcomeReported": (("value",),),
    "Program.OutcomeCorrected": (("value",),),
    "Program.Registered": (("targets", "*", "value"),),
}
"""Where each type carries quantities the typed tables cast (``*``: every item of a list)."""


@cache
def _payload_models() -> dict[str, type[BaseModel]]:
    from impact.contract.schemas import event_classes, log_message_model

    models: dict[str, type[BaseModel]] = {}
    for event_cls in event_classes():
        model = log_message_model(event_cls)
        models[event_cls.__qualname__] = model.model_fields["payload"].annotation  # type: ignore[assignment]
    return models


@cache
def _versions() -> dict[str, int]:
    from impact.contract.schemas import event_classes

    return {cls.__qualname__: getattr(cls, "class_version", 1) for cls in event_classes()}


def payload_problem(event_type: str, schema_version: int, payload: dict[str, Any]) -> str | None:
    """Why ``payload`` (a parsed JSON object) is not a valid payload of ``event_type``;
    None when it is. A payload of an older ``schema_version`` than the class's (upcast
    when read) is judged by its quantities only."""
    model = _payload_models().get(event_type)
    if model is None:
        return f"{event_type[:80]!r} is not an event type of the contract"
    version = _versions()[event_type]
    if schema_version > version:
        return f"schema_version {schema_version} of {event_type} is not in the contract"
    if schema_version == version:
        try:
            model.model_validate(payload)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "payload"
            return f"payload {where}: {first['msg']} ({len(exc.errors())} problem(s))"
    for path in QUANTITIES.get(event_type, ()):
        for value in _at(payload, path):
            problem = quantity_problem(value)
            if problem:
                return f"payload {'.'.join(path)}: {problem}"
    return None


def quantity_problem(value: Any) -> str | None:
    """Why ``value`` is not a quantity every layer holds; None when it is."""
    if not isinstance(value, str):
        return f"{str(value)[:40]!r} is not a decimal written as text"
    try:
        number = Decimal(value)
    except InvalidOperation:
        return f"{value[:40]!r} is not a decimal number"
    if not number.is_finite() or number.adjusted() >= QUANTITY_DIGITS:
        return f"{value[:40]!r} is beyond what a Decimal128(6) holds"
    return None


def _at(value: Any, path: tuple[str, ...]) -> list[Any]:
    if not path:
        return [value]
    head, rest = path[0], path[1:]
    if head == "*":
        return [found for item in value or () for found in _at(item, rest)]
    if isinstance(value, dict) and head in value:
        return _at(value[head], rest)
    return []
