from datetime import date
from decimal import Decimal

import pytest

from impact.domain.consortium import Member
from impact.domain.program import Target
from impact.errors import (
    AlreadyExistsError,
    ImpactError,
    NotAMemberError,
    NotOwnerError,
    PeriodOutsideProgramError,
    ProgramNotActiveError,
    ReportNotFoundError,
    UnknownMetricError,
    UnknownTaskError,
    ValueOutOfRangeError,
)
from tests import commands as cmd


def register(ledger, code="P-BPA-01", agency="BPA", task="S4-T2", **kw):
    return ledger.handle(
        cmd.register_program(
            code,
            agency,
            task,
            "플라스틱 ZERO 캠페인",
            "Plastic ZERO campaign",
            kw.pop("budget", 1_000_000),
            kw.pop("starts_on", date(2019, 1, 1)),
            kw.pop("ends_on", date(2021, 12, 31)),
            kw.pop(
                "targets",
                (Target(metric="plastic_collected_kg", quarter="2019Q1", value=Decimal(100)),),
            ),
            **kw,
        )
    )


def test_a_member_agency_registers_a_programme_under_a_task(ledger):
    register(ledger)
    program = ledger.program("P-BPA-01")
    assert (program.agency, program.task_code, program.status) == ("BPA", "S4-T2", "active")


def test_a_stranger_cannot_register_a_programme(ledger):
    with pytest.raises(NotAMemberError, match="NOPE is not a member"):
        register(ledger, code="P-NOPE-01", agency="NOPE")


def test_busan_city_sits_on_the_council_but_does_not_register_programmes(ledger):
    with pytest.raises(NotAMemberError, match="BUSAN is a city member"):
        register(ledger, code="P-BUSAN-01", agency="BUSAN")


def test_a_programme_needs_a_task_of_the_plan(ledger):
    with pytest.raises(UnknownTaskError, match="task S9-T9 is not in plan revision 1"):
        register(ledger, task="S9-T9")


def test_a_programme_code_is_registered_once(ledger):
    assert register(ledger)
    assert not register(ledger), "staff entering it again: already recorded"
    with pytest.raises(AlreadyExistsError, match="programme P-BPA-01 already exists"):
        register(ledger, budget=2_000_000)


def test_a_negative_budget_is_refused(ledger):
    with pytest.raises(ValueOutOfRangeError, match="cannot be negative"):
        register(ledger, budget=-1)


def test_a_programme_cannot_end_before_it_starts(ledger):
    with pytest.raises(PeriodOutsideProgramError, match="before it starts"):
        register(ledger, starts_on=date(2020, 1, 1), ends_on=date(2019, 1, 1))


def test_a_target_must_name_a_catalogued_metric(ledger):
    with pytest.raises(UnknownMetricError, match="'smiles' is not in catalogue v1"):
        register(ledger, targets=(Target(metric="smiles", quarter="2019Q1", value=Decimal(1)),))


def test_the_owner_reports_an_outcome_and_it_becomes_current(ledger):
    register(ledger)
    ledger.handle(
        cmd.report_outcome(
            "P-BPA-01", "BPA", "r1", "plastic_collected_kg", "2019Q1", Decimal("120.5")
        )
    )
    assert ledger.program("P-BPA-01").current_value("plastic_collected_kg", "2019Q1") == Decimal(
        "120.5"
    )


def test_another_agency_cannot_report_on_the_programme(ledger):
    register(ledger)
    with pytest.raises(
        NotOwnerError, match="programme P-BPA-01 belongs to BPA; KAMCO cannot act on it"
    ):
        ledger.handle(
            cmd.report_outcome(
                "P-BPA-01", "KAMCO", "r1", "plastic_collected_kg", "2019Q1", Decimal(1)
            )
        )


def test_outcomes_outside_the_programme_life_are_refused(ledger):
    register(ledger)
    with pytest.raises(PeriodOutsideProgramError, match="2022Q1 is outside programme P-BPA-01"):
        ledger.handle(
            cmd.report_outcome(
                "P-BPA-01", "BPA", "r1", "plastic_collected_kg", "2022Q1", Decimal(1)
            )
        )


