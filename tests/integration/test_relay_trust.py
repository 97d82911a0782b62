"""Only the platform's chain counts: records someone else wrote to ``impact.events`` never
move the relay's position or its chain head, and `audit verify` names them."""

import orjson
import pytest

from impact.contract import EventEnvelope, envelope_for
from impact.contract.chain import GENESIS, chained
from impact.kafka import producer
from tests import commands as cmd
from tests.integration.kafka_reading import read_envelopes, read_records
from tests.integration.slice import record_programmes
from tests.integration.test_audit_verify import audit, failures

pytestmark = pytest.mark.integration


def write_foreign(settings, value: bytes, notification_id: bytes | None, key=b"x") -> str:
    """A record written by someone who may write to the topic; returns its place."""
    headers = [("notification_id", notification_id)] if notification_id is not None else []
    writer = producer(settings.kafka)
    sent = writer.send(settings.events_topic, key=key, value=value, headers=headers)
    at = sent.get(timeout=10)
    writer.close()
    return f"{settings.events_topic}[{at.partition}]@{at.offset}"


def chain_from_store(ledger) -> str:
    head = GENESIS
    for notification, event in ledger.iter_events():
        head = chained(envelope_for(notification.id, event), head).hash or head
    return head


def last_checkpoint(settings) -> dict:
    return orjson.loads(read_records(settings, settings.checkpoints_topic)[-1].value)


def submit_proposals(ledger, count: int, start: int = 0) -> None:
    for i in range(start, start + count):
        ledger.handle(cmd.submit_proposal(f"C-{i}", "제안", "본문", "general"))


@pytest.mark.parametrize("far_ahead", [b"1000000", b"99999999999999999999", b"-5"])
def test_a_far_ahead_notification_header_does_not_move_the_relay(
    ledger, settings, platform, far_ahead
):
    record_programmes(ledger, 3)
    platform.relay().run(until_idle=True)
    envelope = read_envelopes(settings)[-1][2]
    place = write_foreign(settings, envelope.to_bytes(), far_ahead)
    submit_proposals(ledger, 4)

    stats = platform.relay().run(until_idle=True)

    assert stats.published == 4
    assert stats.foreign == 1
    genuine = [
        r
        for r in read_records(settings, settings.events_topic)
        if f"{settings.events_topic}[{r.partition}]@{r.offset}" != place
    ]
    ids = sorted(EventEnvelope.from_bytes(r.value).notification_id for r in genuine)
    assert ids == list(range(1, ledger.max_notification_id() + 1))
    assert last_checkpoint(settings)["hash"] == chain_from_store(ledger)
    assert place in str(failures(audit(settings)).get("platform-chain"))


def test_a_forged_record_that_links_is_never_adopted_and_verify_names_it(
    ledger, settings, platform
):
    record_programmes(ledger, 3)
    platform.relay(batch_size=5).run(until_idle=True)
    _, _, tail = max(read_envelopes(settings), key=lambda e: e[2].notification_id)
    next_id = ledger.max_notification_id() + 1
    forged = chained(
        tail.model_copy(
            update={"notification_id": next_id, "payload": {**tail.payload, "forged": True}}
        ),
        tail.hash or GENESIS,
    )
    place = write_foreign(
        settings, forged.to_bytes(), str(next_id).encode(), key=str(tail.aggregate_id).encode()
    )
    submit_proposals(ledger, 3)

    stats = platform.relay().run(until_idle=True)

    assert stats.foreign == 1
    assert stats.published == 3
    relayed = [
        e
        for _, _, e in read_envelopes(settings)
        if e.notification_id == next_id and e.hash != forged.hash
    ]
    assert len(relayed) == 1
    assert relayed[0].prev_hash == tail.hash
    assert last_checkpoint(settings)["hash"] == chain_from_store(ledger)
    assert last_checkpoint(settings)["up_to_notification_id"] == ledger.max_notification_id()
    # a later run neither adopts it nor publishes again
    assert platform.relay().run(until_idle=True).published == 0

    found = failures(audit(settings))
    assert not {"hash-chain", "checkpoints", "content"} & set(found), found
    assert found["platform-chain"] == [
        f"{place}: is not part of the platform's chain: another record of notification "
        f"{next_id} ({relayed_place(settings, next_id, forged)}) is the link the signed chain holds"
    ]


