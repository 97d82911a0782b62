"""The cheap way to canonical JSON (``written_at_sight``) and the cheap way to an envelope's
digest write exactly the bytes of the careful way, or step aside, for any value at all:
floats, integers at and beyond ±(2**53 − 1), subclasses, keys that are not text or lie
beyond the BMP, lone surrogates, depth."""

import enum
import hashlib
import math
from collections import OrderedDict
from decimal import Decimal
from typing import Any

import orjson
import pytest
import rfc8785
from hypothesis import example, given, settings
from hypothesis import strategies as st

from impact.canonical_json import MAX_SAFE_INTEGER, _plain, canonical, written_at_sight
from impact.contract.chain import _safe_integers, content_digest
from impact.contract.events import CHAIN_FIELDS
from impact.errors import ContractError


def careful(value: Any) -> bytes:
    """``canonical`` as it was before the cheap way: the reference here."""
    try:
        if _plain(value):
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise ContractError(f"cannot be put in canonical form: {exc}") from exc


def careful_digest(content: dict[str, Any]) -> bytes:
    """``content_digest`` as it was before the cheap way."""
    unchained = {k: v for k, v in content.items() if k not in CHAIN_FIELDS}
    try:
        written = careful(unchained)
    except ContractError:
        written = careful(_safe_integers(unchained))
    return hashlib.sha256(written).digest()


def outcome(function: Any, value: Any) -> tuple[str, Any]:
    try:
        return "bytes", function(value)
    except ContractError as exc:
        return "refused", str(exc)


class Colour(enum.Enum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


class Text(str):
    pass


class Number(int):
    pass


class Mapping(dict):  # type: ignore[type-arg]
    pass


BOUNDS = [
    MAX_SAFE_INTEGER,
    MAX_SAFE_INTEGER + 1,
    -MAX_SAFE_INTEGER,
    -MAX_SAFE_INTEGER - 1,
    2**63 - 1,
    2**63,
    2**64,
    -(2**64),
    10**40,
]
ODD_SCALARS = st.sampled_from(
    [
        math.nan,
        math.inf,
        -math.inf,
        -0.0,
        1.0,
        1e21,
        1e-7,
        Decimal("1.5"),
        b"bytes",
        Colour.RED,
        Level.HIGH,
        Text("sub"),
        Number(7),
        Number(2**60),
        "lone \ud800 surrogate",
        (1, "tuple"),
        object(),
        True,
        False,
    ]
)
TEXT = st.text(max_size=6)  # any code point, lone surrogates too
KEYS = (
    TEXT
    | st.sampled_from(["a", "hash", "prev_hash", "é", "한", "\ue000", "\uffff", "\U00010000", "😀"])
    | st.sampled_from([Text("hash"), Text("k"), 1, None, (1, 2), 2.5, True])
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER)
    | st.integers()
    | st.sampled_from(BOUNDS)
    | st.floats()
    | TEXT
    | ODD_SCALARS
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(KEYS, inner, max_size=5)
        | st.dictionaries(st.text(max_size=4), inner, max_size=3).map(Mapping)
        | st.dictionaries(st.text(max_size=4), inner, max_size=3).map(OrderedDict)
        | st.lists(inner, max_size=3).map(tuple)
    ),
    max_leaves=25,
)
ENVELOPE = st.fixed_dictionaries(
    {
        "event_id": st.uuids().map(str),
        "type": st.just("Program.OutcomeReported"),
        "notification_id": st.integers(1, 2**63),
        "actor": TEXT,
        "payload": VALUES,
    },
    optional={"prev_hash": st.just("0" * 64), "hash": st.text(max_size=3) | st.none()},
).flatmap(lambda e: st.dictionaries(KEYS, VALUES, max_size=3).map(lambda extra: {**e, **extra}))


