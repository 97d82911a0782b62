"""The promotion score, computed by hand on a small quarter, and its determinism."""

from decimal import Decimal as D

import pytest
from pydantic import ValidationError

from impact.domain.scoring import (
    COMPONENTS,
    POLICY_V1,
    OutcomeInput,
    ProgramQuarterInputs,
    QuarterInputs,
    ScoringPolicy,
    TargetInput,
    canonical_candidates,
    score_quarter,
)


def outcome(metric, value, previous=None, evidenced=True, **flags):
    return OutcomeInput(
        metric=metric,
        value=D(value),
        previous=None if previous is None else D(previous),
        evidenced=evidenced,
        **flags,
    )


def target(metric, value, actual):
    return TargetInput(metric=metric, target=D(value), actual=None if actual is None else D(actual))


# Three programmes in 2019Q2. A and B share task S4-T2; C is alone in S4-T1 and already joint.
A = ProgramQuarterInputs(
    program_code="P-A-01",
    agency="BPA",
    task_code="S4-T2",
    agencies=("BPA", "KOSPO"),
    partners=1,
    citizen_origin=True,
    budget_krw=100_000_000,
    quarters_with_data=2,
    targets=(
        target("plastic_collected_kg", "1000", "1200"),
        target("volunteer_hours", "100", "200"),
    ),
    outcomes=(
        outcome("plastic_collected_kg", "1200", "1000"),
        outcome("volunteer_hours", "200", "100", spillover=True),
    ),
)
B = ProgramQuarterInputs(
    program_code="P-B-01",
    agency="KAMCO",
    task_code="S4-T2",
    agencies=("KAMCO",),
    budget_krw=50_000_000,
    quarters_with_data=2,
    corrections=1,
    targets=(target("plastic_collected_kg", "1000", "500"),),
    outcomes=(
        outcome("plastic_collected_kg", "500", "600"),
        outcome("vulnerable_beneficiaries", "40", evidenced=False, reach=True),
    ),
)
C = ProgramQuarterInputs(
    program_code="P-C-01",
    agency="HUG",
    task_code="S4-T1",
    agencies=("HUG",),
    joint=True,
    budget_krw=10_000_000,
    quarters_with_data=1,
    targets=(target("jobs_created", "10", None),),
    outcomes=(outcome("vulnerable_beneficiaries", "160", reach=True),),
)
QUARTER = QuarterInputs(quarter="2019Q2", programmes=(C, A, B))


def changed(programme, **fields):
    """A copy with some fields changed, validated again (so it is normalised like any input)."""
    return ProgramQuarterInputs.model_validate({**programme.model_dump(), **fields})


def by_code(candidates):
    return {c.program_code: c for c in candidates}


def test_the_components_and_score_match_the_arithmetic_done_by_hand():
    scored = by_code(score_quarter(QUARTER, POLICY_V1))
    a, b, c = scored["P-A-01"].components, scored["P-B-01"].components, scored["P-C-01"].components

    # performance: min(actual/target, 1.5) / 1.5, averaged over the quarter's targets
    assert a["performance"] == D("0.9000")  # (1.2/1.5 + 1.5/1.5) / 2 = (0.8 + 1.0) / 2
    assert b["performance"] == D("0.3333")  # 0.5 / 1.5
    assert c["performance"] == D("0.0000")  # its target was not reported

    # reach: people reached / the most reached (C: 160)
    assert (a["reach"], b["reach"], c["reach"]) == (
        D("0.0000"),
        D("0.2500"),
        D("1.0000"),
    )  # 0, 40/160, 160/160
    # breadth: (other agencies + partners) / 6
    assert a["breadth"] == D("0.3333")  # (KOSPO + 1 partner) / 6
    assert b["breadth"] == D("0.0000")
    # spill-over: volunteer hours 200 / the most reported (200)
    assert (a["spillover"], b["spillover"]) == (D("1.0000"), D("0.0000"))
    assert (a["citizen_origin"], b["citizen_origin"]) == (D("1.0000"), D("0.0000"))
    # trend: (1 + mean growth) / 2; A: (0.2 + 1.0) / 2 = 0.6 → 0.8; B: -100/600 → 0.41667; C: no history
    assert (a["trend"], b["trend"], c["trend"]) == (D("0.8000"), D("0.4167"), D("0.5000"))
    # ripple = .30 reach + .25 breadth + .20 spill-over + .15 citizen + .10 trend
    assert a["ripple"] == D("0.5133")  # .25 × .3333 + .20 + .15 + .10 × .8 = 0.513325
    assert b["ripple"] == D("0.1167")  # .30 × .25 + .10 × .4167 = 0.11667
    assert c["ripple"] == D("0.3500")  # .30 × 1 + .10 × .5

    # efficiency: plastic per KRW in S4-T2: A 1200/1e8 = 1.2e-5 (best), B 500/5e7 = 1.0e-5;
    # A's volunteer hours and B's beneficiaries have no peer in the task, C has no peer at all
    assert (a["efficiency"], b["efficiency"], c["efficiency"]) == (
        D("1.0000"),
        D("0.8333"),
        D("0.5000"),
    )
    # evidence: backed share − 0.10 per correction
    assert (a["evidence"], b["evidence"], c["evidence"]) == (
        D("1.0000"),
        D("0.4000"),
        D("1.0000"),
    )  # B: 1/2 − 0.1

    # score = 100 × (.40 performance + .30 ripple + .15 efficiency + .15 evidence)
    assert scored["P-A-01"].score == D("81.40")  # .36 + .15399 + .15 + .15 = .81399
    assert scored["P-B-01"].score == D("35.33")  # .13332 + .03501 + .124995 + .06 = .353325
    assert scored["P-C-01"].score == D("33.00")  # .105 + .075 + .15


