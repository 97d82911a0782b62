"""`audit verify` against the real broker: a clean log passes, and each kind of tampering is
found and located (event store row, Kafka partition and offset, field)."""

import random
import sqlite3
from datetime import UTC, datetime
from decimal import Decimal

import orjson
import pytest

from impact.audit.verify import VerifyReport, verify
from impact.bootstrap import build_ledger, build_sealer
from impact.contract.chain import PlatformKey, content_digest, link
from impact.ingest.relay import highest_published
from impact.kafka import transactional_producer
from impact.privacy import PersonalData
from impact.settings import Settings
from tests import commands as cmd
from tests.integration.kafka_reading import read_records
from tests.integration.slice import record_programmes
from tests.integration.test_crash_trials import kill_part_way
from tests.submissions import registered_key, registration, report, signed

pytestmark = pytest.mark.integration


def trusted(settings: Settings) -> dict[str, str]:
    key = PlatformKey.load_or_create(settings.platform_key_path)
    return {key.key_id: key.public_text}


def audit(settings: Settings) -> VerifyReport:
    return verify(
        settings.kafka,
        settings.topics,
        build_ledger(settings),
        trusted(settings),
        build_sealer(settings),
    )


def failures(report: VerifyReport) -> dict[str, list[str]]:
    return {c.name: [str(f) for f in c.findings] for c in report.checks if c.findings}


def record_a_small_ledger(ledger, platform) -> None:
    """Signed agency submissions (registrations, reports, a correction), staff facts and a
    citizen's sealed proposal, published in several relay transactions."""
    bpa = registered_key(ledger, "BPA")
    messages = [signed(bpa, registration("BPA", f"P-BPA-{i:02d}")) for i in range(1, 4)]
    messages += [
        signed(bpa, report("BPA", f"P-BPA-{i:02d}", value=str(10 + i))) for i in range(1, 4)
    ]
    messages.append(
        signed(
            bpa,
            {
                "schema_version": 1,
                "kind": "outcome.correct",
                "submission_id": "cor-P-BPA-01",
                "agency": "BPA",
                "submitted_at": "2019-04-20T09:00:00+00:00",
                "program_code": "P-BPA-01",
                "report_id": "P-BPA-01/jobs_created/2019Q1-c1",
                "corrects": "P-BPA-01/jobs_created/2019Q1",
                "value": "9",
                "reason": "double-counted hires",
            },
        )
    )
    client = platform.agency_client(bpa)
    client.send_raw([(f"m{i}", b"P-BPA", m) for i, m in enumerate(messages[:3])])
    platform.ingest().run(until_idle=True)
    client.send_raw([(f"n{i}", b"P-BPA", m) for i, m in enumerate(messages[3:])])
    platform.ingest().run(until_idle=True)
    sealed = platform.sealer.seal(
        "citizen-7", PersonalData(name="김바다", contact="sea@example.org")
    )
    ledger.handle(
        cmd.submit_proposal(
            "C-7",
            "해변 정화",
            "본문",
            "environment",
            proposer=sealed,
            occurred_at=datetime(2018, 10, 1, tzinfo=UTC),
        )
    )
    record_programmes(ledger, 2)
    platform.relay(batch_size=5).run(until_idle=True)


def outcome_row(settings: Settings, code: str = "P-BPA-02") -> tuple[int, bytes]:
    with sqlite3.connect(settings.state_dir / "events.sqlite") as db:
        return db.execute(
            "SELECT rowid, state FROM stored_events WHERE topic LIKE '%Program.OutcomeReported'"
            " AND CAST(state AS TEXT) LIKE ? LIMIT 1",
            (f'%submission_id":"rep-{code}-%',),
        ).fetchone()


def write_row(settings: Settings, rowid: int, state: bytes) -> None:
    with sqlite3.connect(settings.state_dir / "events.sqlite") as db:
        db.execute("UPDATE stored_events SET state = ? WHERE rowid = ?", (state, rowid))


