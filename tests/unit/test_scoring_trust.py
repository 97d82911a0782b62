"""Policy v2's rules on the score: late reports, confirmed partners, registered and attested
evidence, plausibility flags; and inputs under v1 keep their digest."""

from decimal import Decimal as D

from impact.domain.scoring import (
    POLICY_V1,
    POLICY_V2,
    OutcomeInput,
    ProgramQuarterInputs,
    QuarterInputs,
    TargetInput,
    score_quarter,
)


def programme(code="P-BPA-01", task="S4-T2", value="1200", **more):
    fields = dict(
        program_code=code,
        agency="BPA",
        task_code=task,
        agencies=("BPA",),
        budget_krw=100_000_000,
        quarters_with_data=2,
        targets=(TargetInput(metric="plastic_collected_kg", target=D(1000), actual=D(value)),),
        outcomes=(
            OutcomeInput(
                metric="plastic_collected_kg",
                value=D(value),
                previous=D(1000),
                evidenced=True,
                registered=True,
                attested=False,
                reported_days_after=10,
            ),
        ),
    )
    fields.update(more)
    return ProgramQuarterInputs(**fields)


def scored(*programmes, policy=POLICY_V2):
    inputs = QuarterInputs(quarter="2021Q4", programmes=programmes).for_policy(policy)
    return {c.program_code: c for c in score_quarter(inputs, policy)}


def test_inputs_under_v1_leave_out_what_only_v2_uses_and_keep_their_digest():
    with_new = QuarterInputs(quarter="2021Q4", programmes=(programme(),))
    old_shape = QuarterInputs(
        quarter="2021Q4",
        programmes=(
            programme(
                outcomes=(
                    OutcomeInput(
                        metric="plastic_collected_kg",
                        value=D(1200),
                        previous=D(1000),
                        evidenced=True,
                    ),
                )
            ),
        ),
    )
    assert with_new.for_policy(POLICY_V1).digest() == old_shape.digest()
    assert with_new.for_policy(POLICY_V2).digest() != old_shape.digest()
    assert b"registered" not in old_shape.canonical_json()


def test_v1_candidates_carry_no_flags_key():
    (candidate,) = scored(programme(value="9000"), policy=POLICY_V1).values()
    assert candidate.flags == ()
    assert "flags" not in candidate.model_dump(mode="json")


def test_a_late_report_is_flagged_and_costs_evidence():
    late = programme(
        outcomes=(
            OutcomeInput(
                metric="plastic_collected_kg",
                value=D(1200),
                previous=D(1000),
                evidenced=True,
                registered=True,
                attested=True,
                reported_days_after=120,
            ),
        )
    )
    candidate = scored(late)["P-BPA-01"]
    assert [(f.kind, f.metric) for f in candidate.flags] == [("late", "plastic_collected_kg")]
    assert "120 days after the quarter ended; due within 35" in candidate.flags[0].reason
    assert candidate.components["evidence"] == D("0.9500")


def test_evidence_counts_registered_less_than_attested_and_an_unregistered_hash_not_at_all():
    def with_evidence(registered, attested):
        o = (
            programme()
            .outcomes[0]
            .model_copy(update={"registered": registered, "attested": attested})
        )
        return scored(programme(outcomes=(o,)))["P-BPA-01"].components["evidence"]

    assert with_evidence(False, False) == D("0.0000")
    assert with_evidence(True, False) == D("0.6000")
    assert with_evidence(True, True) == D("1.0000")


def test_breadth_counts_only_confirmed_partners_under_v2():
    claimed = programme(
        agencies=("BPA", "KAMCO"), partners=6, confirmed_agencies=("BPA",), confirmed_partners=0
    )
    assert scored(claimed, policy=POLICY_V1)["P-BPA-01"].components["breadth"] == D("1.0000")
    assert scored(claimed)["P-BPA-01"].components["breadth"] == D("0.0000")


def test_a_value_far_above_its_target_is_flagged_and_capped():
    o = programme().outcomes[0].model_copy(update={"value": D(9000), "previous": D(2000)})
    inflated = scored(programme(value="9000", outcomes=(o,)))["P-BPA-01"]
    kinds = {f.kind: f for f in inflated.flags}
    assert list(kinds) == ["target"]
    assert kinds["target"].treatment == "cap"
    assert "9000 is 9.00 times its target 1000" in kinds["target"].reason
    o = o.model_copy(update={"value": D(3000)})
    honest = scored(programme(value="3000", outcomes=(o,)))["P-BPA-01"]
    assert honest.flags == ()
    assert inflated.components["performance"] == honest.components["performance"]


def test_a_jump_from_the_previous_quarter_is_left_out_until_attested():
    o = programme().outcomes[0].model_copy(update={"value": D(6000), "previous": D(1000)})
    t = TargetInput(metric="plastic_collected_kg", target=D(5000), actual=D(6000))
    left_out = scored(programme(outcomes=(o,), targets=(t,)))["P-BPA-01"]
    assert [f.treatment for f in left_out.flags] == ["exclude_until_attested"]
    assert left_out.components["performance"] == D("0.0000")
    attested = o.model_copy(update={"attested": True})
    counted = scored(programme(outcomes=(attested,), targets=(t,)))["P-BPA-01"]
    assert [f.treatment for f in counted.flags] == ["as_is"]
    assert counted.components["performance"] > D(0)


def test_a_value_far_above_its_task_median_is_capped_at_the_threshold():
    peers = [programme(code=f"P-KSD-0{n}", value="1000") for n in range(1, 4)]
    outlier = programme(
        code="P-BPA-09",
        value="50000",
        targets=(),
        outcomes=(
            OutcomeInput(
                metric="plastic_collected_kg",
                value=D(50000),
                previous=None,
                evidenced=True,
                registered=True,
                attested=False,
                reported_days_after=5,
            ),
        ),
    )
    candidate = scored(*peers, outlier)["P-BPA-09"]
    (flag,) = candidate.flags
    assert (flag.kind, flag.reference, flag.treatment) == ("task_median", D(1000), "cap")
