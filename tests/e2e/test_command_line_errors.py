"""A user's mistakes at the ``impact`` command: one line on stderr, exit status 2, and the
text of the ledger printed as it is."""

import re
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

pytestmark = pytest.mark.e2e


def test_a_refusal_of_the_ledger_is_one_line_that_keeps_brackets_and_exits_2(run):
    run("init")
    refused = run("proposal", "reject", "[erased]", "--reason", "duplicate", ok=False)
    assert refused.returncode == 2
    assert refused.stderr == "error: proposal [erased] does not exist\n"
    assert refused.stdout == ""


def test_a_bad_value_names_its_option_before_anything_is_recorded(run):
    run("init")
    bad_time = run(
        "proposal", "submit", "--code", "C-2018-0001", "--title", "해변 플라스틱 줍기",
        "--occurred-at", "last tuesday", ok=False,
    )  # fmt: skip
    assert bad_time.returncode == 2
    assert "Invalid value for '--occurred-at': 'last tuesday' is not a time" in bad_time.stderr
    assert len(bad_time.stderr.splitlines()) == 1
    nothing = run("proposal", "reject", "C-2018-0001", "--reason", "duplicate", ok=False)
    assert "proposal C-2018-0001 does not exist" in nothing.stderr


def test_an_erasure_says_the_data_now_reads_as_erased(run):
    run("init")
    run("proposal", "submit", "--code", "C-2018-0001", "--title", "해변 플라스틱 줍기",
        "--proposer-id", "citizen-1", "--proposer-name", "김부산")  # fmt: skip
    erased = run("privacy", "erase", "citizen-1", "--yes")
    assert "which now read as [erased]" in erased.stdout


# -- dates, quarters, codes ------------------------------------------------------------------


def test_days_are_read_in_their_common_forms_and_a_wrong_one_says_the_expected_forms(run):
    run("init")
    run("program", "register", "--code", "P-BPA-01", "--agency", "BPA", "--task", "S4-T2",
        "--title-ko", "해변", "--title-en", "Beach", "--budget-krw", "1000",
        "--starts-on", "2019/01/01", "--ends-on", "2021-12-31",
        "--measure", "plastic_collected_kg", "--occurred-at", "2018-12-1")  # fmt: skip
    run("program", "report", "--program", "P-BPA-01", "--agency", "BPA",
        "--metric", "plastic_collected_kg", "--quarter", "2019Q1", "--value", "600",
        "--occurred-at", "2019/04/05")  # fmt: skip
    wrong = run("review", "2019Q1", "--as-of", "05/04/2019", ok=False)
    assert wrong.returncode == 2 and wrong.stdout == ""
    assert "'05/04/2019' is not a time; write it as ISO 8601" in wrong.stderr
    assert "2019/04/05" in wrong.stderr and len(wrong.stderr.splitlines()) == 1


@pytest.mark.parametrize("quarter", ["2018Q4", "current", "2099Q1"])
def test_a_quarter_that_cannot_be_reviewed_is_one_line_and_exit_2(run, quarter):
    if quarter == "current":
        today = datetime.now(tz=ZoneInfo("Asia/Seoul")).date()
        quarter = f"{today.year}Q{(today.month - 1) // 3 + 1}"
    refused = run("review", quarter, ok=False)
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.startswith(f"error: {quarter} cannot be reviewed: ")
    assert "reviewable: 2019Q1 to " in refused.stderr
    assert "Traceback" not in refused.stderr and len(refused.stderr.splitlines()) == 1


def test_a_proposal_code_is_checked_like_a_programme_code(run):
    refused = run("proposal", "submit", "--code", "X-1", "--title", "t", ok=False)
    assert refused.returncode == 2
    assert "'X-1' is not a proposal code; write it as C-YEAR-NUMBER" in refused.stderr


def test_a_relay_that_cannot_reach_kafka_gives_up_with_exit_2(run, impact_env):
    impact_env["KAFKA_BOOTSTRAP_SERVERS"] = "127.0.0.1:1"
    impact_env["IMPACT_KAFKA_PATIENCE"] = "6"
    started = time.monotonic()
    gave_up = run("relay", "--until-idle", ok=False, timeout=120)
    assert gave_up.returncode == 2 and time.monotonic() - started < 60
    assert "the relay gave up after 6 s of failures to reach Kafka at 127.0.0.1:1" in (
        gave_up.stderr
    )


# -- a newcomer's flow: the subject of a proposal, its erasure, an empty ranking's report --


def test_the_subject_of_a_proposal_is_found_by_its_code_and_its_erasure_shows(run, tmp_path):
    run("init")
    run("proposal", "submit", "--code", "C-2018-0001", "--title", "해변 플라스틱 줍기",
        "--proposer-name", "김부산", "--occurred-at", "2018-12-01")  # fmt: skip
    status = run("privacy", "status", "C-2018-0001")
    assert "sealed under subject subject:C-2018-0001" in status.stdout
    assert "subject:C-2018-0001: key held" in status.stdout
    erased = run("privacy", "erase", "subject:C-2018-0001", "--yes")
    assert "which now read as [erased]" in erased.stdout
    run("relay", "--until-idle")
    history = run("audit", "history", "C-2018-0001")
    assert "submitted via website by [erased]" in history.stdout


def test_an_empty_ranking_says_why_and_its_report_counts_no_programme(run, tmp_path):
    run("init")
    run("program", "register", "--code", "P-BPA-01", "--agency", "BPA", "--task", "S4-T2",
        "--title-ko", "해변", "--title-en", "Beach", "--budget-krw", "1000",
        "--starts-on", "2019-01-01", "--target", "plastic_collected_kg:2019Q1:500")  # fmt: skip
    run("program", "report", "--program", "P-BPA-01", "--agency", "BPA",
        "--metric", "plastic_collected_kg", "--quarter", "2019Q1", "--value", "600")  # fmt: skip
    review = run("review", "2019Q1")
    assert "no programme is a candidate for 2019Q1" in review.stderr
    page = tmp_path / "2019Q1.html"
    run("report", "2019Q1", "--out", str(page))
    strategies = re.search(r'<table id="strategies">.*?</table>', page.read_text(), re.S)
    assert strategies is not None and "<tbody></tbody>" in strategies.group(0)


def test_plan_lists_the_tasks_a_programme_is_registered_under(run):
    plan = run("plan")
    assert "declared" in plan.stderr  # not founded yet: the plan the founding declares
    assert (
        "S4-T2" in plan.stdout and "A healthy environment and the marine ecosystem" in plan.stdout
    )
    run("init")
    founded = run("plan", "--on", "2019/01/01")
    assert founded.stderr == "" and "S1-T1" in founded.stdout
