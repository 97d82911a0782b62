"""The loader puts every record of impact.events into ClickHouse once, and resumes."""

import pytest

from impact.ingest.kafka import transactional_producer
from impact.ingest.relay import Relay
from impact.projections.loader import Loader, loaded_positions
from tests.integration.slice import record_programmes

pytestmark = pytest.mark.integration


def counts(store):
    return store.rows(
        "SELECT count(), uniqExact(event_id) FROM {db}.raw_events WHERE error = ''"
    )[0]


def test_every_event_is_loaded_once_and_rows_equal_distinct_ids(ledger, settings, store):
    record_programmes(ledger, 4)
    Relay(ledger, settings).run(until_idle=True)
    stats = Loader(store, settings, batch_size=3).run(until_idle=True)
    assert stats.loaded == ledger.max_notification_id()
    assert counts(store) == (ledger.max_notification_id(),) * 2


def test_a_second_load_resumes_from_the_stored_offsets_and_adds_only_new_records(ledger, settings, store):
    record_programmes(ledger, 2)
    Relay(ledger, settings).run(until_idle=True)
    Loader(store, settings).run(until_idle=True)
    assert Loader(store, settings).run(until_idle=True).loaded == 0
    ledger.submit_proposal("C-1", "제안", "본문", "general")
    Relay(ledger, settings).run(until_idle=True)
    assert Loader(store, settings).run(until_idle=True).loaded == 1
    assert counts(store) == (ledger.max_notification_id(),) * 2


def test_a_retried_insert_with_the_same_token_is_stored_once(ledger, settings, store):
    record_programmes(ledger, 1)
    Relay(ledger, settings).run(until_idle=True)
    Loader(store, settings).run(until_idle=True)
    row = store.rows("SELECT * EXCEPT loaded_at FROM {db}.raw_events ORDER BY offset LIMIT 1")[0]
    columns = [c for c in store.rows("SELECT name FROM system.columns WHERE database = {d:String} "
                                     "AND table = 'raw_events' AND name != 'loaded_at' ORDER BY position",
                                     d=store.db)]
    token = "retry-token-1"
    store.insert("raw_events", [list(row)], [c[0] for c in columns], token)
    store.insert("raw_events", [list(row)], [c[0] for c in columns], token)
    assert store.rows("SELECT count() FROM {db}.raw_events")[0][0] == ledger.max_notification_id() + 1


def test_a_record_that_is_not_an_envelope_is_kept_with_its_reason_and_loading_goes_on(ledger, settings, store):
    record_programmes(ledger, 1)
    Relay(ledger, settings).run(until_idle=True)
    forger = transactional_producer(settings, f"{settings.relay_transactional_id}-forger")
    forger.begin_transaction()
    forger.send(settings.events_topic, key=b"x", value=b"\xff not json", partition=0)
    forger.commit_transaction()
    forger.close()
    ledger.submit_proposal("C-1", "제안", "본문", "general")
    Relay(ledger, settings).run(until_idle=True)
    stats = Loader(store, settings).run(until_idle=True)
    assert stats.unreadable == 1
    assert stats.loaded == ledger.max_notification_id()
    error = store.rows("SELECT error FROM {db}.raw_events WHERE error != ''")[0][0]
    assert "not an event envelope" in error
    assert 0 in loaded_positions(store, settings.events_topic)