@pytest.mark.parametrize("value", ["-1", "NaN", "Infinity", "1000000000000"])
def test_values_must_be_finite_and_within_the_metric_range(ledger, value):
    register(ledger)
    with pytest.raises(ValueOutOfRangeError):
        ledger.handle(
            cmd.report_outcome(
                "P-BPA-01", "BPA", "r1", "plastic_collected_kg", "2019Q1", Decimal(value)
            )
        )


def test_a_second_report_for_the_same_metric_and_quarter_must_be_a_correction(ledger):
    register(ledger)
    ledger.handle(
        cmd.report_outcome("P-BPA-01", "BPA", "r1", "plastic_collected_kg", "2019Q1", Decimal(1))
    )
    with pytest.raises(AlreadyExistsError, match="send a correction that names it"):
        ledger.handle(
            cmd.report_outcome(
                "P-BPA-01", "BPA", "r2", "plastic_collected_kg", "2019Q1", Decimal(2)
            )
        )


def test_a_correction_replaces_the_current_value_and_keeps_the_original(ledger):
    register(ledger)
    ledger.handle(
        cmd.report_outcome("P-BPA-01", "BPA", "r1", "plastic_collected_kg", "2019Q1", Decimal(100))
    )
    ledger.handle(
        cmd.correct_outcome("P-BPA-01", "BPA", "r1-c", "r1", Decimal(90), "double-counted a beach")
    )
    program = ledger.program("P-BPA-01")
    assert program.current_value("plastic_collected_kg", "2019Q1") == Decimal(90)
    assert program.reports["r1"].value == Decimal(100)
    assert program.reports["r1-c"].corrects == "r1"


def test_a_correction_must_name_an_existing_report(ledger):
    register(ledger)
    with pytest.raises(ReportNotFoundError, match="has no report ghost to correct"):
        ledger.handle(cmd.correct_outcome("P-BPA-01", "BPA", "c1", "ghost", Decimal(1), "typo"))


def test_an_agency_that_left_cannot_act_after_leaving(ledger):
    register(ledger, code="P-HF-01", agency="HF", task="S4-T1", targets=())
    ledger.handle(cmd.retire_member("HF", date(2019, 1, 1), actor="BUSAN"))
    with pytest.raises(NotAMemberError, match="HF left the consortium on 2019-01-01"):
        ledger.handle(
            cmd.report_outcome(
                "P-HF-01", "HF", "r1", "vulnerable_beneficiaries", "2019Q1", Decimal(1)
            )
        )


def test_an_eighth_member_can_join_and_then_register(ledger):
    ledger.handle(
        cmd.admit_member(
            Member(
                code="BNK", name_ko="부산은행", name_en="BNK Busan Bank", joined_on=date(2019, 6, 1)
            ),
            actor="BUSAN",
        )
    )
    register(
        ledger, code="P-BNK-01", agency="BNK", task="S3-T2", targets=(), starts_on=date(2019, 7, 1)
    )
    assert ledger.program("P-BNK-01").agency == "BNK"


def test_promotion_makes_a_joint_project_whose_participants_may_report(ledger):
    register(ledger)
    ledger.program("P-BPA-01")
    program = ledger.program("P-BPA-01")
    program.promote("2019Q1", ("KAMCO", "HUG"), occurred_at=program.modified_on, actor="council")
    ledger.save(program)
    ledger.handle(
        cmd.report_outcome("P-BPA-01", "KAMCO", "r1", "plastic_collected_kg", "2019Q1", Decimal(1))
    )
    with pytest.raises(
        NotOwnerError, match="joint project of BPA, HUG, KAMCO; KIBO is not among them"
    ):
        ledger.handle(
            cmd.report_outcome(
                "P-BPA-01", "KIBO", "r2", "plastic_collected_kg", "2019Q2", Decimal(1)
            )
        )


def test_a_suspended_programme_cannot_be_suspended_again(ledger):
    register(ledger)
    program = ledger.program("P-BPA-01")
    program.suspend("audit", occurred_at=program.modified_on, actor="BPA")
    with pytest.raises(ProgramNotActiveError, match="only an active one can be suspended"):
        program.suspend("again", occurred_at=program.modified_on, actor="BPA")


