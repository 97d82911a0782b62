"""The loader puts every record of impact.events into ClickHouse once, and resumes."""

import orjson
import pytest

from impact.kafka import transactional_producer
from impact.projections.loader import loaded_positions
from tests import commands as cmd
from tests.integration.kafka_reading import read_records
from tests.integration.slice import record_programmes

pytestmark = pytest.mark.integration


def counts(store):
    return store.rows("SELECT count(), uniqExact(event_id) FROM {db}.raw_events WHERE error = ''")[
        0
    ]


def test_every_event_is_loaded_once_and_rows_equal_distinct_ids(ledger, store, platform):
    record_programmes(ledger, 4)
    platform.relay().run(until_idle=True)
    stats = platform.loader(batch_size=3).run(until_idle=True)
    assert stats.loaded == ledger.max_notification_id()
    assert counts(store) == (ledger.max_notification_id(),) * 2


def test_a_second_load_resumes_from_the_stored_offsets_and_adds_only_new_records(
    ledger, store, platform
):
    record_programmes(ledger, 2)
    platform.relay().run(until_idle=True)
    platform.loader().run(until_idle=True)
    assert platform.loader().run(until_idle=True).loaded == 0
    ledger.handle(cmd.submit_proposal("C-1", "제안", "본문", "general"))
    platform.relay().run(until_idle=True)
    assert platform.loader().run(until_idle=True).loaded == 1
    assert counts(store) == (ledger.max_notification_id(),) * 2


def test_a_retried_insert_with_the_same_token_is_stored_once(ledger, store, platform):
    record_programmes(ledger, 1)
    platform.relay().run(until_idle=True)
    platform.loader().run(until_idle=True)
    row = store.rows("SELECT * EXCEPT loaded_at FROM {db}.raw_events ORDER BY offset LIMIT 1")[0]
    columns = [
        c
        for c in store.rows(
            "SELECT name FROM system.columns WHERE database = {d:String} "
            "AND table = 'raw_events' AND name != 'loaded_at' ORDER BY position",
            d=store.db,
        )
    ]
    token = "retry-token-1"
    store.insert("raw_events", [list(row)], [c[0] for c in columns], token)
    store.insert("raw_events", [list(row)], [c[0] for c in columns], token)
    assert (
        store.rows("SELECT count() FROM {db}.raw_events")[0][0] == ledger.max_notification_id() + 1
    )


def test_a_record_that_is_not_an_envelope_is_kept_with_its_reason_and_loading_goes_on(
    ledger, settings, store, platform
):
    record_programmes(ledger, 1)
    platform.relay().run(until_idle=True)
    forger = transactional_producer(settings.kafka, f"{settings.relay_transactional_id}-forger")
    forger.begin_transaction()
    forger.send(settings.events_topic, key=b"x", value=b"\xff not json", partition=0)
    forger.commit_transaction()
    forger.close()
    ledger.handle(cmd.submit_proposal("C-1", "제안", "본문", "general"))
    platform.relay().run(until_idle=True)
    stats = platform.loader().run(until_idle=True)
    assert stats.unreadable == 1
    assert stats.loaded == ledger.max_notification_id()
    error = store.rows("SELECT error FROM {db}.raw_events WHERE error != ''")[0][0]
    assert "not an event envelope" in error
    assert 0 in loaded_positions(store, settings.events_topic)


def publish_forged(settings, *values):
    forger = transactional_producer(settings.kafka, f"{settings.relay_transactional_id}-forger")
    forger.begin_transaction()
    for value in values:
        forger.send(settings.events_topic, key=b"x", value=value, partition=0)
    forger.commit_transaction()
    forger.close()


def test_envelopes_are_read_strictly_and_a_time_clickhouse_cannot_hold_is_refused(
    ledger, settings, store, platform
):
    record_programmes(ledger, 1)
    platform.relay().run(until_idle=True)
    genuine = orjson.loads(read_records(settings, settings.events_topic)[-1].value)
    as_text = {**genuine, "aggregate_version": str(genuine["aggregate_version"])}
    as_epoch = {**genuine, "occurred_at": 1554422400}
    far_future = {**genuine, "recorded_at": "9999-01-01T00:00:00Z"}
    publish_forged(settings, *(orjson.dumps(v) for v in (as_text, as_epoch, far_future)))
    stats = platform.loader().run(until_idle=True)
    assert (stats.loaded, stats.unreadable) == (ledger.max_notification_id(), 3)
    errors = [
        r[0]
        for r in store.rows("SELECT error FROM {db}.raw_events WHERE error != '' ORDER BY offset")
    ]
    assert "aggregate_version" in errors[0] and "int" in errors[0]
    assert "occurred_at" in errors[1]
    assert "1900-2299" in errors[2]


def test_what_clickhouse_stores_is_what_the_contract_read(ledger, settings, store, platform):
    record_programmes(ledger, 2)
    platform.relay().run(until_idle=True)
    genuine = read_records(settings, settings.events_topic)[-1].value
    # The contract reads a repeated key as its last value; ClickHouse, given these bytes,
    # would keep the first.
    repeated = genuine[:-1] + b',"actor":"someone else"}'
    publish_forged(settings, repeated)
    ledger.handle(cmd.submit_proposal("C-1", "제안", "본문", "general"))
    platform.relay().run(until_idle=True)
    stats = platform.loader().run(until_idle=True)
    assert (stats.loaded, stats.unreadable) == (ledger.max_notification_id(), 0)
    assert stats.quarantined == 1  # a copy whose hash does not cover what it says
    found = next(r for r in read_records(settings, settings.events_topic) if r.value == repeated)
    forged = store.rows(
        "SELECT actor, payload, error FROM {db}.raw_events"
        " WHERE partition = {p:UInt16} AND offset = {o:UInt64}",
        p=found.partition,
        o=found.offset,
    )
    assert forged[0][0] == "someone else" and "hash does not cover" in forged[0][2]
    assert orjson.loads(forged[0][1]) == orjson.loads(genuine)["payload"]
    assert counts(store) == (ledger.max_notification_id(), ledger.max_notification_id())


def test_a_reading_process_that_dies_stops_the_loader_and_a_restart_loads_the_rest(
    ledger, store, platform
):
    """With reading processes beside it, a loader whose reader is killed stops with a
    LogError naming it (it cannot know what that reader would have read); a restart
    loads everything once."""
    import multiprocessing

    from impact.errors import LogError

    record_programmes(ledger, 3)
    platform.relay().run(until_idle=True)
    killed: list[str] = []

    def kill_a_reader() -> bool:
        if not killed:
            child = next(
                c for c in multiprocessing.active_children() if c.name.startswith("impact-loader")
            )
            child.kill()
            killed.append(child.name)
        return False

    with pytest.raises(LogError, match=r"impact-loader-read-.*the reading process ended"):
        platform.loader(readers=2).run(until_idle=False, stop=kill_a_reader)
    assert killed
    assert not [c for c in multiprocessing.active_children() if c.name.startswith("impact-loader")]
    platform.loader(readers=2).run(until_idle=True)
    assert counts(store) == (ledger.max_notification_id(),) * 2
