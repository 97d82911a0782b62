"""The quarterly review against the real broker and ClickHouse: recorded once, replayable as of then."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from impact.domain.program import Evidence, Partner, Target
from impact.domain.quarter import Quarter
from impact.domain.review import PromotionReview
from impact.domain.scoring import COMPONENTS
from impact.orchestration.run import run_load, run_review
from impact.projections.scoring import recorded_review, review_quarter
from tests import commands as cmd
from tests.integration.slice import record_programmes

pytestmark = pytest.mark.integration

Q1 = Quarter(2019, 1)


def scored_events(ledger):
    return [e for _, e in ledger.iter_events() if isinstance(e, PromotionReview.CandidatesScored)]


def materialized(result, node):
    return {k: v.value for k, v in result.asset_materializations_for_node(node)[0].metadata.items()}


def test_reviewing_the_same_log_twice_records_one_review_with_the_same_digest(
    ledger, settings, store
):
    record_programmes(ledger, 3)
    first = materialized(run_review(settings, "2019-01-01"), "quarterly_scores")
    second = materialized(run_review(settings, "2019-01-01"), "quarterly_scores")
    assert (first["recorded"], second["recorded"]) == (True, False)
    assert first["inputs_digest"] == second["inputs_digest"]
    events = scored_events(ledger)
    assert len(events) == 1
    assert events[0].inputs_digest == first["inputs_digest"] and events[0].policy_version == 1
    assert [c.program_code for c in events[0].candidates] == ["P-BPA-02", "P-KIBO-01", "P-KAMCO-00"]
    # The review says which part of the signed chain it read: the head the projections held.
    head = store.rows(
        "SELECT notification_id, hash FROM {db}.raw_events WHERE error = ''"
        " AND notification_id < (SELECT min(notification_id) FROM {db}.raw_events"
        " WHERE type = 'PromotionReview.Opened') ORDER BY notification_id DESC LIMIT 1"
    )
    assert (events[0].chain_position, events[0].chain_hash) == (head[0][0], head[0][1])
    assert len(events[0].chain_hash) == 64


def test_a_correction_recorded_after_a_review_does_not_change_it_when_replayed_as_of_then(
    ledger, settings, store
):
    record_programmes(ledger, 3)
    run_review(settings, "2019-01-01")
    recorded = recorded_review(store, Q1)
    assert recorded is not None

    ledger.handle(
        cmd.correct_outcome(
            "P-KAMCO-00",
            "KAMCO",
            "P-KAMCO-00/r1#c1",
            "P-KAMCO-00/r1",
            Decimal(9),
            "late sign-ups counted",
        )
    )
    run_load(settings)
    now = review_quarter(store, Q1)
    assert now.inputs_digest != recorded.inputs_digest
    assert now.candidates[0].program_code == "P-KAMCO-00"

    for moment in (recorded.as_of, recorded.recorded_at):
        replay = review_quarter(store, Q1, as_of=moment)
        assert replay.inputs_digest == recorded.inputs_digest
        assert replay.candidates == recorded.candidates
        assert (
            replay.inputs.canonical_json()
            == review_quarter(store, Q1, as_of=moment).inputs.canonical_json()
        )


def test_once_the_council_has_decided_a_review_its_scores_stand(ledger, settings, store):
    record_programmes(ledger, 3)
    run_review(settings, "2019-01-01")
    ledger.handle(cmd.decide("2019Q1", "P-BPA-02", "defer", "wait a quarter", "council-1"))
    ledger.handle(
        cmd.correct_outcome(
            "P-KAMCO-00", "KAMCO", "P-KAMCO-00/r1#c1", "P-KAMCO-00/r1", Decimal(9), "recount"
        )
    )
    again = materialized(run_review(settings, "2019-01-01"), "quarterly_scores")
    assert (again["recorded"], again["decided"]) == (False, True)
    assert again["inputs_digest"] == scored_events(ledger)[0].inputs_digest


def test_the_scores_table_holds_every_programme_with_every_component(ledger, settings, store):
    record_programmes(ledger, 4)
    result = run_review(settings, "2019-01-01")
    rows = store.rows(
        "SELECT program_code, rank, mapKeys(components), policy_version FROM {db}.quarterly_scores"
        " WHERE quarter = '2019Q1' ORDER BY rank"
    )
    assert len(rows) == 4
    assert all(set(keys) == set(COMPONENTS) and version == 1 for _, _, keys, version in rows)
    assert all(check.passed for check in result.get_asset_check_evaluations())


def test_projections_follow_a_proposal_to_its_programme_and_joint_project(ledger, settings, store):
    ledger.handle(
        cmd.submit_proposal(
            "C-1", "해변 정화", "본문", "environment", occurred_at=datetime(2018, 10, 1, tzinfo=UTC)
        )
    )
    ledger.handle(cmd.start_proposal_review("C-1", ("expert",), actor="desk"))
    ledger.handle(cmd.record_proposal_review("C-1", {"impact": Decimal(80)}, (), actor="desk"))
    ledger.handle(
        cmd.adopt_proposal(
            "C-1", "S4-T2", actor="desk", occurred_at=datetime(2018, 11, 28, 12, tzinfo=UTC)
        )
    )
    ledger.handle(cmd.submit_proposal("C-2", "드론쇼", "본문", "tourism"))
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
    evidence = Evidence(uri="https://evidence.example/evidence.pdf", sha256="0" * 64)
    ledger.handle(
        cmd.report_outcome(
            "P-BPA-01",
            "BPA",
            "r1",
            "plastic_collected_kg",
            "2019Q1",
            Decimal(1200),
            evidence=evidence,
            occurred_at=datetime(2019, 4, 5, tzinfo=UTC),
        )
    )
    ledger.handle(
        cmd.join_partner(
            "P-BPA-01",
            "BPA",
            Partner(kind="agency", name="남부발전", code="KOSPO"),
            occurred_at=datetime(2019, 2, 1, tzinfo=UTC),
        )
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
    run_load(settings)

    funnel = {r["code"]: r for r in store.dicts("SELECT * FROM {db}.proposal_funnel")}
    assert funnel["C-1"]["stage"] == "joint_project" and funnel["C-1"]["programmes"] == ["P-BPA-01"]
    assert funnel["C-2"]["stage"] == "submitted"
    assert store.dicts("SELECT * FROM {db}.proposal_funnel_summary")[0] == {
        "submitted": 2,
        "reviewed": 1,
        "adopted": 1,
        "programme": 1,
        "joint_project": 1,
    }
    state = store.dicts("SELECT * FROM {db}.program_state")[0]
    assert state["agencies"] == ["BPA", "HF", "HUG", "KAMCO", "KIBO", "KOSPO", "KSD"]
    assert state["promoted_quarter"] == "2019Q1" and state["strategy"] == "S4"
    attainment = store.dicts("SELECT actual, met FROM {db}.target_attainment")[0]
    assert attainment == {"actual": Decimal(1200), "met": True}
    by_strategy = store.dicts("SELECT * FROM {db}.rollup_by_strategy")[0]
    assert (
        by_strategy["strategy"],
        by_strategy["programmes"],
        by_strategy["evidenced"],
        by_strategy["targets_met"],
    ) == ("S4", 1, 1, 1)
    assert store.rows("SELECT count() FROM {db}.rollup_by_agency")[0][0] == 1
    assert store.rows("SELECT task FROM {db}.rollup_by_task")[0][0] == "S4-T2"
    decisions = store.dicts("SELECT quarter, program_code, decision FROM {db}.review_decisions")
    assert decisions == [{"quarter": "2019Q1", "program_code": "P-BPA-01", "decision": "promote"}]

    # The review of 2019Q1 does not see the promotion it led to; the next quarter's does.
    assert review_quarter(store, Q1).candidates[0].eligible
    later = review_quarter(store, Quarter(2019, 2)).candidates[0]
    assert (later.eligible, later.failed_gate) == (False, "already_joint")