def test_every_rule_error_derives_from_the_one_root():
    assert issubclass(NotOwnerError, ImpactError)


# -- time rules -------------------------------------------------------------------------


def test_an_outcome_for_a_quarter_not_yet_over_is_refused(ledger):
    from datetime import UTC, datetime

    from impact.errors import QuarterNotEndedError

    register(ledger, ends_on=date(2031, 12, 31))
    with pytest.raises(QuarterNotEndedError, match="2030Q4 ends on 2031-01-01") as refused:
        ledger.handle(
            cmd.report_outcome(
                "P-BPA-01",
                "BPA",
                "r1",
                "plastic_collected_kg",
                "2030Q4",
                Decimal(1),
                occurred_at=datetime(2026, 5, 1, tzinfo=UTC),
            )
        )
    assert refused.value.code == "quarter_not_ended"
    assert "report it once the quarter is over" in str(refused.value)


def test_an_outcome_that_arrived_before_its_quarter_ended_is_refused():
    from datetime import UTC, datetime

    from impact.domain.program import Program
    from impact.errors import QuarterNotEndedError

    program = Program(
        code="P-BPA-01",
        agency="BPA",
        task_code="S4-T2",
        title_ko="캠페인",
        title_en="Campaign",
        origin_proposals=(),
        targets=(),
        budget_krw=1,
        starts_on=date(2019, 1, 1),
        ends_on=None,
        catalogue_version=1,
        measures=("plastic_collected_kg",),
        occurred_at=datetime(2019, 1, 1, tzinfo=UTC),
        actor="BPA",
    )
    with pytest.raises(QuarterNotEndedError, match="cannot be received on 2019-03-31"):
        program.report_outcome(
            "r1",
            "plastic_collected_kg",
            "2019Q1",
            Decimal(1),
            None,
            None,
            occurred_at=datetime(2019, 4, 1, tzinfo=UTC),
            actor="BPA",
            arrived_at=datetime(2019, 3, 31, 23, tzinfo=UTC),
        )
    program.report_outcome(
        "r1",
        "plastic_collected_kg",
        "2019Q1",
        Decimal(1),
        None,
        None,
        occurred_at=datetime(2019, 4, 1, tzinfo=UTC),
        actor="BPA",
        arrived_at=datetime(2019, 4, 1, 0, 1, tzinfo=UTC),
    )
    assert program.current_value("plastic_collected_kg", "2019Q1") == Decimal(1)


def test_an_outcome_for_a_quarter_before_the_programme_started_has_its_own_code(ledger):
    from impact.errors import BeforeProgramStartError

    register(ledger)
    with pytest.raises(BeforeProgramStartError, match="report quarters from 2019Q1 on") as refused:
        ledger.handle(
            cmd.report_outcome(
                "P-BPA-01", "BPA", "r1", "plastic_collected_kg", "2018Q4", Decimal(1)
            )
        )
    assert refused.value.code == "before_program_start"


# -- what a programme committed to report ------------------------------------------------


def test_a_programme_reports_only_the_metrics_it_committed_to(ledger):
    from impact.errors import MetricNotDeclaredError

    register(ledger)  # targets: plastic_collected_kg only
    with pytest.raises(MetricNotDeclaredError, match="did not commit to report") as refused:
        ledger.handle(
            cmd.report_outcome(
                "P-BPA-01", "BPA", "r1", "vulnerable_beneficiaries", "2019Q1", Decimal(10**7)
            )
        )
    assert refused.value.code == "metric_not_declared"
    assert "committed to: plastic_collected_kg" in str(refused.value)
    assert ledger.program("P-BPA-01").reports == {}


def test_metrics_declared_at_registration_may_be_reported(ledger):
    register(ledger, measures=("participant_satisfaction",))
    ledger.handle(
        cmd.report_outcome(
            "P-BPA-01", "BPA", "r1", "participant_satisfaction", "2019Q1", Decimal(4)
        )
    )
    assert ledger.program("P-BPA-01").declared == {
        "plastic_collected_kg",
        "participant_satisfaction",
    }