def test_verify_passes_on_a_clean_log_with_signed_submissions_and_sealed_data(
    ledger, settings, platform
):
    record_a_small_ledger(ledger, platform)
    report = audit(settings)
    assert report.ok, failures(report)
    checks = {c.name: c for c in report.checks}
    assert report.stored == report.published == ledger.max_notification_id()
    assert checks["checkpoints"].checked >= 3
    assert checks["agency-signatures"].checked == 7
    assert checks["sealed-data"].notes == ["1 open"]


def test_one_flipped_byte_in_an_event_store_row_is_found_and_named_with_its_field(
    ledger, settings, platform
):
    record_a_small_ledger(ledger, platform)
    rowid, state = outcome_row(settings)
    assert b'"value":"12"' in state
    write_row(settings, rowid, state.replace(b'"value":"12"', b'"value":"13"'))

    report = audit(settings)

    assert not report.ok
    found = failures(report)
    assert len(found["content"]) == 1
    assert found["content"][0].startswith(
        f"event store row {rowid} (Program.OutcomeReported v2 of program P-BPA-02)"
    )
    assert "payload.value is '13' in the event store, '12' on the log" in found["content"][0]
    assert "so the event store row was changed" in found["content"][0]
    # The agency signed 12: the signature check points at the same outcome.
    assert any(
        f"notification {rowid}" in f and "value is Decimal('13')" in f
        for f in found["agency-signatures"]
    )
    assert found["store-chain"] == [
        f"event store row {rowid}: is not what was stored: its content does not match its link "
        "in the store chain (the row was changed after it was stored)"
    ]
    assert set(found) == {"content", "agency-signatures", "store-chain"}


def test_any_single_flipped_byte_of_an_event_store_row_is_found_at_that_row(
    ledger, settings, platform
):
    record_a_small_ledger(ledger, platform)
    rowid, state = outcome_row(settings)
    rng = random.Random(6)
    for position in rng.sample(range(len(state)), 4):
        flipped = bytearray(state)
        flipped[position] ^= 1 << rng.randrange(8)
        write_row(settings, rowid, bytes(flipped))
        report = audit(settings)
        assert not report.ok, f"flipping byte {position} went unnoticed"
        assert any(f"event store row {rowid} " in f for f in failures(report)["content"]), failures(
            report
        )
    write_row(settings, rowid, state)
    assert audit(settings).ok


def test_a_forged_copy_of_a_record_on_the_log_is_found_by_partition_and_offset(
    ledger, settings, platform
):
    record_a_small_ledger(ledger, platform)
    original = next(
        r
        for r in read_records(settings, settings.events_topic)
        if b'"rep-P-BPA-03-2019Q1"' in r.value and b"OutcomeReported" in r.value
    )
    forged = orjson.loads(original.value)
    forged["payload"]["value"] = "99"
    # The forger even recomputes the record's own hash; only the platform key could re-sign.
    forged["hash"] = link(forged["prev_hash"], content_digest(forged))
    producer = transactional_producer(settings.kafka, f"{settings.relay_transactional_id}-forger")
    producer.begin_transaction()
    sent = producer.send(
        settings.events_topic,
        key=original.key,
        value=orjson.dumps(forged),
        headers=original.headers,
        partition=original.partition,
    )
    producer.commit_transaction()
    at = sent.get(timeout=10)
    producer.close()

    report = audit(settings)

    where = f"{settings.events_topic}[{at.partition}]@{at.offset}"
    found = failures(report)
    assert set(found) == {"exactly-once", "versions", "platform-chain"}
    assert found["platform-chain"] == [
        f"{where}: is not part of the platform's chain: another record of notification "
        f"{forged['notification_id']} ({settings.events_topic}[{original.partition}]@"
        f"{original.offset}) is the link the signed chain holds"
    ]
    assert found["versions"] == [
        f"{where}: aggregate {forged['aggregate_id']} has version 2 here where 3 "
        "comes next in log order"
    ]
    (finding,) = found["exactly-once"]
    assert finding.startswith(
        f"{where}: a second, different record of notification {forged['notification_id']}"
    )
    assert (
        f"the one matching the event store is {settings.events_topic}[{original.partition}]@{original.offset}"
        in finding
    )
    assert "payload.value is '13' in the event store, '99' on the log" in finding


