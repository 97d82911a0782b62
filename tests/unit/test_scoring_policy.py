"""The policy in force is data adopted by an event; reviews and decisions are recorded once."""

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest

from impact.domain.consortium import Consortium
from impact.domain.review import ScoredCandidate
from impact.domain.scoring import COMPONENTS, POLICY_V1, RippleWeights, ScoringPolicy
from impact.errors import AlreadyExistsError, NotFoundError, ReviewStateError
from tests import commands as cmd

DIGEST = "a" * 64
COMPONENTS_HALF = dict.fromkeys(COMPONENTS, D("0.5000"))


def candidate(code, rank, eligible=True, gate=None):
    return ScoredCandidate(
        program_code=code,
        rank=rank,
        score=D("50.00"),
        components=COMPONENTS_HALF,
        eligible=eligible,
        failed_gate=gate,
    )


def register(ledger, code, agency):
    ledger.handle(
        cmd.register_program(
            code,
            agency,
            "S4-T2",
            "사업",
            "Programme",
            1_000_000,
            date(2019, 1, 1),
            occurred_at=datetime(2018, 12, 1, tzinfo=UTC),
        )
    )


def test_the_baseline_policy_is_adopted_once_and_in_force_from_the_founding_quarter(ledger):
    assert ledger.handle(cmd.baseline_policy()) is True
    assert ledger.handle(cmd.baseline_policy()) is False
    consortium = ledger.consortium()
    assert consortium.policy_for("2018Q4") == POLICY_V1
    assert consortium.policy_for("2024Q1") == POLICY_V1
    with pytest.raises(NotFoundError, match="no scoring policy is in force for 2018Q3"):
        consortium.policy_for("2018Q3")


def test_a_later_policy_applies_from_its_quarter_and_the_past_keeps_the_old_one(ledger):
    ledger.handle(cmd.baseline_policy())
    v2 = ScoringPolicy(
        version=2,
        weight_performance=D("0.50"),
        weight_ripple=D("0.20"),
        ripple=RippleWeights(
            reach=D("0.5"),
            breadth=D("0.2"),
            spillover=D("0.1"),
            citizen_origin=D("0.1"),
            trend=D("0.1"),
        ),
        min_quarters=2,
    )
    ledger.handle(cmd.adopt_policy(v2, "2020Q1"))
    consortium = ledger.consortium()
    assert consortium.policy_for("2019Q4").version == 1
    assert consortium.policy_for("2020Q1") == v2
    with pytest.raises(AlreadyExistsError, match="v2 was already adopted"):
        ledger.handle(cmd.adopt_policy(v2, "2021Q1"))
    adopted = [e for _, e in ledger.iter_events() if isinstance(e, Consortium.PolicyAdopted)]
    assert [(e.policy.version, e.effective_from) for e in adopted] == [(1, "2018Q4"), (2, "2020Q1")]


def test_recording_the_same_scores_again_records_nothing(ledger):
    ledger.handle(cmd.baseline_policy())
    scores = (candidate("P-BPA-01", 1),)
    assert ledger.handle(cmd.record_review_scores("2019Q1", 1, scores, DIGEST)) is True
    before = ledger.max_notification_id()
    assert ledger.handle(cmd.record_review_scores("2019Q1", 1, scores, DIGEST)) is False
    assert ledger.max_notification_id() == before
    assert ledger.handle(cmd.record_review_scores("2019Q1", 1, scores, "b" * 64)) is True


def test_scores_under_a_policy_never_adopted_are_refused(ledger):
    with pytest.raises(NotFoundError, match="v7 was never adopted"):
        ledger.handle(cmd.record_review_scores("2019Q1", 7, (candidate("P-BPA-01", 1),), DIGEST))


def test_the_first_review_of_a_ledger_without_a_policy_adopts_the_baseline_with_it(ledger):
    assert (
        ledger.handle(cmd.record_review_scores("2019Q1", 1, (candidate("P-BPA-01", 1),), DIGEST))
        is True
    )
    assert ledger.consortium().policy_for("2019Q1") == POLICY_V1


def test_a_promotion_makes_a_joint_project_of_every_active_agency_and_freezes_the_scores(ledger):
    ledger.handle(cmd.baseline_policy())
    register(ledger, "P-BPA-01", "BPA")
    ledger.handle(cmd.record_review_scores("2019Q1", 1, (candidate("P-BPA-01", 1),), DIGEST))
    ledger.handle(
        cmd.decide(
            "2019Q1",
            "P-BPA-01",
            "promote",
            "beat every target",
            "council-1",
            occurred_at=datetime(2019, 4, 20, tzinfo=UTC),
        )
    )
    joint = ledger.program("P-BPA-01").joint_participants
    assert joint == ("BPA", "HF", "HUG", "KAMCO", "KIBO", "KOSPO", "KSD")
    assert ledger.decisions_of("2019Q1") == {"P-BPA-01": "promote"}
    with pytest.raises(ReviewStateError, match="already has decisions"):
        ledger.handle(cmd.record_review_scores("2019Q1", 1, (candidate("P-BPA-01", 1),), "c" * 64))


def test_the_council_names_the_participants_of_a_joint_project(ledger):
    ledger.handle(cmd.baseline_policy())
    register(ledger, "P-BPA-01", "BPA")
    ledger.handle(cmd.record_review_scores("2019Q1", 1, (candidate("P-BPA-01", 1),), DIGEST))
    ledger.handle(
        cmd.decide(
            "2019Q1",
            "P-BPA-01",
            "promote",
            "a port programme",
            "c-1",
            participants=("KOSPO", "HUG"),
        )
    )
    joint = ledger.program("P-BPA-01").joint_participants
    assert joint == ("BPA", "HUG", "KOSPO")


def test_a_programme_kept_out_by_a_gate_cannot_be_promoted_but_can_be_deferred(ledger):
    ledger.handle(cmd.baseline_policy())
    register(ledger, "P-HUG-01", "HUG")
    ledger.handle(
        cmd.record_review_scores(
            "2019Q1", 1, (candidate("P-HUG-01", 1, False, "suspended"),), DIGEST
        )
    )
    with pytest.raises(
        ReviewStateError, match="did not pass the gates of review 2019Q1 \\(suspended\\)"
    ):
        ledger.handle(cmd.decide("2019Q1", "P-HUG-01", "promote", "why not", "c-1"))
    assert ledger.handle(cmd.decide("2019Q1", "P-HUG-01", "defer", "resume first", "c-1"))
    assert ledger.program("P-HUG-01").joint_participants == ()
