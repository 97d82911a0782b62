"""The loader's reading of a record (``read_for_loading``, msgspec) and the contract
(``EventEnvelope.from_bytes``, pydantic) judge every record alike, and what the loader
hands to ClickHouse reads back as the same envelope."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from impact.contract.events import EventEnvelope, read_for_loading
from impact.errors import ContractError

GENUINE = {
    "event_id": "0c2b38ea-d011-5208-a6d4-8075336652c8",
    "type": "Program.OutcomeReported",
    "schema_version": 2,
    "aggregate_type": "program",
    "aggregate_id": "e82147ef-9412-590a-bfd9-c7bf25eb88f8",
    "aggregate_version": 3,
    "notification_id": 41,
    "occurred_at": "2019-04-05T00:00:00Z",
    "recorded_at": "2026-11-27T20:46:04.478623Z",
    "actor": "KAMCO",
    "payload": {
        "report_id": "P-KAMCO-01/r1",
        "metric": "jobs_created",
        "value": "12",
        "note": "부산 🌊",
        "evidence": None,
    },
    "prev_hash": "0" * 64,
    "hash": "ab" * 32,
}

VALUES = [
    0,
    1,
    -1,
    -0.0,
    1.0,
    1.5,
    1e2,
    65_535,
    65_536,
    4_294_967_295,
    4_294_967_296,
    9_223_372_036_854_775_807,
    9_223_372_036_854_775_808,
    18_446_744_073_709_551_616,
    None,
    True,
    False,
    [],
    [1],
    {},
    {"a": 1},
    "",
    "x",
    "부산",
    "1",
    "12",
    "0c2b38ea-d011-5208-a6d4-8075336652c8",
    "0C2B38EA-D011-5208-A6D4-8075336652C8",
    "0c2b38ead0115208a6d48075336652c8",
    "{0c2b38ea-d011-5208-a6d4-8075336652c8}",
    "urn:uuid:0c2b38ea-d011-5208-a6d4-8075336652c8",
    "0c2b38ea-d011-5208-a6d4-8075336652c",
    "2019-04-05T00:00:00Z",
    "2019-04-05T00:00:00",
    "2019-04-05T00:00:00.1Z",
    "2019-04-05T00:00:00.123456+09:00",
    "2019-04-05T00:00:00.1234567Z",
    "2019-04-05",
    "2019-04-05 00:00:00Z",
    "2019-04-05t00:00:00z",
    "2019-04-05T00:00Z",
    "2019-02-29T00:00:00Z",
    "2020-02-29T00:00:00Z",
    "2019-04-31T00:00:00Z",
    "2019-04-05T24:00:00Z",
    "2019-04-05T23:59:60Z",
    "2019-04-05T00:00:00+24:00",
    "2019-04-05T00:00:00+0900",
    "1554422400",
    "1899-12-31T23:59:59Z",
    "1900-01-01T00:00:00Z",
    "1900-01-01T00:30:00+01:00",
    "2299-12-31T23:59:59Z",
    "2299-12-31T23:00:00-05:00",
    "2300-01-01T00:00:00Z",
    "9999-01-01T00:00:00Z",
    "0" * 64,
    "AB" * 32,
    "ab" * 31,
    "g" * 64,
]
FIELDS = sorted(GENUINE)


def dumps(value) -> bytes:
    """Compact JSON, UTF-8 (numbers of any size, unlike orjson)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def verdict(data: bytes):
    """(contract's envelope or None, loader's reading or None)."""
    try:
        contract = EventEnvelope.from_bytes(data)
    except ContractError:
        contract = None
    try:
        loading = read_for_loading(data)
    except ContractError:
        loading = None
    return contract, loading


def assert_alike(data: bytes) -> None:
    contract, loading = verdict(data)
    assert (contract is None) == (loading is None), (data[:300], contract, loading)
    if contract is not None and loading is not None:
        assert EventEnvelope.from_bytes(loading.json) == contract
        assert loading.recorded_at.timestamp() == contract.recorded_at.timestamp()


def test_a_genuine_record_is_handed_on_byte_for_byte():
    data = dumps(GENUINE)
    assert read_for_loading(data).json == data
    assert_alike(data)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(FIELDS), value=st.sampled_from(VALUES))
def test_one_field_replaced_is_judged_alike(field, value):
    assert_alike(dumps({**GENUINE, field: value}))


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(FIELDS), extra=st.sampled_from(["extra", "payload2", "Event_id"]))
def test_a_field_missing_or_one_too_many_is_judged_alike(field, extra):
    without = {k: v for k, v in GENUINE.items() if k != field}
    assert_alike(dumps(without))
    assert_alike(dumps({**GENUINE, extra: 1}))


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=40), cut=st.integers(min_value=0, max_value=600))
def test_any_text_in_the_payload_and_any_truncation_is_judged_alike(text, cut):
    data = dumps({**GENUINE, "payload": {"note": text}})
    assert_alike(data)
    assert_alike(data[:cut])


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"null",
        b"[]",
        b"{}",
        b"\xef\xbb\xbf" + dumps(GENUINE),
        b"  " + dumps(GENUINE) + b"\n ",
        dumps(GENUINE) + b"x",
        dumps(GENUINE)[:-1] + b',"actor":"BPA"}',  # a key twice: the last one counts
        dumps(GENUINE).replace(b'"KAMCO"', b'"KA\\u004dCO"'),
        dumps(GENUINE).replace("부산".encode(), b"\xff\xfe"),  # not UTF-8, in the payload
        dumps(GENUINE).replace("부산".encode(), b"\\ud800"),  # a lone surrogate
        dumps(GENUINE).replace(b'"KAMCO"', b'"\xc3\x28"'),
        dumps(GENUINE).replace(b'"value":"12"', b'"value":NaN'),
        dumps(GENUINE).replace(b'"value":"12"', b'"value":1e999'),
    ],
    ids=lambda d: repr(d[:24]),
)
def test_edge_records_are_judged_alike(data):
    assert_alike(data)


def test_a_key_the_payload_repeats_reaches_clickhouse_once_with_the_value_the_hash_covers():
    """ClickHouse's JSON functions read a repeated key's first value; the chain's hash covers
    the parsed payload, where the last counts: a copy of a genuine record with a value slipped
    in before the genuine one would have passed the hash and shown ClickHouse the slipped one."""
    data = dumps(GENUINE).replace(b'"value":"12"', b'"value":"900000","value":"12"')
    read = read_for_loading(data)
    assert read.content["payload"]["value"] == "12"
    assert b"900000" not in read.json
    assert json.loads(read.json)["payload"] == GENUINE["payload"]