def relayed_place(settings, nid: int, forged: EventEnvelope) -> str:
    for partition, offset, envelope in read_envelopes(settings):
        if envelope.notification_id == nid and envelope.hash != forged.hash:
            return f"{settings.events_topic}[{partition}]@{offset}"
    raise AssertionError(f"notification {nid} was not relayed")


@pytest.mark.parametrize(
    ("value", "header"),
    [(b"\xff\x00 not json", b"4"), (b"[]", None), (b'{"hash": "00"}', b"abc"), (b"", b"7")],
)
def test_a_record_that_is_not_an_envelope_does_not_stop_the_relay(
    ledger, settings, platform, value, header
):
    record_programmes(ledger, 2)
    platform.relay().run(until_idle=True)
    place = write_foreign(settings, value, header)
    submit_proposals(ledger, 2)

    stats = platform.relay().run(until_idle=True)

    assert stats.published == 2
    assert stats.foreign == 1
    assert last_checkpoint(settings)["hash"] == chain_from_store(ledger)
    assert place in str(failures(audit(settings)).get("platform-chain"))


def test_foreign_records_before_the_first_event_do_not_stop_the_relay(ledger, settings, platform):
    from impact.kafka import ensure_topics

    ensure_topics(settings.kafka, settings.topics)
    write_foreign(settings, b"junk", b"1000000")
    write_foreign(settings, b"junk", b"1")
    record_programmes(ledger, 2)

    stats = platform.relay(batch_size=3).run(until_idle=True)

    assert stats.published == ledger.max_notification_id()
    assert stats.foreign == 2
    assert last_checkpoint(settings)["hash"] == chain_from_store(ledger)
    submit_proposals(ledger, 2)
    again = platform.relay().run(until_idle=True)
    assert again.published == 2
    assert again.foreign == 0, "records before the last checkpoint are not read again"


def test_the_relay_resumes_across_many_batches_exactly_once(ledger, settings, platform):
    record_programmes(ledger, 10)
    platform.relay(batch_size=3).run(until_idle=True)
    write_foreign(settings, b"junk", b"2")
    submit_proposals(ledger, 5)
    platform.relay(batch_size=2).run(until_idle=True)
    assert_exactly_once_and_contiguous_but(ledger, settings)


def assert_exactly_once_and_contiguous_but(ledger, settings) -> None:
    """As test_relay's check, with records that are not envelopes left aside."""
    ids = []
    for record in read_records(settings, settings.events_topic):
        try:
            ids.append(EventEnvelope.from_bytes(record.value).notification_id)
        except Exception:
            continue
    assert sorted(ids) == list(range(1, ledger.max_notification_id() + 1))


def test_a_relay_killed_mid_run_among_foreign_records_publishes_every_event_once(
    ledger, settings, platform
):
    import random

    from tests.integration.test_crash_trials import kill_part_way

    record_programmes(ledger, 20)
    platform.relay(batch_size=10).run(until_idle=True)
    foreign = [
        write_foreign(settings, b"junk", b"1000000"),
        write_foreign(settings, b"\x00", None),
    ]
    submit_proposals(ledger, 1200)
    total = ledger.max_notification_id()

    def signed_up_to() -> int:
        records = read_records(settings, settings.checkpoints_topic)
        return orjson.loads(records[-1].value)["up_to_notification_id"]

    before, after = kill_part_way(["relay"], settings, signed_up_to, total, random.Random(13))
    assert before < after < total, "the relay was not killed part-way; run the test again"
    platform.relay(batch_size=50).run(until_idle=True)

    assert_exactly_once_and_contiguous_but(ledger, settings)
    assert last_checkpoint(settings)["hash"] == chain_from_store(ledger)
    found = failures(audit(settings))
    assert set(found) == {"log-records", "platform-chain"}
    assert {f.partition(":")[0] for f in found["platform-chain"]} == set(foreign)


def test_a_far_ahead_header_does_not_make_the_load_sensor_think_the_log_is_up_to_date(
    ledger, settings, platform
):
    from impact.orchestration.resources import resources_from
    from impact.orchestration.sensors import lag

    record_programmes(ledger, 2)
    platform.relay().run(until_idle=True)
    envelope = read_envelopes(settings)[-1][2]
    write_foreign(settings, envelope.to_bytes(), b"1000000")
    submit_proposals(ledger, 2)

    resources = resources_from(settings)
    stored, published, _ = lag(
        resources["event_store"], resources["kafka"], resources["clickhouse"]
    )
    assert (stored, published) == (ledger.max_notification_id(), ledger.max_notification_id() - 2)
