"""The one canonical JSON writes the reference RFC 8785 bytes, for any JSON value."""

import math

import orjson
import pytest
import rfc8785
from hypothesis import example, given, settings
from hypothesis import strategies as st

from impact.canonical_json import MAX_SAFE_INTEGER, canonical
from impact.errors import ContractError

SAFE_INTEGERS = st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER)
FINITE_FLOATS = st.floats(allow_nan=False, allow_infinity=False)
# Any code point but lone surrogates (which no JSON text holds): control characters,
# Hangul, and the planes beyond the BMP, whose UTF-16 order differs from code-point order.
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=8)
KEYS = TEXT | st.sampled_from(["", "a", "é", "\ue000", "\uffff", "\U00010000", "😀", "한"])
SCALARS = st.none() | st.booleans() | SAFE_INTEGERS | FINITE_FLOATS | TEXT
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(KEYS, inner, max_size=6),
    max_leaves=30,
)


@settings(max_examples=500)
@given(JSON)
@example({"\uffff": 1, "\U00010000": 2, "\ue000": 3, "a": [1.5, -0.0, 1e21, 1e-7]})
@example({"budget_krw": MAX_SAFE_INTEGER, "n": -MAX_SAFE_INTEGER, "title": "부산 \u2028\x00\x7f"})
@example([{"b": {"d": None, "c": True}, "a": [[], {}]}])
def test_canonical_bytes_are_the_reference_rfc_8785_bytes(value):
    assert canonical(value) == rfc8785.dumps(value)


@given(st.dictionaries(KEYS, SAFE_INTEGERS | TEXT, max_size=8))
def test_keys_are_ordered_by_their_utf_16_code_units(value):
    utf_16_order = sorted(value, key=lambda k: k.encode("utf-16-be"))
    assert list(orjson.loads(canonical(value))) == utf_16_order


@pytest.mark.parametrize(
    "value",
    [
        math.nan,
        math.inf,
        -math.inf,
        MAX_SAFE_INTEGER + 1,
        -MAX_SAFE_INTEGER - 1,
        {1: "key that is not text"},
        "lone \ud800 surrogate",
        {"when": object()},
    ],
)
def test_a_value_without_a_canonical_form_is_a_contract_error(value):
    with pytest.raises(ContractError, match="cannot be put in canonical form"):
        canonical(value)
