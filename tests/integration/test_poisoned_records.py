"""No single record on impact.events can stop or bend the projections: a payload its type's
schema refuses, a quantity no Decimal128 holds, a forgery that does not belong to the
platform's chain and bytes that are no envelope at all are each quarantined with their
reason; load, review, report and the auditors' replay go on, computed from the chain alone."""

import subprocess
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson
import pytest

from impact.contract.chain import GENESIS, PlatformKey, content_digest, link
from impact.kafka import transactional_producer
from impact.orchestration.run import run_load
from impact.projections.reconcile import quarantined
from tests import commands as cmd
from tests.integration.conftest import process_environment
from tests.integration.kafka_reading import read_records
from tests.integration.slice import record_programmes
from tests.integration.test_crash_trials import IMPACT

pytestmark = pytest.mark.integration

RANKING = ["P-BPA-02", "P-KIBO-01", "P-KAMCO-00"]
"""The 2019Q1 ranking of ``record_programmes(ledger, 3)``: P-KAMCO-00 reported the least."""


def rehashed(record: dict[str, Any]) -> bytes:
    """The record with a hash that covers its content, as any forger can compute."""
    record["hash"] = link(record["prev_hash"], content_digest(record))
    return orjson.dumps(record)


def next_in_chain(genuine: dict[str, Any], head: dict[str, Any], **payload: Any) -> bytes:
    """A copy of ``genuine`` with ``payload`` changed, linked correctly after ``head`` with the
    next notification id: only its payload can betray it."""
    forged = {**genuine, "payload": {**genuine["payload"], **payload}}
    forged["notification_id"] = head["notification_id"] + 1
    forged["prev_hash"] = head["hash"]
    return rehashed(forged)


def duplicate(genuine: dict[str, Any], head: dict[str, Any]) -> bytes:
    """The outcome's value changed, its own hash recomputed, its notification id kept."""
    return rehashed({**genuine, "payload": {**genuine["payload"], "value": "900000"}})


def linking_wrong(genuine: dict[str, Any], head: dict[str, Any]) -> bytes:
    """The outcome's value changed under the next notification id, linked to the wrong record."""
    forged = {**genuine, "payload": {**genuine["payload"], "value": "900000"}}
    forged["notification_id"] = head["notification_id"] + 1
    forged["prev_hash"] = genuine["hash"] if genuine["hash"] != head["hash"] else GENESIS
    return rehashed(forged)


Forge = Callable[[dict[str, Any], dict[str, Any]], bytes]
CASES: dict[str, tuple[Forge, str]] = {
    "not-a-number": (
        lambda g, h: next_in_chain(g, h, value="not-a-number"),
        "value: Input should be a valid decimal",
    ),
    "huge-exponent": (
        lambda g, h: next_in_chain(g, h, value="0E+999999999"),
        "digits before the point",
    ),
    "beyond-decimal128": (
        lambda g, h: next_in_chain(g, h, value="1e40"),
        "digits before the point",
    ),
    # No double holds it: the envelope reading passed over the payload and the loader, parsing
    # it afterwards, stopped on it, on every run.
    "number-beyond-a-double": (
        lambda g, h: next_in_chain(g, h, value="@").replace(b'"@"', b"1e400"),
        "payload: Number out of range",
    ),
    "unknown-field": (
        lambda g, h: next_in_chain(g, h, bonus="1"),
        "bonus: Extra inputs are not permitted",
    ),
    "duplicate-notification-id": (duplicate, "a second record for notification id"),
    "linking-wrong": (linking_wrong, "its prev_hash does not link to notification id"),
    "hash-not-covering": (
        lambda g, h: orjson.dumps(
            {**orjson.loads(next_in_chain(g, h)), "payload": {**g["payload"], "value": "900000"}}
        ),
        "its hash does not cover its content",
    ),
    "not-an-envelope": (lambda g, h: b'{"value": "900000"', "not an event envelope"),
}


