"""The screens (``impact.contract.payloads._screens``: each payload model compiled to a
validator without Python) accept only what the model accepts: ``payload_problem`` gives
the careful verdict and reason for every payload, real ones, ones generated from the
contract's JSON Schemas, and nasty ones (wrong types, extra and missing keys, huge
numbers, NaN, exponents, control characters, digits of other scripts, nested junk)."""

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from impact.contract.payloads import (
    _payload_models,
    _screens,
    _versions,
    careful_payload_problem,
    payload_problem,
)
from impact.contract.schemas import contract_schemas

SAMPLES: dict[str, dict[str, Any]] = json.loads(
    (Path(__file__).parent / "payload_samples.json").read_text(encoding="utf-8")
)
"""One real payload of each type found on a bench log (at the contract's schema version)."""
TYPES = sorted(_payload_models())
NASTY: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    2**53,
    2**64,
    10**30,
    -(10**30),
    1.5,
    -0.0,
    math.nan,
    math.inf,
    "",
    " ",
    "\x00",
    "a\nb",
    "a\tb",
    "\x7f",
    "\x9f",
    "\u2028",
    "😀",
    "1E+3",
    "0E+999999999",
    "1e-7",
    "1.1234567",
    "1.123456",
    "-0",
    "1_000",
    "１２３",
    "٣",
    " 1",
    "1 ",
    "+1",
    ".5",
    "5.",
    "9" * 19,
    "9" * 18,
    "9" * 18 + ".999999",
    "-" + "9" * 18,
    "NaN",
    "-Infinity",
    "2019Q1",
    "1999Q4",
    "2000Q1",
    "2100Q4",
    "2101Q1",
    "２０１９Q1",
    "2019Q1\n",
    "2019q1",
    "2019Q5",
    "2019-02-29",
    "2020-02-29",
    "2019-13-01",
    "2019-1-1",
    "20190101",
    20190101,
    1_700_000_000,
    "2019-04-08T00:52:43Z",
    "HTTP://x",
    "https:",
    "https://evidence.example/a.pdf",
    "javascript:alert(1)",
    "ſhttps://x",
    "https://x\x00",
    "a" * 65,
    "a" * 2049,
    "0" * 64,
    "A" * 64,
    [],
    {},
    [1, "a"],
    {"a": 1},
    {"nested": {"junk": [None, math.nan]}},
]
TEXTS = (
    st.text(max_size=12)
    | st.from_regex(r"-?[0-9]{1,20}(\.[0-9]{1,8})?", fullmatch=True)
    | st.from_regex(r"(19|20|21)[0-9]{2}Q[0-5]", fullmatch=True)
    | st.from_regex(r"(?i:https?|ftp):[a-z/.\x00\x7f]{0,8}", fullmatch=True)
    | st.decimals(allow_nan=True).map(str)
)

