"""The relay publishes every stored event to impact.events exactly once, in order."""

import pytest

from impact.ingest.relay import highest_published
from tests import commands as cmd
from tests.integration.kafka_reading import read_envelopes
from tests.integration.slice import record_programmes

pytestmark = pytest.mark.integration


def assert_exactly_once_and_contiguous(ledger, settings):
    published = read_envelopes(settings)
    ids = [e.notification_id for _, _, e in published]
    assert sorted(ids) == list(range(1, ledger.max_notification_id() + 1))
    per_aggregate: dict = {}
    for partition, _, envelope in sorted(published, key=lambda x: (x[0], x[1])):
        versions = per_aggregate.setdefault(envelope.aggregate_id, [])
        versions.append((partition, envelope.aggregate_version))
    for versions in per_aggregate.values():
        assert len({p for p, _ in versions}) == 1, "an aggregate's events share one partition"
        assert [v for _, v in versions] == list(range(1, len(versions) + 1))


def test_every_stored_event_reaches_the_log_once_with_versions_contiguous(
    ledger, settings, platform
):
    record_programmes(ledger, 5)
    stats = platform.relay(batch_size=4).run(until_idle=True)
    assert stats.published == ledger.max_notification_id() == 2 + 5 * 2
    assert_exactly_once_and_contiguous(ledger, settings)


def test_a_second_run_resumes_after_what_the_log_already_holds(ledger, settings, platform):
    record_programmes(ledger, 2)
    platform.relay().run(until_idle=True)
    again = platform.relay().run(until_idle=True)
    assert again.published == 0
    assert again.resumed_after == ledger.max_notification_id()
    ledger.handle(cmd.submit_proposal("C-9", "새 제안", "계속 들어오는 제안", "general"))
    third = platform.relay().run(until_idle=True)
    assert third.published == 1
    assert_exactly_once_and_contiguous(ledger, settings)


def test_an_aborted_transaction_is_invisible_and_resent(ledger, settings, platform):
    from impact.kafka import ensure_topics, transactional_producer

    record_programmes(ledger, 1)
    ensure_topics(settings.kafka, settings.topics)
    # A relay that crashed mid-batch leaves records of an aborted transaction behind.
    zombie = transactional_producer(settings.kafka, settings.relay_transactional_id)
    zombie.begin_transaction()
    zombie.send(
        settings.events_topic, key=b"x", value=b"half-written", headers=[("notification_id", b"99")]
    )
    zombie.flush()
    zombie.abort_transaction()
    zombie.close()
    assert highest_published(settings.kafka, settings.events_topic) == 0
    platform.relay().run(until_idle=True)
    assert_exactly_once_and_contiguous(ledger, settings)