def test_eligible_programmes_rank_first_and_a_gated_one_names_its_gate():
    ranking = score_quarter(QUARTER, POLICY_V1)
    assert [(c.rank, c.program_code, c.eligible) for c in ranking] == [
        (1, "P-A-01", True),
        (2, "P-B-01", True),
        (3, "P-C-01", False),
    ]
    assert ranking[2].failed_gate == "already_joint"


def test_every_candidate_carries_every_component_within_zero_and_one():
    for candidate in score_quarter(QUARTER, POLICY_V1):
        assert tuple(candidate.components) == COMPONENTS
        assert all(D(0) <= v <= D(1) for v in candidate.components.values())
        assert D(0) <= candidate.score <= D(100)


@pytest.mark.parametrize(
    ("change", "gate"),
    [
        ({"quarters_with_data": 0}, "too_few_quarters"),
        ({"status": "suspended"}, "suspended"),
        ({"status": "completed"}, "completed"),
    ],
)
def test_each_gate_keeps_a_programme_out_but_scored(change, gate):
    inputs = QuarterInputs(quarter="2019Q2", programmes=(changed(A, **change), B))
    gated = by_code(score_quarter(inputs, POLICY_V1))["P-A-01"]
    assert (gated.eligible, gated.failed_gate, gated.rank) == (False, gate, 2)
    assert gated.score > 0


def test_equal_scores_are_ranked_by_programme_code():
    twins = [changed(A, program_code=code) for code in ("P-Z-01", "P-M-01", "P-A-01")]
    ranking = score_quarter(QuarterInputs(quarter="2019Q2", programmes=tuple(twins)), POLICY_V1)
    assert len({c.score for c in ranking}) == 1
    assert [c.program_code for c in ranking] == ["P-A-01", "P-M-01", "P-Z-01"]


def test_the_same_inputs_in_any_order_give_the_same_bytes_and_digest():
    shuffled = QuarterInputs(
        quarter="2019Q2",
        programmes=(
            changed(B, outcomes=tuple(reversed(B.outcomes))),
            A,
            C,
        ),
    )
    padded = QuarterInputs(
        quarter="2019Q2",
        programmes=(
            changed(
                A,
                targets=(
                    target("volunteer_hours", "100.0", "200.00"),
                    target("plastic_collected_kg", "1000.000000", "1200.000000"),
                ),
            ),
            B,
            C,
        ),
    )
    assert shuffled.canonical_json() == QUARTER.canonical_json() == padded.canonical_json()
    assert shuffled.digest() == QUARTER.digest() == padded.digest()
    assert len(QUARTER.digest()) == 64
    first = canonical_candidates(score_quarter(QUARTER, POLICY_V1))
    assert canonical_candidates(score_quarter(shuffled, POLICY_V1)) == first
    assert canonical_candidates(score_quarter(padded, POLICY_V1)) == first


def test_canonical_json_has_sorted_keys_and_decimals_as_strings():
    text = QUARTER.canonical_json().decode()
    assert text.startswith('{"programmes":[{"agencies":["BPA","KOSPO"],"agency":"BPA"')
    assert '"value":"1200"' in text and text.endswith('"quarter":"2019Q2"}')


def test_a_change_in_any_input_changes_the_digest():
    other = QuarterInputs(quarter="2019Q2", programmes=(changed(A, corrections=1), B, C))
    assert other.digest() != QUARTER.digest()


def test_a_policy_whose_weights_do_not_add_up_to_one_is_refused():
    with pytest.raises(ValidationError, match="add up to 1"):
        ScoringPolicy(version=2, weight_performance=D("0.50"))


def test_a_lower_is_better_target_is_attained_by_staying_under_it():
    spend = ProgramQuarterInputs(
        program_code="P-S-01",
        agency="KSD",
        task_code="S3-T1",
        agencies=("KSD",),
        budget_krw=1,
        quarters_with_data=1,
        targets=(
            TargetInput(
                metric="budget_spent_krw", target=D(100), actual=D(80), lower_is_better=True
            ),
        ),
    )
    scored = score_quarter(QuarterInputs(quarter="2019Q1", programmes=(spend,)), POLICY_V1)
    assert scored[0].components["performance"] == D("0.8333")  # min(100/80, 1.5) / 1.5 = 1.25 / 1.5