QUANTITIES = st.from_regex(r"-?[0-9]{1,19}(\.[0-9]{1,7})?", fullmatch=True) | st.decimals().map(str)
HINTS = {
    "quarter": st.from_regex(r"(19|20|21)[0-9]{2}Q[1-4]", fullmatch=True),
    "value": QUANTITIES,
    "target": QUANTITIES,
    "actual": QUANTITIES,
    "uri": st.from_regex(r"(?i:https?):[a-z/.]{0,8}", fullmatch=True),
}
"""Values like the ones the contract holds, for fields of these names."""


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = root["$defs"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def plausible(schema: dict[str, Any], root: dict[str, Any], nasty: bool) -> st.SearchStrategy[Any]:
    """Values of ``schema`` (one of the contract's JSON Schemas), mostly as the schema has
    them; with ``nasty``, any value anywhere may be one of NASTY, and objects may lose keys
    and gain others."""
    schema = _resolve(schema, root)
    base = _plausible(schema, root, nasty)
    return st.one_of(base, base, base, st.sampled_from(NASTY)) if nasty else base


def _plausible(schema: dict[str, Any], root: dict[str, Any], nasty: bool) -> Any:
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "anyOf" in schema:
        return st.one_of([plausible(s, root, nasty) for s in schema["anyOf"]])
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        if not properties:
            values = plausible(schema.get("additionalProperties") or {}, root, nasty)
            return st.dictionaries(st.text(max_size=6), values, max_size=3)
        fields = {
            name: HINTS[name] | plausible(s, root, nasty)
            if name in HINTS
            else plausible(s, root, nasty)
            for name, s in properties.items()
        }
        required = set(schema.get("required", ()))
        made = st.fixed_dictionaries(
            {k: v for k, v in fields.items() if k in required},
            optional={k: v for k, v in fields.items() if k not in required},
        )
        if not nasty:
            return made
        return st.tuples(
            made, st.dictionaries(st.sampled_from([*properties, "extra"]), st.none(), max_size=2)
        ).map(lambda pair: _altered(*pair))
    if kind == "array":
        items = plausible(schema.get("items") or {}, root, nasty)
        return st.lists(items, max_size=4)
    if kind == "string":
        if "pattern" in schema:
            pattern = schema["pattern"]
            ascii_only = st.characters(codec="ascii")
            return (
                st.from_regex(pattern)
                | st.from_regex(pattern, fullmatch=True, alphabet=ascii_only)
                | st.from_regex(pattern, fullmatch=True, alphabet=ascii_only)
                | TEXTS
            )
        if schema.get("format") == "date":
            return st.dates().map(lambda d: d.isoformat())
        if schema.get("format") == "date-time":
            return st.datetimes().map(lambda d: d.isoformat() + "Z")
        return TEXTS
    if kind == "integer":
        return st.integers(schema.get("minimum"), schema.get("maximum")) | st.integers()
    if kind == "number":
        return st.integers() | st.floats() | TEXTS
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    return st.sampled_from(NASTY)


def _altered(made: dict[str, Any], changes: dict[str, None]) -> dict[str, Any]:
    """Each key of ``changes``: removed when there, else added (with None)."""
    altered = dict(made)
    for key in changes:
        if key in altered:
            del altered[key]
        else:
            altered[key] = None
    return altered


@pytest.fixture(scope="module")
def payload_schemas() -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    schemas = {}
    for name, schema in contract_schemas().items():
        if name.startswith("events/"):
            event_type = name.removeprefix("events/").removesuffix(".json")
            schemas[event_type] = (schema["properties"]["payload"], schema)
    return schemas


def same_verdict(event_type: str, payload: Any, version: int | None = None) -> str | None:
    version = _versions()[event_type] if version is None else version
    careful = careful_payload_problem(event_type, version, payload)
    assert payload_problem(event_type, version, payload) == careful, (event_type, payload)
    return careful


def test_the_types_on_the_log_most_are_screened():
    hot = {"Submission.Accepted", "Program.OutcomeReported", "Program.Registered"}
    hot |= {"Program.OutcomeCorrected", "Proposal.Submitted", "Proposal.Reviewed"}
    assert hot <= set(_screens())


@pytest.mark.parametrize("event_type", sorted(SAMPLES))
def test_a_real_payload_is_accepted_by_its_screen(event_type):
    payload = SAMPLES[event_type]
    assert same_verdict(event_type, payload) is None
    if event_type in _screens():
        assert _screens()[event_type](payload)


@pytest.mark.parametrize("event_type", sorted(SAMPLES))
def test_a_real_payload_with_any_one_field_nasty_gets_the_careful_verdict(event_type):
    def places(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        found = [path]
        if isinstance(value, dict):
            for k, v in value.items():
                found += places(v, (*path, k))
        elif isinstance(value, list):
            for i, v in enumerate(value[:3]):
                found += places(v, (*path, i))
        return found

    def replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
        if not path:
            return new
        copy = dict(value) if isinstance(value, dict) else list(value)
        copy[path[0]] = replaced(value[path[0]], path[1:], new)
        return copy

    sample = SAMPLES[event_type]
    for path in places(sample)[1:]:
        for nasty in NASTY:
            same_verdict(event_type, replaced(sample, path, nasty))
    for key in sample:
        same_verdict(event_type, {k: v for k, v in sample.items() if k != key})
    same_verdict(event_type, {**sample, "extra": None})
    same_verdict(event_type, sample, version=_versions()[event_type] + 1)
    if _versions()[event_type] > 1:
        same_verdict(event_type, sample, version=1)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.data())
def test_generated_payloads_get_the_careful_verdict(payload_schemas, data):
    event_type = data.draw(st.sampled_from(TYPES))
    nasty = data.draw(st.booleans())
    schema, root = payload_schemas[event_type]
    payload = data.draw(plausible(schema, root, nasty))
    same_verdict(event_type, payload)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.data())
def test_generated_quantities_get_the_careful_verdict(data):
    """Quantities and quarters drawn densely around the bounds the screens write out."""
    event_type = data.draw(st.sampled_from(["Program.OutcomeReported", "Program.Registered"]))
    sample = dict(SAMPLES[event_type])
    value = data.draw(
        st.decimals(allow_nan=True).map(str)
        | st.from_regex(r"[-+]?[0-9]{0,20}(\.[0-9]{0,8})?([eE][-+]?[0-9]{1,3})?", fullmatch=True)
        | st.sampled_from(NASTY)
    )
    quarter = data.draw(
        st.from_regex(r"[0-9]{4}Q[0-9]", fullmatch=True) | st.sampled_from(["2019Q1", "２０００Q1"])
    )
    if event_type == "Program.OutcomeReported":
        sample.update(value=value, quarter=quarter)
    else:
        sample["targets"] = [{"metric": "jobs_created", "quarter": quarter, "value": value}]
    same_verdict(event_type, sample)


def test_a_type_outside_the_contract_gets_the_careful_reason():
    assert (
        same_verdict("Nothing.Happened", {}, version=1)
        == "'Nothing.Happened' is not an event type of the contract"
    )
