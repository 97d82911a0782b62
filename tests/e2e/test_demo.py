"""The main job, as a new user runs it: the Busan scenario through the whole platform."""

import re
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from impact.bootstrap import build_ledger
from impact.scenario.generator import build_scenario
from impact.settings import Settings
from tests.e2e.conftest import IMPACT
from tests.e2e.dagster_ui import dagster_ui

pytestmark = pytest.mark.e2e

UNTIL = "2019Q3"


def expected_acts() -> list:
    acts = build_scenario().acts
    cutoff = next(a.at for a in acts if a.kind == "council" and a.data["quarter"] == UNTIL)
    return [a for a in acts if a.at <= cutoff]


def recorded(state: Path) -> Counter[str]:
    ledger = build_ledger(Settings(state_dir=state))
    return Counter(type(event).__qualname__ for _, event in ledger.iter_events())


def test_the_main_job_plays_the_scenario_and_a_second_run_shows_the_result(run, impact_env):
    first = run("demo", "--until", UNTIL, timeout=600).stdout
    assert "starting clean" in first
    acts = expected_acts()
    kinds = Counter(a.kind for a in acts)
    submissions = Counter(a.data["submission"]["kind"] for a in acts if a.kind == "submission")
    events = recorded(Path(impact_env["IMPACT_STATE_DIR"]))

    assert events["Proposal.Submitted"] == kinds["proposal.submit"]
    assert events["Program.Registered"] == submissions["program.register"]
    assert events["Program.OutcomeReported"] == submissions["outcome.report"]
    assert events["Program.OutcomeCorrected"] == submissions["outcome.correct"]
    assert events["Rejection.Recorded"] == kinds["bad_submission"]
    assert events["PromotionReview.CandidatesScored"] == kinds["review"]
    promoted = re.search(r"promoted to joint projects: (.*)", first)
    assert events["Program.Promoted"] == (len(promoted.group(1).split(",")) if promoted else 0)
    assert f"played {len(acts)} acts" in first

    report = Path(re.search(r"council report: (\S+)", first).group(1))
    top = re.search(r"│\s+1 │ (P-[A-Z0-9-]+)", first).group(1)
    assert report.exists() and top in report.read_text(encoding="utf-8")

    operators_see_what_ran(
        impact_env, digest=re.search(r"inputs digest ([0-9a-f]{64})", first).group(1)
    )

    second = run("demo", "--until", UNTIL).stdout
    assert "already recorded" in second and top in second
    assert recorded(Path(impact_env["IMPACT_STATE_DIR"])) == events


def test_the_main_job_killed_mid_run_resumes_and_records_everything_once(run, impact_env, tmp_path):
    state = Path(impact_env["IMPACT_STATE_DIR"])
    log = tmp_path / "demo.log"
    with log.open("w") as output:
        job = subprocess.Popen(
            [IMPACT, "demo", "--until", UNTIL], env=impact_env, stdout=output, stderr=output
        )
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and job.poll() is None:
            if "review 2019Q1 done" in log.read_text():
                break
            time.sleep(0.2)
        time.sleep(2.0)
    finally:
        job.send_signal(signal.SIGKILL)
        job.wait()
    assert "played" not in log.read_text(), "the job finished before it could be killed"

    resumed = run("demo", "--until", UNTIL, timeout=600).stdout
    assert "resuming the interrupted run" in resumed
    events = recorded(state)
    acts = expected_acts()
    submissions = Counter(a.data["submission"]["kind"] for a in acts if a.kind == "submission")
    assert events["Program.OutcomeReported"] == submissions["outcome.report"]
    assert events["Submission.Accepted"] == sum(submissions.values())
    assert events["PromotionReview.CandidatesScored"] == Counter(a.kind for a in acts)["review"]
    agencies = Path(impact_env["IMPACT_AGENCIES_DIR"])  # the resumed run signed on with them
    assert [len(list(f.glob("*.pem"))) for f in agencies.iterdir()] == [1] * 8


RUNS = "{ runsOrError { ... on Runs { results { status pipelineName tags { key value } } } } }"
ASSETS = (
    "{ assetNodes { assetKey { path } partitionStats { numMaterialized }"
    " assetMaterializations(limit: 50) { partition metadataEntries { label"
    " ... on TextMetadataEntry { text } ... on PathMetadataEntry { path }"
    " ... on IntMetadataEntry { intValue } } }"
    " assetChecksOrError { ... on AssetChecks { checks { name"
    " executionForLatestMaterialization { status } } } } } }"
)


def operators_see_what_ran(impact_env: dict[str, str], digest: str) -> None:
    """The UI on the state folder's Dagster home shows the main job's runs, every reviewed
    quarter's partitions with their metadata, and the checks' results."""
    home = Path(impact_env["IMPACT_STATE_DIR"]) / "dagster"
    quarters = [a.data["quarter"] for a in expected_acts() if a.kind == "review"]
    with dagster_ui(impact_env, home) as query:
        runs = query(RUNS)["runsOrError"]["results"]
        nodes = {tuple(n["assetKey"]["path"]): n for n in query(ASSETS)["assetNodes"]}
    reviewed = {
        t["value"]
        for r in runs
        if r["pipelineName"] == "quarterly_review"
        for t in r["tags"]
        if t["key"] == "dagster/partition"
    }
    assert {r["status"] for r in runs} == {"SUCCESS"}
    assert reviewed == {f"{q[:4]}-{3 * int(q[-1]) - 2:02d}-01" for q in quarters}
    assert "load_events" in {r["pipelineName"] for r in runs}
    for asset in ("quarterly_scores", "review_published", "council_report"):
        assert nodes[(asset,)]["partitionStats"]["numMaterialized"] == len(quarters), asset
    scores = {
        e["label"]: e.get("text") or e.get("intValue")
        for m in nodes[("quarterly_scores",)]["assetMaterializations"]
        if m["partition"] == max(reviewed)
        for e in m["metadataEntries"]
    }
    assert (scores["policy_version"], scores["inputs_digest"]) == (1, digest)
    report = next(
        e["path"]
        for m in nodes[("council_report",)]["assetMaterializations"]
        for e in m["metadataEntries"]
        if e["label"] == "path"
    )
    assert Path(report).exists()
    checks = {
        c["name"]: (c["executionForLatestMaterialization"] or {}).get("status")
        for n in nodes.values()
        for c in n["assetChecksOrError"].get("checks", [])
    }
    assert checks == dict.fromkeys(
        (
            "offsets_contiguous",
            "counts_reconcile_with_event_store",
            "nothing_quarantined",
            "every_candidate_has_all_components",
        ),
        "SUCCEEDED",
    )