def test_an_event_store_row_deleted_after_publishing_is_found(ledger, settings, platform):
    record_a_small_ledger(ledger, platform)
    rowid, _ = outcome_row(settings, "P-BPA-01")
    with sqlite3.connect(settings.state_dir / "events.sqlite") as db:
        db.execute("DELETE FROM stored_events WHERE rowid = ?", (rowid,))

    found = failures(audit(settings))

    assert any(
        f"holds notification {rowid} (Program.OutcomeReported), which the event store does not have"
        in f
        for f in found["exactly-once"]
    )
    assert any("version 3 follows version 1" in f for f in found["versions"])
    assert (
        f"store chain link {rowid}: has no event store row: it was deleted" in found["store-chain"]
    )


def staff_outcome_row(settings: Settings) -> tuple[int, bytes]:
    with sqlite3.connect(settings.state_dir / "events.sqlite") as db:
        return db.execute(
            "SELECT rowid, state FROM stored_events WHERE topic LIKE '%Program.OutcomeReported'"
            ' AND CAST(state AS TEXT) LIKE \'%"value":"55"%\''
        ).fetchone()


def record_a_staff_outcome(ledger) -> None:
    """An outcome entered by staff (no agency signature), not relayed yet."""
    record_programmes(ledger, 2)
    ledger.handle(
        cmd.report_outcome(
            "P-KAMCO-00",
            "KAMCO",
            "P-KAMCO-00/staff",
            "jobs_created",
            "2019Q2",
            Decimal(55),
            occurred_at=datetime(2019, 7, 5, tzinfo=UTC),
        )
    )


def test_a_staff_entry_edited_before_the_relay_ran_is_found_at_its_row(ledger, settings, platform):
    """The relay publishes (and signs a checkpoint over) whatever the store holds when it runs,
    so the log agrees with an edit made before it ran: the store chain, written with the row,
    does not."""
    record_a_staff_outcome(ledger)
    rowid, state = staff_outcome_row(settings)
    write_row(settings, rowid, state.replace(b'"value":"55"', b'"value":"99999"'))
    platform.relay().run(until_idle=True)

    found = failures(audit(settings))

    assert set(found) == {"store-chain"}, found
    assert found["store-chain"] == [
        f"event store row {rowid}: is not what was stored: its content does not match its link "
        "in the store chain (the row was changed after it was stored)"
    ]


def test_an_edit_whose_links_are_recomputed_breaks_the_platform_keys_signature(
    ledger, settings, platform
):
    """Whoever can write the event store but does not hold the platform key can rewrite a row
    and every link after it; the signed link then no longer verifies."""
    from impact.contract.chain import GENESIS
    from impact.store_chain import TABLE, notification_digest

    record_a_staff_outcome(ledger)
    rowid, state = staff_outcome_row(settings)
    write_row(settings, rowid, state.replace(b'"value":"55"', b'"value":"99999"'))
    head = GENESIS
    with sqlite3.connect(settings.state_dir / "events.sqlite") as db:
        for notification in ledger.notifications(1, 1000):
            head = link(head, notification_digest(notification))
            db.execute(
                f"UPDATE {TABLE} SET hash = ? WHERE notification_id = ?", (head, notification.id)
            )
    platform.relay().run(until_idle=True)

    found = failures(audit(settings))

    assert set(found) == {"store-chain"}, found
    last = ledger.max_notification_id()
    assert found["store-chain"] == [
        f"store chain link {last}: its signature does not verify with a trusted platform key: "
        f"rows {rowid}..{last} or their links were changed after they were signed"
    ], found


