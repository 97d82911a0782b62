"""A user drives the thin slice through the ``impact`` command, against the real broker."""

import json

import pytest

pytestmark = pytest.mark.e2e


def test_a_citizen_proposal_becomes_a_programme_whose_outcome_is_ranked(run):
    run("init")
    run(
        "proposal",
        "submit",
        "--code",
        "C-2018-0001",
        "--title",
        "해변 플라스틱 줍기",
        "--text",
        "바다를 지키자 🐢",
        "--category",
        "environment",
        "--proposer-id",
        "citizen-1",
        "--proposer-name",
        "김부산",
        "--occurred-at",
        "2018-10-02",
    )
    run(
        "proposal",
        "start-review",
        "C-2018-0001",
        "--panel",
        "expert-1",
        "--occurred-at",
        "2018-10-20",
    )
    run(
        "proposal",
        "review",
        "C-2018-0001",
        "--score",
        "impact=90",
        "--comment",
        "expert-1: 좋음",
        "--occurred-at",
        "2018-11-20",
    )
    run("proposal", "adopt", "C-2018-0001", "--task", "S4-T2", "--occurred-at", "2018-11-28")
    run(
        "program",
        "register",
        "--code",
        "P-BPA-01",
        "--agency",
        "BPA",
        "--task",
        "S4-T2",
        "--title-ko",
        "플라스틱 ZERO 캠페인",
        "--title-en",
        "Plastic ZERO campaign",
        "--budget-krw",
        "120000000",
        "--starts-on",
        "2019-01-01",
        "--ends-on",
        "2021-12-31",
        "--target",
        "plastic_collected_kg:2019Q1:5000",
        "--origin",
        "C-2018-0001",
        "--occurred-at",
        "2018-12-15",
    )
    run(
        "program",
        "register",
        "--code",
        "P-KAMCO-01",
        "--agency",
        "KAMCO",
        "--task",
        "S1-T1",
        "--title-ko",
        "합동 채용박람회",
        "--title-en",
        "Joint job fair",
        "--budget-krw",
        "80000000",
        "--starts-on",
        "2019-01-01",
        "--target",
        "jobs_created:2019Q1:40",
        "--occurred-at",
        "2018-12-15",
    )
    run(
        "program",
        "report",
        "--program",
        "P-BPA-01",
        "--agency",
        "BPA",
        "--metric",
        "plastic_collected_kg",
        "--quarter",
        "2019Q1",
        "--value",
        "6150.5",
        "--occurred-at",
        "2019-04-10",
    )
    run(
        "program",
        "report",
        "--program",
        "P-KAMCO-01",
        "--agency",
        "KAMCO",
        "--metric",
        "jobs_created",
        "--quarter",
        "2019Q1",
        "--value",
        "31",
        "--occurred-at",
        "2019-04-10",
    )

    ranking = json.loads(run("review", "2019Q1", "--json").stdout)
    assert ranking["quarter"] == "2019Q1"
    assert [(r["rank"], r["program_code"]) for r in ranking["ranking"]] == [
        (1, "P-BPA-01"),
        (2, "P-KAMCO-01"),
    ]
    # 100 × (.40 × 0.8201 performance + .30 × .2 ripple (citizen origin, flat trend) + .15 × .5 efficiency)
    assert ranking["ranking"][0]["score"] == "46.30"

    table = run("review", "2019Q1").stdout
    assert "P-BPA-01" in table and "플라스틱 ZERO 캠페인" in table


def test_bad_input_gets_a_clear_error_and_a_non_zero_exit(run):
    run("init")
    wrong_agency = run(
        "program",
        "report",
        "--program",
        "P-NONE-01",
        "--agency",
        "BPA",
        "--metric",
        "jobs_created",
        "--quarter",
        "2019Q1",
        "--value",
        "1",
        ok=False,
    )
    assert wrong_agency.returncode == 2
    assert "programme P-NONE-01 does not exist" in wrong_agency.stderr
    bad_quarter = run("review", "2019Q5", ok=False)
    assert bad_quarter.returncode == 2
    assert "write it like 2021Q4" in bad_quarter.stderr
