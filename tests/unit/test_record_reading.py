"""``read_record``: what one record of impact.events says of itself, the same in the loader's
process and in its read-ahead child."""

from datetime import UTC, datetime

import orjson

from impact.contract.chain import GENESIS, content_digest, link
from impact.projections.reading import UNREADABLE, read_record
from tests.unit.test_envelope_reading import GENUINE

TOPIC = orjson.dumps("impact.events")


def chained(**changes: object) -> dict:
    record = {**GENUINE, **changes, "prev_hash": GENESIS}
    record["hash"] = link(GENESIS, content_digest(record))
    return record


def test_a_linked_record_reads_with_its_place_and_its_line():
    record = chained()
    read = read_record(TOPIC, 2, 17, orjson.dumps(record))
    assert (read.partition, read.offset, read.nid) == (2, 17, 41)
    assert (read.prev_hash, read.hash) == (GENESIS, record["hash"])
    assert read.own_problem is None
    line = orjson.loads(read.line)
    assert (line["topic"], line["partition"], line["offset"]) == ("impact.events", 2, 17)
    assert line["payload"] == GENUINE["payload"] and line["hash"] == record["hash"]


def test_its_own_hash_must_cover_it():
    record = chained()
    record["payload"] = {**record["payload"], "value": "900000"}
    assert read_record(TOPIC, 0, 0, orjson.dumps(record)).own_problem == (
        "its hash does not cover its content"
    )


def test_a_payload_its_type_refuses_is_said_apart_from_its_own_hash():
    record = chained(payload={**GENUINE["payload"], "value": "not-a-number"})
    read = read_record(TOPIC, 0, 0, orjson.dumps(record))
    assert read.own_problem is None
    assert read.payload_problem is not None and read.payload_problem.startswith("payload ")


def test_bytes_that_are_no_envelope_keep_their_text_and_why():
    read = read_record(TOPIC, 1, 5, b'{"value": "900000"')
    assert read.nid == UNREADABLE and read.own_problem.startswith("not an event envelope")
    line = orjson.loads(read.line)
    assert line["payload"] == '{"value": "900000"' and line["error"] == read.own_problem
    assert read_record(TOPIC, 1, 6, None).nid == UNREADABLE


def test_a_record_recorded_after_the_replays_moment_is_skipped():
    record = orjson.dumps(chained())
    before = datetime(2026, 11, 27, 20, 46, tzinfo=UTC)  # GENUINE was recorded at 20:46:04
    skipped = read_record(TOPIC, 0, 0, record, recorded_until=before)
    assert skipped.skipped and skipped.line == b"" and skipped.own_problem is None
    assert skipped.nid == 41 and skipped.hash == orjson.loads(record)["hash"]  # a link still
    kept = read_record(TOPIC, 0, 0, record, recorded_until=datetime.now(UTC))
    assert kept.nid == 41 and not kept.skipped