@settings(max_examples=1500)
@given(VALUES)
@example({"a": MAX_SAFE_INTEGER, "b": [-MAX_SAFE_INTEGER, True, None, "x"]})
@example({"a": MAX_SAFE_INTEGER + 1})
@example({"a": [-MAX_SAFE_INTEGER - 1]})
@example({"😀": 1, "\uffff": 2})
@example({"é": 1, "e": 2})
@example({Text("a"): 1})
@example({1: "a"})
@example({"a": Number(1)})
@example({"a": 1.0})
@example({"a": [math.nan]})
@example({"a": "lone \udfff"})
@example({"\ud800": 1})
@example([[[[[]]]]])
def test_canonical_writes_the_careful_bytes_or_refuses_as_it_did(value):
    assert outcome(canonical, value) == outcome(careful, value)
    cheap = written_at_sight(value)
    if cheap is not None:
        assert cheap == careful(value)


@settings(max_examples=1000)
@given(ENVELOPE)
@example({"notification_id": 2**53, "payload": {"value": "1"}, "hash": "x", "prev_hash": "y"})
@example({"payload": {"budget_krw": 10**16}, Text("hash"): "x"})
@example({"payload": {}, 1: "not text", "hash": "x"})
@example({"payload": {"é": 1}, "prev_hash": "0" * 64})
def test_the_digest_is_the_careful_digest_for_any_content(content):
    assert outcome(content_digest, content) == outcome(careful_digest, content)
    ordered = OrderedDict(content)  # not exactly a dict: the careful way only
    assert outcome(content_digest, ordered) == outcome(careful_digest, ordered)


def test_the_digest_of_real_envelopes_is_unchanged():
    envelope = {
        "event_id": "3d329b29-3a3c-580c-939b-2ec6a83f8db2",
        "type": "Program.OutcomeReported",
        "schema_version": 2,
        "aggregate_type": "program",
        "aggregate_id": "1f24ae58-fe1b-579d-a7ad-414235762002",
        "aggregate_version": 2,
        "notification_id": 1678,
        "occurred_at": "2019-04-08T00:52:43Z",
        "recorded_at": "2026-11-30T23:53:28.334518Z",
        "actor": "KOSPO",
        "payload": {
            "report_id": "P-KOSPO-03-X5/vulnerable_beneficiaries/2019Q1",
            "metric": "vulnerable_beneficiaries",
            "quarter": "2019Q1",
            "value": "1492",
            "unit": "people",
            "evidence": {"uri": "https://evidence.example/x.pdf", "sha256": "a4" * 32},
            "submission_id": "KOSPO-004868",
            "note": '부산 \u2028\x00\x7f"\\',
        },
        "prev_hash": "13" * 32,
        "hash": "6f" * 32,
    }
    assert written_at_sight({k: v for k, v in envelope.items() if k not in CHAIN_FIELDS})
    assert content_digest(envelope) == careful_digest(envelope)
    assert (
        content_digest(envelope).hex()
        == hashlib.sha256(
            rfc8785.dumps({k: v for k, v in envelope.items() if k not in CHAIN_FIELDS})
        ).hexdigest()
    )


@pytest.mark.parametrize(
    "value", [MAX_SAFE_INTEGER + 1, -MAX_SAFE_INTEGER - 1, 2**64, {Text("k"): 1}, {1: 1}]
)
def test_orjson_refuses_what_the_cheap_way_leaves_to_it(value):
    """The cheap way leans on these two orjson options: the bound must be RFC 8785's."""
    with pytest.raises(TypeError):
        orjson.dumps(value, option=orjson.OPT_STRICT_INTEGER | orjson.OPT_PASSTHROUGH_SUBCLASS)
    assert written_at_sight(value) is None


def test_the_cheap_way_takes_the_safe_integers_at_their_bounds():
    value = {"a": [MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER]}
    assert written_at_sight(value) == careful(value) == rfc8785.dumps(value)


def test_too_deep_a_value_is_left_to_the_careful_way():
    deep: Any = []
    for _ in range(300):
        deep = [deep]
    assert written_at_sight(deep) is None
    assert outcome(canonical, deep) == outcome(careful, deep)
