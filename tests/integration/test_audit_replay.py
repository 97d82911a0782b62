"""Auditors' replays from offset 0 into fresh ClickHouse databases: as of a moment, reproducing
recorded reviews bit for bit, and a proposal's history to its joint project."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from impact.audit.history import timeline
from impact.audit.replay import recorded_scorings, replay, replay_into_fresh_database, reproduce
from impact.bootstrap import build_sealer
from impact.domain.consortium import Member
from impact.domain.program import Target
from impact.domain.quarter import Quarter
from impact.domain.scoring import ScoringPolicy
from impact.orchestration.run import run_review
from impact.privacy import PersonalData
from impact.projections.loader import SignedLog
from impact.projections.scoring import recorded_review
from tests import commands as cmd
from tests.integration.slice import record_programmes

pytestmark = pytest.mark.integration

Q1 = Quarter(2019, 1)


def audit_databases(store) -> list[str]:
    return [
        d
        for (d,) in store.rows(
            "SELECT name FROM system.databases WHERE name LIKE {p:String}", p=f"{store.db}_audit_%"
        )
    ]


def quarter(result, q: str) -> dict:
    return next(x for x in result.as_json()["quarters"] if x["quarter"] == q)


def test_a_correction_recorded_after_a_review_changes_todays_view_but_not_the_as_of_view(
    ledger, settings, store, platform
):
    record_programmes(ledger, 3)
    run_review(settings, "2019-01-01")
    recorded = recorded_review(store, Q1)
    assert recorded is not None
    live_rows = store.rows("SELECT count() FROM {db}.raw_events")[0][0]

    ledger.handle(
        cmd.correct_outcome(
            "P-KAMCO-00",
            "KAMCO",
            "P-KAMCO-00/r1-c1",
            "P-KAMCO-00/r1",
            Decimal(9),
            "late sign-ups counted",
        )
    )
    ledger.handle(
        cmd.admit_member(
            Member(
                code="BNK",
                name_ko="BNK부산은행",
                name_en="BNK Busan Bank",
                joined_on=date(2019, 9, 1),
            ),
            actor="BUSAN",
        )
    )
    ledger.handle(
        cmd.adopt_policy(
            ScoringPolicy(
                version=2,
                weight_performance=Decimal("0.70"),
                weight_ripple=Decimal("0.10"),
                weight_efficiency=Decimal("0.10"),
                weight_evidence=Decimal("0.10"),
            ),
            "2019Q1",
        )
    )
    platform.relay().run(until_idle=True)

    log, clickhouse = SignedLog.of(settings), settings.clickhouse
    then = replay(log, clickhouse, as_of=recorded.recorded_at)
    now = replay(log, clickhouse, as_of=None)

    as_of_then = quarter(then, "2019Q1")
    assert as_of_then["inputs_digest"] == recorded.inputs_digest
    assert as_of_then["policy_version"] == 1
    assert [c["program_code"] for c in as_of_then["ranking"]] == [
        c.program_code for c in recorded.candidates
    ]
    assert as_of_then["recorded_review"]["same_inputs_as_this_replay"] is True
    assert then.counts["corrections"] == 0 and len(then.members) == 8
    assert then.after_as_of == now.loaded - then.loaded > 0

    today = quarter(now, "2019Q1")
    assert today["inputs_digest"] != recorded.inputs_digest
    assert today["policy_version"] == 2
    assert today["ranking"][0]["program_code"] == "P-KAMCO-00"
    assert now.counts["corrections"] == 1
    assert [m["code"] for m in now.members if m["active"]][:2] == ["BNK", "BPA"]

    # The live projections are untouched, and the replays' databases are gone.
    assert store.rows("SELECT count() FROM {db}.raw_events")[0][0] == live_rows
    assert audit_databases(store) == []


def test_every_recorded_review_is_reproduced_bit_for_bit_and_a_false_one_is_caught(
    ledger, settings, store, platform
):
    record_programmes(ledger, 4)
    run_review(settings, "2019-01-01")
    ledger.handle(
        cmd.correct_outcome(
            "P-KIBO-01", "KIBO", "P-KIBO-01/r1-c1", "P-KIBO-01/r1", Decimal(40), "recount"
        )
    )
    run_review(settings, "2019-01-01")  # the inputs changed: a second scoring is recorded
    kafka, topic, clickhouse = settings.kafka, settings.events_topic, settings.clickhouse
    scorings = recorded_scorings(kafka, topic, "2019Q1")
    assert len(scorings) == 2 and scorings[0].inputs_digest != scorings[1].inputs_digest

    log = SignedLog.of(settings)
    reproductions = [reproduce(log, clickhouse, s) for s in scorings]

    assert [r.identical for r in reproductions] == [True, True], [
        r.first_difference for r in reproductions
    ]
    assert [r.replayed_digest for r in reproductions] == [s.inputs_digest for s in scorings]
    assert reproductions[0].replayed_candidates != reproductions[1].replayed_candidates

    # A review recorded with a ranking the log does not support is caught.
    genuine = scorings[1]
    wrong = ledger.review("2019Q1").candidates
    swapped = tuple(c.model_copy(update={"rank": len(wrong) + 1 - c.rank}) for c in wrong.values())
    ledger.handle(
        cmd.record_review_scores(
            "2019Q1", 1, tuple(sorted(swapped, key=lambda c: c.rank)), genuine.inputs_digest
        )
    )
    platform.relay().run(until_idle=True)
    false_one = reproduce(log, clickhouse, recorded_scorings(kafka, topic, "2019Q1")[-1])
    assert not false_one.identical
    assert false_one.first_difference.startswith("position 1: recorded P-KAMCO-00")
    assert audit_databases(store) == []


def test_a_forged_review_record_is_left_out_of_the_reproductions_not_their_end(
    ledger, settings, platform
):
    """One record naming a review that is no envelope, or whose payload lacks what its type
    holds, stopped every `impact audit reproduce` (a KeyError, an AttributeError)."""
    import orjson

    from impact.kafka import transactional_producer
    from tests.integration.kafka_reading import read_records

    record_programmes(ledger, 3)
    run_review(settings, "2019-01-01")
    opened = next(
        orjson.loads(r.value)
        for r in read_records(settings, settings.events_topic)
        if b'"PromotionReview.Opened"' in r.value
    )
    producer = transactional_producer(settings.kafka, f"{settings.relay_transactional_id}-forger")
    producer.begin_transaction()
    for junk in (
        b'["PromotionReview.Opened"]',
        orjson.dumps({**opened, "payload": {}}),
        orjson.dumps({**opened, "type": "PromotionReview.CandidatesScored", "payload": {}}),
    ):
        producer.send(settings.events_topic, value=junk, partition=0)
    producer.commit_transaction()
    producer.close()

    scorings = recorded_scorings(settings.kafka, settings.events_topic, "2019Q1")
    assert len(scorings) == 1
    reproduced = reproduce(SignedLog.of(settings), settings.clickhouse, scorings[0])
    assert reproduced.identical, reproduced.first_difference


def test_the_history_of_a_proposal_runs_from_the_citizen_to_the_joint_project(
    ledger, settings, platform
):
    sealer = build_sealer(settings)
    proposer = sealer.seal("citizen-1", PersonalData(name="김부산", contact="busan@example.org"))
    ledger.handle(
        cmd.submit_proposal(
            "C-1",
            "해변 정화",
            "본문",
            "environment",
            proposer=proposer,
            occurred_at=datetime(2018, 10, 1, tzinfo=UTC),
        )
    )
    ledger.handle(cmd.start_proposal_review("C-1", ("expert-1",), actor="desk"))
    ledger.handle(cmd.record_proposal_review("C-1", {"impact": Decimal(80)}, (), actor="desk"))
    ledger.handle(
        cmd.adopt_proposal(
            "C-1", "S4-T2", actor="desk", occurred_at=datetime(2018, 11, 28, 12, tzinfo=UTC)
        )
    )
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
            origin_proposals=("C-1",),
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
    ledger.handle(
        cmd.correct_outcome("P-BPA-01", "BPA", "r1-c1", "r1", Decimal(1250), "scale recalibrated")
    )
    run_review(settings, "2019-01-01")
    ledger.handle(
        cmd.decide(
            "2019Q1",
            "P-BPA-01",
            "promote",
            "targets beaten",
            "council-1",
            occurred_at=datetime(2019, 4, 20, tzinfo=UTC),
        )
    )
    platform.relay().run(until_idle=True)

    db = replay_into_fresh_database(SignedLog.of(settings), settings.clickhouse)
    try:
        by_proposal = timeline(db.store, "C-1", sealer)
        by_programme = timeline(db.store, "P-BPA-01", sealer)
    finally:
        db.drop()

    assert by_proposal.entries == by_programme.entries
    assert (by_proposal.proposals, by_proposal.programmes) == (("C-1",), ("P-BPA-01",))
    kinds = [e.type.split(".")[1] for e in by_proposal.entries]
    assert kinds == [
        "Submitted",
        "ReviewStarted",
        "Reviewed",
        "Adopted",
        "Registered",
        "OutcomeReported",
        "OutcomeCorrected",
        "CandidatesScored",
        "Decided",
        "Promoted",
    ]
    text = [e.summary for e in by_proposal.entries]
    assert text[0] == "citizen proposal C-1 “해변 정화” submitted via website by 김부산"
    assert text[6].startswith("report r1 corrected: plastic_collected_kg 2019Q1 = 1250")
    assert text[7].startswith("scored in the review of 2019Q1 (policy v1): rank 1 of 1")
    assert text[8].startswith("council decided promote in the review of 2019Q1: targets beaten")
    assert text[9].startswith("became a joint project of BPA, HF, HUG, KAMCO, KIBO, KOSPO, KSD")
