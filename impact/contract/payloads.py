"""Each payload on ``impact.events`` judged by its event type's schema, as the loader and
the auditors read it.

The schema of a type is the contract's (``impact.contract.schemas.log_message_model``:
the event class's own fields, nothing else), so a payload is judged by the same pydantic
rules that wrote ``schemas/events/``. On top of the schema, every quantity the typed
tables cast to ``Decimal128(6)`` must be a finite decimal ClickHouse holds (fewer than
32 digits before the point): a payload that passes here is one no projection refuses.

The cheap way first: the loader judges every record, and a pydantic model with Python
validators costs several microseconds a payload (a hundred for a programme with many
targets). So each type's model is also compiled (``_screens``) into a second
pydantic-core validator that builds no model and calls no Python: the same core schema,
node for node (the same lax rules, the same Rust patterns), with each model a typed dict
and each known Python validator replaced by core checks at least as strict (a control
character check by the pattern of the characters it allows, a quarter's year range by
the years written out, a quantity's bounds by the pattern of the decimals within them,
an evidence address's scheme by its pattern). A payload it accepts is one the model
accepts and whose quantities pass; anything else (refused by it, a type with a Python
validator it does not know, an older schema version) is judged the careful way, which
alone writes the reasons. A property test holds the two to the same verdicts.
"""

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import cache, partial
from typing import Any, get_args

from pydantic import BaseModel, ValidationError
from pydantic_core import SchemaValidator, core_schema

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


def prepare_screens() -> None:
    """Build every type's screen now (the contract's models are imported and compiled once
    per process, a few tenths of a second): a loader does it when it is built, not on the
    first record it reads."""
    _screens()
    _versions()


def payload_problem(event_type: str, schema_version: int, payload: dict[str, Any]) -> str | None:
    """Why ``payload`` (a parsed JSON object) is not a valid payload of ``event_type``;
    None when it is. A payload of an older ``schema_version`` than the class's (upcast
    when read) is judged by its quantities only."""
    screen = _screens().get(event_type)
    if screen is not None and schema_version == _versions()[event_type] and screen(payload):
        return None
    return careful_payload_problem(event_type, schema_version, payload)


def careful_payload_problem(
    event_type: str, schema_version: int, payload: dict[str, Any]
) -> str | None:
    """``payload_problem`` by the model itself: the reasons, and the reference the screens
    are held to."""
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


# -- the cheap way: each model compiled to a validator without Python ----------------


class _Unscreened(Exception):
    """A schema node the screen has no core equivalent for: the type is judged the careful way."""


@cache
def _screens() -> dict[str, Callable[[Any], bool]]:
    """Event type → whether a payload surely passes (``isinstance_python`` of the screen)."""
    screens: dict[str, Callable[[Any], bool]] = {}
    for event_type, model in _payload_models().items():
        try:
            schema = model.__pydantic_core_schema__
            for path in QUANTITIES.get(event_type, ()):
                _screened_quantity(schema, path)
            schema = _screened(schema, _known_checks())
        except _Unscreened:
            continue
        screens[event_type] = SchemaValidator(schema).isinstance_python
    return screens


_Check = Callable[[Any], Any]
"""What replaces ``function-after(f, inner)``: given inner's screen, a screen at least as strict
as ``f`` applied to ``inner``'s output."""


@cache
def _known_checks() -> dict[Any, _Check]:
    """The Python validators of the contract with their core equivalents."""
    from impact.domain import program, quarter, values

    def then(pattern: str) -> _Check:
        return lambda inner: _chain(inner, core_schema.str_schema(pattern=pattern, strict=True))

    checks: dict[Any, _Check] = {
        # Only the characters the check allows, start to end ($ ends the text in Rust).
        get_args(values.Line)[1].func: then(_allowed_only(values._LINE_FORBIDDEN)),
        get_args(values.Text)[1].func: then(_allowed_only(values._TEXT_FORBIDDEN)),
        # The year, in ASCII digits, one of the years the range holds.
        quarter._in_range: then(
            "^(?:"
            + "|".join(str(y) for y in range(quarter.FIRST_YEAR, quarter.LAST_YEAR + 1))
            + ")Q"
        ),
        # https in ASCII letters of either case (no Unicode case folding). A register
        # address (docreg:) is left to the model: it is checked against the sha256 beside it.
        values._web_address: then("^[hH][tT][tT][pP][sS]:"),
        # Only a docreg: address can name another document than its sha256, and the screen
        # of the address above lets none through: nothing is left to check.
        program.Evidence._register_address_names_the_hash: lambda inner: inner,
        # A decimal written out with the digits a quantity allows: finite, within bounds,
        # no exponent; then the decimal's own rules.
        values.within_bounds: lambda inner: _chain(
            core_schema.str_schema(
                pattern=f"^-?[0-9]{{1,{values.MAX_INTEGER_DIGITS}}}"
                f"(?:\\.[0-9]{{1,{values.DECIMAL_PLACES}}})?$",
                strict=True,
            ),
            inner,
        ),
    }
    return checks