def test_a_checkpoint_with_a_forged_signature_or_an_untrusted_key_fails(ledger, settings, platform):
    record_a_small_ledger(ledger, platform)
    genuine = orjson.loads(read_records(settings, settings.checkpoints_topic)[-1].value)
    altered = {**genuine, "signed_at": "2030-01-01T00:00:00Z"}  # signature kept from the original
    stranger = PlatformKey.load_or_create(settings.state_dir / "stranger.pem")
    foreign = orjson.loads(
        stranger.sign_checkpoint(
            settings.events_topic, genuine["up_to_notification_id"], genuine["hash"]
        ).to_bytes()
    )
    producer = transactional_producer(settings.kafka, f"{settings.relay_transactional_id}-forger")
    producer.begin_transaction()
    offsets = [
        producer.send(settings.checkpoints_topic, value=orjson.dumps(c)) for c in (altered, foreign)
    ]
    producer.commit_transaction()
    altered_at, foreign_at = (f.get(timeout=10) for f in offsets)
    producer.close()

    found = failures(audit(settings))

    assert list(found) == ["checkpoints"]
    assert found["checkpoints"] == [
        f"{settings.checkpoints_topic}[0]@{altered_at.offset}: the signature of the checkpoint at "
        f"notification {genuine['up_to_notification_id']} does not verify with platform key {genuine['key_id']}",
        f"{settings.checkpoints_topic}[0]@{foreign_at.offset}: signed by key {stranger.key_id}, which is not "
        "a trusted platform key",
    ]


def test_the_relay_keeps_the_chain_across_a_restart_and_a_kill_mid_run(ledger, settings, platform):
    record_programmes(ledger, 100)
    platform.relay(batch_size=50).run(until_idle=True)
    for i in range(1200):  # dozens of transactions: the kill lands part-way
        ledger.handle(cmd.submit_proposal(f"C-{i}", "제안", "본문", "general"))
    total = ledger.max_notification_id()
    before, after = kill_part_way(
        ["relay"],
        settings,
        lambda: highest_published(settings.kafka, settings.events_topic),
        total,
        random.Random(3),
    )
    assert before < after < total, "the relay was not killed part-way; run the test again"
    platform.relay(batch_size=50).run(until_idle=True)

    report = audit(settings)
    assert report.ok, failures(report)
    assert report.published == total
    records = read_records(settings, settings.events_topic)
    resumed = next(
        orjson.loads(r.value)
        for r in records
        if dict(r.headers)["notification_id"] == str(after + 1).encode()
    )
    last = next(
        orjson.loads(r.value)
        for r in records
        if dict(r.headers)["notification_id"] == str(after).encode()
    )
    assert resumed["prev_hash"] == last["hash"]


def test_a_log_published_before_the_chain_is_continued_by_content_and_verifies(
    ledger, settings, platform
):
    from impact.contract import envelope_for
    from impact.kafka import ensure_topics

    record_programmes(ledger, 2)
    ensure_topics(settings.kafka, settings.topics)
    old_relay = transactional_producer(settings.kafka, settings.relay_transactional_id)
    old_relay.begin_transaction()
    for notification, event in ledger.iter_events():
        envelope = envelope_for(notification.id, event)  # as the relay wrote it before the chain
        old_relay.send(
            settings.events_topic,
            key=str(envelope.aggregate_id).encode(),
            value=orjson.dumps(envelope.content()),
            headers=[("notification_id", str(notification.id).encode())],
        )
    old_relay.commit_transaction()
    old_relay.close()
    legacy = ledger.max_notification_id()
    ledger.handle(cmd.submit_proposal("C-1", "제안", "본문", "general"))

    assert platform.relay().run(until_idle=True).published == 1

    report = audit(settings)
    assert report.ok, failures(report)
    chain = next(c for c in report.checks if c.name == "hash-chain")
    assert chain.notes == [
        f"{legacy} records predate the chain fields; they are linked by their content"
    ]