def test_declaring_more_later_is_a_dated_event_of_its_own(ledger):
    from datetime import UTC, datetime

    from impact.contract.submissions import DeclareMetrics
    from impact.domain.program import Program

    register(ledger)
    at = datetime(2019, 6, 1, tzinfo=UTC)
    ledger.handle(
        DeclareMetrics.model_construct(
            schema_version=1,
            kind="program.measures",
            submission_id="test:declare",
            agency="BPA",
            submitted_at=at,
            program_code="P-BPA-01",
            metrics=("vulnerable_beneficiaries",),
            reason="the campaign now trains residents",
        )
    )
    program = ledger.program("P-BPA-01")
    assert "vulnerable_beneficiaries" in program.declared
    declared = [e for _, e in ledger.iter_events() if isinstance(e, Program.MetricsDeclared)]
    assert [(e.metrics, e.occurred_at) for e in declared] == [(("vulnerable_beneficiaries",), at)]
    with pytest.raises(AlreadyExistsError, match="already committed to report"):
        ledger.handle(
            DeclareMetrics.model_construct(
                schema_version=1,
                kind="program.measures",
                submission_id="test:declare2",
                agency="BPA",
                submitted_at=at,
                program_code="P-BPA-01",
                metrics=("vulnerable_beneficiaries",),
                reason="again",
            )
        )


# -- partners who consent ---------------------------------------------------------------


def test_an_agency_becomes_a_partner_only_with_its_own_acceptance(ledger):
    from impact.domain.program import Partner

    register(ledger)
    ledger.handle(
        cmd.join_partner("P-BPA-01", "BPA", Partner(kind="agency", name="KOSPO", code="KOSPO"))
    )
    ledger.handle(
        cmd.join_partner("P-BPA-01", "BPA", Partner(kind="agency", name="KSD", code="KSD"))
    )
    assert ledger.program("P-BPA-01").confirmed_partners() == []
    ledger.handle(cmd.answer_partnership("P-BPA-01", "KOSPO", accept=True))
    ledger.handle(cmd.answer_partnership("P-BPA-01", "KSD", accept=False, reason="not our field"))
    program = ledger.program("P-BPA-01")
    assert [p.code for p in program.confirmed_partners()] == ["KOSPO"]
    assert program.consents == {"KOSPO": True, "KSD": False}


def test_an_agency_cannot_accept_a_partnership_it_was_never_offered(ledger):
    from impact.errors import PartnerConsentError

    register(ledger)
    with pytest.raises(PartnerConsentError, match="never named KAMCO a partner") as refused:
        ledger.handle(cmd.answer_partnership("P-BPA-01", "KAMCO", accept=True))
    assert refused.value.code == "partner_consent"


def test_an_agency_partner_is_named_by_its_member_code(ledger):
    from impact.domain.program import Partner
    from impact.errors import PartnerConsentError

    register(ledger)
    with pytest.raises(PartnerConsentError, match="by its member code"):
        ledger.handle(cmd.join_partner("P-BPA-01", "BPA", Partner(kind="agency", name="KAMCO")))
    with pytest.raises(NotAMemberError, match="NOPE is not a member"):
        ledger.handle(
            cmd.join_partner("P-BPA-01", "BPA", Partner(kind="agency", name="x", code="NOPE"))
        )
    with pytest.raises(PartnerConsentError, match="cannot also be its partner"):
        ledger.handle(
            cmd.join_partner("P-BPA-01", "BPA", Partner(kind="agency", name="BPA", code="BPA"))
        )


def test_a_civic_partner_counts_only_with_an_identifier_or_evidence(ledger):
    from impact.domain.program import Evidence, Partner

    register(ledger)
    for n in range(3):
        ledger.handle(
            cmd.join_partner("P-BPA-01", "BPA", Partner(kind="civic", name=f"Fake civic group {n}"))
        )
    registered = Partner(kind="enterprise", name="Sea Co.", code="123-45-67890")
    evidenced = Partner(
        kind="civic",
        name="Beach watch",
        evidence=Evidence(uri="https://evidence.example/mou.pdf", sha256="a" * 64),
    )
    ledger.handle(cmd.join_partner("P-BPA-01", "BPA", registered))
    ledger.handle(cmd.join_partner("P-BPA-01", "BPA", evidenced))
    assert ledger.program("P-BPA-01").confirmed_partners() == [registered, evidenced]