def impact(settings, *args: str) -> str:
    done = subprocess.run(
        [IMPACT, *args],
        env=process_environment(settings),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"impact {' '.join(args)}: {done.stdout}\n{done.stderr}"
    return done.stdout


def ranking(settings) -> list[str]:
    shown = orjson.loads(impact(settings, "review", "2019Q1", "--json"))
    return [c["program_code"] for c in shown["ranking"]]


# One case of each kind runs with `make test`; the others of the same kinds are slower fault
# trials (`make trials`, which CI runs too).
QUICK = ("not-a-number", "number-beyond-a-double", "duplicate-notification-id", "not-an-envelope")


@pytest.mark.parametrize(
    "case", [c if c in QUICK else pytest.param(c, marks=pytest.mark.trial) for c in CASES]
)
def test_a_poisoned_or_forged_record_is_quarantined_and_the_ledger_goes_on(
    case, ledger, settings, store, platform, tmp_path
):
    forge, reason = CASES[case]
    record_programmes(ledger, 3)
    platform.relay().run(until_idle=True)
    records = read_records(settings, settings.events_topic)
    original = next(
        r for r in records if b"OutcomeReported" in r.value and b'"P-KAMCO-00/r1"' in r.value
    )
    genuine = orjson.loads(original.value)
    head = max((orjson.loads(r.value) for r in records), key=lambda e: e["notification_id"])
    producer = transactional_producer(settings.kafka, f"{settings.relay_transactional_id}-forger")
    producer.begin_transaction()
    sent = producer.send(
        settings.events_topic,
        key=original.key,
        value=forge(genuine, head),
        partition=original.partition,
    )
    producer.commit_transaction()
    at = sent.get(timeout=10)
    producer.close()

    # Here, into this test's database: the record is quarantined, the asset check fails.
    checks = {e.check_name: e.passed for e in run_load(settings).get_asset_check_evaluations()}
    assert checks["nothing_quarantined"] is False
    total, listed = quarantined(store)
    assert total == 1
    assert listed[0][:2] == (at.partition, at.offset) and reason in listed[0][3], listed

    # At the command line (its own ClickHouse): everything still runs, on the chain alone.
    impact(settings, "load")
    assert ranking(settings) == RANKING
    impact(settings, "report", "2019Q1", "--out", str(tmp_path / "report.html"))
    assert "P-KAMCO-00" in (tmp_path / "report.html").read_text()
    assert "P-KAMCO-00" in impact(settings, "audit", "replay")
    verified = subprocess.run(
        [IMPACT, "audit", "verify"],
        env=process_environment(settings),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert f"[{at.partition}]@{at.offset}" in verified.stdout + verified.stderr

    # The genuine chain goes on: the next outcome reaches the projections.
    ledger.handle(
        cmd.report_outcome(
            "P-KAMCO-00",
            "KAMCO",
            "P-KAMCO-00/r2",
            "jobs_created",
            "2019Q2",
            Decimal(7),
            occurred_at=datetime(2019, 7, 5, tzinfo=UTC),
        )
    )
    platform.relay().run(until_idle=True)
    platform.loader().run(until_idle=True)
    assert store.rows(
        "SELECT toString(value) FROM {db}.outcome_rows WHERE report_id = 'P-KAMCO-00/r2'"
    ) == [("7",)]
    assert quarantined(store)[0] == 1
    assert ranking(settings) == RANKING


def next_after_head(records, value: str) -> tuple[bytes, dict[str, Any]]:
    """(key, record): a copy of P-KAMCO-00's first outcome with ``value``, linked correctly
    after the head of the log's genuine chain with the next notification id."""
    original = next(
        r for r in records if b"OutcomeReported" in r.value and b'"P-KAMCO-00/r1"' in r.value
    )
    genuine = [orjson.loads(r.value) for r in records]
    head = max(
        (e for e in genuine if "forged" not in e["actor"]), key=lambda e: e["notification_id"]
    )
    return original.key, orjson.loads(
        next_in_chain(orjson.loads(original.value), head, value=value)
    )


def publish(
    settings, key: bytes, record: dict[str, Any], transactional_id: str, partition=None
) -> tuple[int, int]:
    """``record`` written to the events topic in a committed transaction of its own."""
    producer = transactional_producer(settings.kafka, transactional_id)
    producer.begin_transaction()
    sent = producer.send(
        settings.events_topic, key=key, value=rehashed(record), partition=partition
    )
    producer.commit_transaction()
    at = sent.get(timeout=10)
    producer.close()
    return at.partition, at.offset


def forge_after(settings, records, value: str, partition=None) -> tuple[int, int]:
    """``next_after_head`` written by a forger: well formed, only unsigned."""
    key, forged = next_after_head(records, value)
    forged["actor"] = f"{forged['actor']} forged"
    return publish(settings, key, forged, f"{settings.relay_transactional_id}-forger", partition)


def test_a_well_linked_forgery_the_platform_did_not_sign_never_wins(
    ledger, settings, store, platform
):
    """A forgery that links correctly and takes the next notification id: alone on the log it
    is held, then quarantined as covered by no signed checkpoint; written before the
    genuine record of that id, it loses to it when both are read together."""
    record_programmes(ledger, 3)
    platform.relay().run(until_idle=True)
    ahead = forge_after(settings, read_records(settings, settings.events_topic), "900000")
    stats = platform.loader(hold_seconds=1.0).run(until_idle=True)
    assert stats.quarantined == 1
    total, listed = quarantined(store)
    assert total == 1 and listed[0][:2] == ahead
    assert "no checkpoint signed by the platform key covers" in listed[0][3], listed

    # The next forgery is on the log before the genuine record of its notification id.
    before = forge_after(settings, read_records(settings, settings.events_topic), "800000")
    ledger.handle(
        cmd.report_outcome(
            "P-KAMCO-00",
            "KAMCO",
            "P-KAMCO-00/r2",
            "jobs_created",
            "2019Q2",
            Decimal(7),
            occurred_at=datetime(2019, 7, 5, tzinfo=UTC),
        )
    )
    platform.relay().run(until_idle=True)
    platform.loader(hold_seconds=1.0).run(until_idle=True)
    total, listed = quarantined(store)
    assert total == 2
    second = next(row for row in listed if row[:2] == before)
    assert "on the chain the platform key signed" in second[3], listed
    assert store.rows(
        "SELECT toString(value) FROM {db}.outcome_rows WHERE report_id = 'P-KAMCO-00/r2'"
    ) == [("7",)]
    assert store.rows(
        "SELECT count() FROM {db}.outcome_rows WHERE toString(value) IN ('900000', '800000')"
    ) == [(0,)]
    impact(settings, "load")  # at the command line, into its own ClickHouse
    assert ranking(settings) == RANKING


def test_a_record_whose_checkpoint_commits_late_is_held_until_it_does(
    ledger, settings, store, platform
):
    """The relay commits a batch of events and its checkpoint in one transaction, but the
    commit marker may reach the checkpoints topic seconds after the events' (its leader
    failing over): while a transaction is open on the checkpoints topic an uncovered record
    is held, not quarantined, past ``hold_seconds``; it is admitted once its checkpoint is
    committed. A forgery held while a transaction stays open is refused at
    ``max_hold_seconds``."""
    record_programmes(ledger, 3)
    platform.relay().run(until_idle=True)
    platform.loader().run(until_idle=True)
    key, record = next_after_head(read_records(settings, settings.events_topic), "4321")
    signed = PlatformKey.load_or_create(settings.platform_key_path).sign_checkpoint(
        settings.events_topic, record["notification_id"], orjson.loads(rehashed(record))["hash"]
    )
    late = transactional_producer(settings.kafka, f"{settings.relay_transactional_id}-late")
    late.begin_transaction()
    late.send(settings.checkpoints_topic, value=signed.to_bytes()).get(timeout=10)
    publish(settings, key, record, f"{settings.relay_transactional_id}-early")

    loader = platform.loader(hold_seconds=0.5)
    loading = threading.Thread(target=loader.run, kwargs={"until_idle": True})
    loading.start()
    time.sleep(3.0)  # six times hold_seconds: the old loader had quarantined it by now
    assert loading.is_alive(), "the loader stopped before the checkpoint was committed"
    late.commit_transaction()
    loading.join(timeout=60)
    assert not loading.is_alive()
    assert loader.stats.quarantined == 0 and loader.stats.loaded == 1, loader.stats
    assert store.rows(
        "SELECT toString(value) FROM {db}.outcome_rows WHERE toString(value) = '4321'"
    ) == [("4321",)]

    # A forgery while a transaction stays open on the checkpoints topic: held, then refused.
    late.begin_transaction()
    late.send(settings.checkpoints_topic, value=b"pending").get(timeout=10)
    forged_at = forge_after(settings, read_records(settings, settings.events_topic), "900000")
    started = time.monotonic()
    stats = platform.loader(hold_seconds=0.5, max_hold_seconds=3.0).run(until_idle=True)
    assert time.monotonic() - started >= 3.0
    late.abort_transaction()
    late.close()
    assert stats.quarantined == 1 and stats.loaded == 0, stats
    total, listed = quarantined(store)
    assert total == 1 and listed[0][:2] == forged_at
    assert "no checkpoint signed by the platform key covers" in listed[0][3], listed


def test_a_forgery_read_before_its_neighbours_loses_in_a_replay_from_the_start(
    ledger, settings, store, platform
):
    """A forgery of the next notification id on a partition read before the others, read one
    record a poll as a consumer may on a cluster (each broker's partitions fetched apart):
    the loader used to admit it on its link to the record before it, then refuse the genuine
    record as a second one of its id. Now a record waits until a walk back from a signed
    checkpoint reaches it."""
    record_programmes(ledger, 3)
    platform.relay().run(until_idle=True)
    forged_id = ledger.max_notification_id() + 1
    forged_at = forge_after(settings, read_records(settings, settings.events_topic), "800000", 0)
    for code, agency in (("P-KAMCO-00", "KAMCO"), ("P-KIBO-01", "KIBO"), ("P-BPA-02", "BPA")):
        ledger.handle(
            cmd.report_outcome(
                code,
                agency,
                f"{code}/r2",
                "jobs_created",
                "2019Q2",
                Decimal(7),
                occurred_at=datetime(2019, 7, 5, tzinfo=UTC),
            )
        )
    platform.relay().run(until_idle=True)  # one transaction, one checkpoint after the three
    stats = platform.loader(hold_seconds=1.0, batch_size=1).run(until_idle=True)
    total, listed = quarantined(store)
    assert stats.quarantined == 1 and total == 1 and listed[0][:2] == forged_at, listed
    # Which partition the client hands over first is the client's choice: the forgery is
    # refused as not the signed chain's record when it is judged beside the genuine one, or
    # as a second record of its id when the genuine one was admitted before it was read.
    reason = listed[0][3]
    assert (
        "on the chain the platform key signed" in reason
        or reason == f"a second record for notification id {forged_id}"
    ), listed
    assert (
        store.rows(
            "SELECT toString(value) FROM {db}.outcome_rows WHERE quarter = '2019Q2' ORDER BY 1"
        )
        == [("7",)] * 3
    )
    assert ranking(settings) == RANKING
