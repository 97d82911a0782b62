"""Erasing a proposer: their key is destroyed, nothing in the log is rewritten, and no trace of
their personal data is left anywhere a replay, a review, a report or the history can reach."""

import hashlib
from datetime import UTC, date, datetime
from decimal import Decimal

import orjson
import pytest

from impact.audit.erasure import erase, subject_records
from impact.audit.history import timeline
from impact.audit.replay import replay, replay_into_fresh_database
from impact.bootstrap import build_sealer
from impact.domain.program import Target
from impact.domain.quarter import Quarter
from impact.errors import NotFoundError
from impact.privacy import ERASED, PersonalData
from impact.projections.loader import SignedLog
from impact.projections.scoring import review_quarter
from impact.report import build_report
from tests import commands as cmd
from tests.integration.kafka_reading import read_records
from tests.integration.test_audit_verify import audit, failures

pytestmark = pytest.mark.integration

ERASED_NAME, ERASED_CONTACT = "김바다", "sea.kim@example.org"
KEPT_NAME = "이산들"


def record_two_proposers(ledger, settings, sealer) -> None:
    for code, subject, name, contact in (
        ("C-7", "citizen-7", ERASED_NAME, ERASED_CONTACT),
        ("C-8", "citizen-8", KEPT_NAME, ""),
    ):
        ledger.handle(
            cmd.submit_proposal(
                code,
                "해변 정화",
                "본문",
                "environment",
                proposer=sealer.seal(subject, PersonalData(name=name, contact=contact)),
                occurred_at=datetime(2018, 10, 1, tzinfo=UTC),
            )
        )
        ledger.handle(cmd.start_proposal_review(code, ("expert-1",), actor="desk"))
        ledger.handle(cmd.record_proposal_review(code, {"impact": Decimal(80)}, (), actor="desk"))
        ledger.handle(cmd.adopt_proposal(code, "S4-T2", actor="desk"))
    ledger.handle(
        cmd.register_program(
            "P-BPA-01",
            "BPA",
            "S4-T2",
            "캠페인",
            "Campaign",
            100_000_000,
            date(2019, 1, 1),
            targets=(Target(metric="plastic_collected_kg", quarter="2019Q1", value=Decimal(1000)),),
            origin_proposals=("C-7",),
            measures=("participant_satisfaction",),
            occurred_at=datetime(2018, 12, 1, tzinfo=UTC),
        )
    )
    ledger.handle(
        cmd.report_outcome(
            "P-BPA-01",
            "BPA",
            "r1",
            "plastic_collected_kg",
            "2019Q1",
            Decimal(1200),
            occurred_at=datetime(2019, 4, 5, tzinfo=UTC),
        )
    )


def review_and_publish(platform) -> None:
    """What the quarterly review job does, in-process: load, score, record, publish."""
    ledger, store = platform.ledger, platform.projections
    ledger.handle(cmd.baseline_policy())
    platform.relay().run(until_idle=True)
    platform.loader().run(until_idle=True)
    done = review_quarter(store, Quarter(2019, 1))
    ledger.handle(
        cmd.record_review_scores(
            "2019Q1",
            done.policy.version,
            done.candidates,
            done.inputs_digest,
            occurred_at=done.as_of,
        )
    )
    platform.relay().run(until_idle=True)
    platform.loader().run(until_idle=True)


def fresh_replay(settings):
    return replay_into_fresh_database(SignedLog.of(settings), settings.clickhouse)


def every_table_as_text(store) -> str:
    """Every row of every table and plain view of a ClickHouse database, as text."""
    text = []
    for name, query in store.rows(
        "SELECT name, create_table_query FROM system.tables WHERE database = {d:String}", d=store.db
    ):
        if "{as_of" in query or "{until" in query:
            continue  # parameterized views: their plain forms are read instead
        for row in store.rows(f"SELECT * FROM {{db}}.`{name}`"):
            text.append(repr(row))
    return "\n".join(text)


def log_bytes(settings) -> bytes:
    records = []
    for topic in (settings.events_topic, settings.checkpoints_topic):
        for r in read_records(settings, topic):
            records.append(
                (r.key or b"") + (r.value or b"") + b"".join(v for _, v in r.headers or [])
            )
    return b"\n".join(records)


def test_an_erased_proposer_leaves_no_trace_after_a_full_replay_and_nothing_else_changes(
    ledger, settings, store, platform
):
    sealer = build_sealer(settings)
    record_two_proposers(ledger, settings, sealer)
    review_and_publish(platform)
    key = sealer.vault.find("citizen-7", sealer.vault.key_for("citizen-7")[0])
    events_file = settings.state_dir / "events.sqlite"
    store_before, log_before = (
        hashlib.sha256(events_file.read_bytes()).digest(),
        log_bytes(settings),
    )
    db = fresh_replay(settings)
    before = timeline(db.store, "P-BPA-01", sealer)
    db.drop()
    # The control: before erasure the history can read the name, so the search below can find it.
    assert f"by {ERASED_NAME}" in before.entries[0].summary

    erased = erase(ledger, sealer, "citizen-7")
    assert erased.key == "erased" and erased.proposals == [(3, "C-7")]

    # Nothing in the event store or on the log was rewritten.
    assert hashlib.sha256(events_file.read_bytes()).digest() == store_before
    assert log_bytes(settings) == log_before
    # Reviews, replays and verification still work.
    ledger.handle(
        cmd.report_outcome(
            "P-BPA-01", "BPA", "r2", "participant_satisfaction", "2019Q1", Decimal(90)
        )
    )
    review_and_publish(platform)
    report = audit(settings)
    assert report.ok, failures(report)
    assert next(c for c in report.checks if c.name == "sealed-data").notes == ["1 erased", "1 open"]
    replayed = replay(SignedLog.of(settings), settings.clickhouse, None)
    outputs = [orjson.dumps(replayed.as_json()).decode()]
    fresh = fresh_replay(settings)
    try:
        after_erasure = timeline(fresh.store, "C-7", sealer)
        kept = timeline(fresh.store, "C-8", sealer)
        outputs += [
            orjson.dumps(after_erasure.as_json()).decode(),
            orjson.dumps(kept.as_json()).decode(),
            build_report(fresh.store, Quarter(2019, 1)),
            every_table_as_text(fresh.store),
        ]
    finally:
        fresh.drop()
    outputs += [every_table_as_text(store), orjson.dumps(report.as_json()).decode()]

    assert after_erasure.entries[0].summary.endswith(f"by {ERASED}")
    assert kept.entries[0].summary.endswith(f"by {KEPT_NAME}")  # nobody else was erased
    for secret in (ERASED_NAME, ERASED_CONTACT):
        for output in outputs:
            assert secret not in output
        assert secret.encode() not in log_bytes(settings)
        assert secret.encode() not in events_file.read_bytes()
    assert key is not None and key not in (settings.state_dir / "subject-keys.sqlite").read_bytes()


def test_erasing_a_subject_without_a_key_here_is_an_error_and_erasing_twice_changes_nothing(
    ledger, settings
):
    sealer = build_sealer(settings)
    record_two_proposers(ledger, settings, sealer)
    with pytest.raises(NotFoundError, match="no key of subject citizen-99"):
        erase(ledger, sealer, "citizen-99")
    first = erase(ledger, sealer, "citizen-8")
    again = erase(ledger, sealer, "citizen-8")
    assert (first.key, again.key, again.erased_at) == ("erased", "erased", first.erased_at)
    assert subject_records(ledger, sealer, "citizen-7").key == "held"