def _allowed_only(forbidden: re.Pattern[str]) -> str:
    """The pattern (Rust's syntax) of a text none of whose characters is in ``forbidden``,
    a class of single characters and ranges (anything else is not screened)."""
    text, inner = forbidden.pattern, forbidden.pattern[1:-1]
    plain = text[:1] == "[" and text[-1:] == "]" and inner[:1] != "^" and forbidden.flags == re.U
    if not plain or any(c in inner for c in "[]\\&~|") or "--" in inner:
        raise _Unscreened(f"not a plain character class: {text!r}")
    return f"^[^{inner}]*$"


def _chain(*steps: Any) -> Any:
    return core_schema.chain_schema(list(steps))


_VERBATIM = frozenset({"str", "int", "bool", "date", "datetime", "literal", "decimal"})
"""Nodes validated in Rust alone, copied as they are (same lax rules, same constraints)."""


def _screened(node: Any, checks: dict[Any, _Check]) -> Any:
    """The screen of a core schema node (see the module's docstring)."""
    kind = node["type"]
    if kind in _VERBATIM:
        return {k: v for k, v in node.items() if k not in ("metadata", "ref", "serialization")}
    if kind == "model":
        if node.get("custom_init") or node.get("root_model") or node.get("post_init"):
            raise _Unscreened(f"model {node.get('cls')} has its own init")
        fields = node["schema"]
        if fields["type"] != "model-fields" or set(fields) - {
            "type",
            "fields",
            "computed_fields",
            "model_name",
        }:
            raise _Unscreened(f"model {node.get('cls')} has a model validator or options")
        config = node.get("config") or {}
        screened_fields = {}
        for name, field in fields["fields"].items():
            if set(field) - {"type", "schema", "metadata", "frozen"}:
                raise _Unscreened(f"field {name} has an alias or options")
            schema = _screened(field["schema"], checks)
            screened_fields[name] = core_schema.typed_dict_field(
                schema, required=schema["type"] != "default"
            )
        return core_schema.typed_dict_schema(
            screened_fields,
            extra_behavior=config.get("extra_fields_behavior", "ignore"),
            config=config,  # type: ignore[arg-type]
        )
    if kind == "function-after":
        function = node["function"]
        if function.get("type") != "no-info":
            raise _Unscreened("a validator that takes info")
        inner = _screened(node["schema"], checks)
        check = _length_check(function["function"]) or checks.get(function["function"])
        if check is None:
            raise _Unscreened(f"no core equivalent of {function['function']!r}")
        return check(inner)
    if kind in ("nullable", "default"):
        return {
            **{k: v for k, v in node.items() if k not in ("metadata", "ref", "serialization")},
            "schema": _screened(node["schema"], checks),
        }
    if kind == "tuple":
        return {
            **{k: v for k, v in node.items() if k not in ("metadata", "ref", "serialization")},
            "items_schema": [_screened(item, checks) for item in node["items_schema"]],
        }
    if kind == "dict":
        return {
            **{k: v for k, v in node.items() if k not in ("metadata", "ref", "serialization")},
            "keys_schema": _screened(node["keys_schema"], checks),
            "values_schema": _screened(node["values_schema"], checks),
        }
    if kind == "list":
        return {
            **{k: v for k, v in node.items() if k not in ("metadata", "ref", "serialization")},
            "items_schema": _screened(node["items_schema"], checks),
        }
    raise _Unscreened(f"no screen for a {kind!r} node")


def _length_check(function: Any) -> _Check | None:
    """pydantic's own length checks, added where a constraint follows a Python validator."""
    from pydantic._internal import _validators

    if not isinstance(function, partial) or function.args or len(function.keywords) != 1:
        return None
    if function.func is _validators.max_length_validator:
        limit = {"max_length": function.keywords["max_length"]}
    elif function.func is _validators.min_length_validator:
        limit = {"min_length": function.keywords["min_length"]}
    else:
        return None
    # Only after a text: the length of a str is what both count (code points).
    return lambda inner: _chain(inner, core_schema.str_schema(strict=True, **limit))


def _screened_quantity(node: Any, path: tuple[str, ...]) -> None:
    """Raise _Unscreened unless the field at ``path`` is a bounded quantity (whose screen,
    text of at most 18 digits before the point, passes ``quantity_problem`` too)."""
    from impact.domain import values

    # On the way, None or an absent field holds no quantity to check; at the end, an absent
    # field neither (a default), but None is no quantity.
    wrappers = ("nullable", "default") if path else ("default",)
    while node["type"] in wrappers:
        node = node["schema"]
    if not path:
        if node["type"] != "function-after" or node["function"]["function"] is not (
            values.within_bounds
        ):
            raise _Unscreened("a quantity that is not bounded")
        return
    head, rest = path[0], path[1:]
    if head == "*":
        if node["type"] == "list":
            return _screened_quantity(node["items_schema"], rest)
        if node["type"] == "tuple" and len(node["items_schema"]) == 1:
            return _screened_quantity(node["items_schema"][0], rest)
    elif node["type"] == "model" and head in node["schema"].get("fields", {}):
        return _screened_quantity(node["schema"]["fields"][head]["schema"], rest)
    raise _Unscreened(f"no quantity at {head!r}")
