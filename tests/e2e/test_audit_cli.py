"""An auditor and a data-protection officer at the command line, against the real broker."""

import json

import pytest

pytestmark = pytest.mark.e2e


def test_an_auditor_verifies_replays_and_traces_a_proposal_whose_proposer_is_then_erased(
    run, audit
):
    run("init")
    run(
        "proposal",
        "submit",
        "--code",
        "C-2018-0001",
        "--title",
        "해변 플라스틱 줍기",
        "--proposer-id",
        "citizen-1",
        "--proposer-name",
        "김부산",
        "--occurred-at",
        "2018-10-02",
    )
    run("proposal", "start-review", "C-2018-0001", "--panel", "expert-1")
    run("proposal", "review", "C-2018-0001", "--score", "impact=90")
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
        "--origin",
        "C-2018-0001",
        "--target",
        "plastic_collected_kg:2019Q1:5000",
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
    )
    run("relay", "--until-idle")

    verified = audit("audit", "verify")
    assert "the log verifies end to end" in verified.stdout
    history = audit("audit", "history", "C-2018-0001").stdout
    assert "김부산" in history and "P-BPA-01" in history

    erased = audit("privacy", "erase", "citizen-1", "--yes").stdout
    assert "erased citizen-1" in erased and "C-2018-0001" in erased
    history = audit("audit", "history", "P-BPA-01", "--json").stdout
    assert "김부산" not in history
    assert json.loads(history)["entries"][0]["summary"].endswith("by [erased]")
    assert "the log verifies end to end" in audit("audit", "verify").stdout

    state = json.loads(audit("audit", "replay", "--json").stdout)
    assert state["state"]["proposals"] == 1 and state["state"]["programmes"] == 1
    assert state["quarters"][0]["quarter"] == "2019Q1" and "김부산" not in json.dumps(
        state, ensure_ascii=False
    )

    missing = audit("privacy", "erase", "citizen-404", "--yes", ok=False)
    assert missing.returncode == 2 and "no key of subject citizen-404" in missing.stderr
    nothing = audit("audit", "reproduce", "2019Q1", ok=False)
    assert nothing.returncode == 2 and "no review of 2019Q1 is recorded" in nothing.stderr
