"""The bundled scenario is grounded in the 2018 declaration and the same for the same seed."""

from collections import Counter

from impact.contract.submissions import submission_adapter
from impact.scenario.generator import build_scenario


def test_the_same_seed_gives_the_same_acts_and_another_seed_other_values():
    assert build_scenario(seed=1).acts == build_scenario(seed=1).acts
    assert build_scenario(seed=1).acts != build_scenario(seed=2).acts


def test_about_250_citizen_proposals_arrive_in_eight_weeks_from_october_2018_and_more_later():
    acts = build_scenario().acts
    first_wave = [
        a for a in acts if a.kind == "proposal.submit" and a.data["code"].startswith("C-2018-")
    ]
    assert len(first_wave) == 250
    assert min(a.at for a in first_wave).date().isoformat() >= "2018-10-01"
    assert max(a.at for a in first_wave).date().isoformat() <= "2018-11-26"
    assert sum(a.kind == "proposal.submit" for a in acts) > 250
    decisions = Counter(
        a.kind for a in acts if a.kind in ("proposal.adopt", "proposal.reject", "proposal.merge")
    )
    assert decisions["proposal.adopt"] < decisions["proposal.reject"] + decisions["proposal.merge"]


def test_thirty_to_forty_programmes_with_the_named_ones_of_the_declaration():
    scenario = build_scenario()
    registrations = [
        a.data["submission"]
        for a in scenario.acts
        if a.kind == "submission" and a.data["submission"]["kind"] == "program.register"
    ]
    assert 30 <= len(registrations) <= 40
    titles = {r["title_ko"] for r in registrations}
    assert {
        "플라스틱 ZERO 캠페인",
        "7개 공공기관 합동 채용박람회",
        "사회적경제기업 플리마켓",
    } <= titles
    plastic = next(r for r in registrations if r["program_code"] == "P-BPA-01")
    assert plastic["origin_proposals"], "the Plastic ZERO campaign was born from a citizen proposal"


def test_every_agency_submission_matches_the_contract():
    for act in build_scenario().acts:
        if act.kind == "submission":
            submission_adapter.validate_python(act.data["submission"])


def test_an_eighth_member_joins_in_2019_and_quarterly_reviews_run_2019_to_2021():
    acts = build_scenario().acts
    (join,) = [a for a in acts if a.kind == "member.join"]
    assert join.at.year == 2019
    assert [a.data["quarter"] for a in acts if a.kind == "review"] == [
        f"{y}Q{q}" for y in (2019, 2020, 2021) for q in (1, 2, 3, 4)
    ]


def test_scale_multiplies_programmes_and_outcomes():
    one, three = build_scenario(scale=1), build_scenario(scale=3)
    assert three.submissions_of("outcome.report") > 2.5 * one.submissions_of("outcome.report")
    assert (
        three.submissions_of("program.register") > 2.5 * one.submissions_of("program.register") - 20
    )


def test_some_reports_are_late_some_corrected_and_a_few_submissions_bad():
    scenario = build_scenario()
    assert scenario.submissions_of("outcome.correct") > 10
    assert scenario.count("bad_submission") > 5


def test_the_scenario_plays_the_trust_rules_without_changing_the_other_acts():
    from impact.scenario.generator import AUDITOR, POLICY_V2_FROM, REGISTER_FROM

    acts = build_scenario().acts
    (adopt,) = [a for a in acts if a.kind == "policy.adopt"]
    assert (adopt.data["version"], adopt.data["effective_from"]) == (2, str(POLICY_V2_FROM))
    answers = [
        a.data["submission"]
        for a in acts
        if a.kind == "submission" and a.data["submission"]["kind"] == "program.partner.answer"
    ]
    assert [(s["program_code"], s["agency"]) for s in answers if not s["accept"]] == [
        ("P-BPA-01", "KSD")
    ]
    assert sum(s["accept"] for s in answers) >= 5
    registered = {a.data["sha256"] for a in acts if a.kind == "evidence.register"}
    attested = [a for a in acts if a.kind == "evidence.attest"]
    assert attested and {a.data["sha256"] for a in attested} <= registered
    assert any(a.data["attester"] == AUDITOR for a in attested)
    cited = {
        a.data["submission"]["evidence"]["sha256"]: a.data["submission"]["quarter"]
        for a in acts
        if a.kind == "submission"
        and a.data["submission"]["kind"] == "outcome.report"
        and a.data["submission"].get("evidence")
    }
    assert {cited[sha] for sha in registered} == {
        q for q in cited.values() if q >= str(REGISTER_FROM)
    }
