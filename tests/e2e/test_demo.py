"""The main job, as a new user runs it: the Busan scenario through the whole platform."""

import json
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

    second = run("demo", "--until", UNTIL).stdout
    assert "already recorded" in second and top in second
    assert recorded(Path(impact_env["IMPACT_STATE_DIR"])) == events


def test_the_main_job_killed_mid_run_resumes_and_records_everything_once(run, impact_env):
    state = Path(impact_env["IMPACT_STATE_DIR"])
    progress = state / "demo.json"
    job = subprocess.Popen(
        [IMPACT, "demo", "--until", UNTIL],
        env=impact_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and job.poll() is None:
            if progress.exists() and json.loads(progress.read_text())["last_seq"] > 0:
                break
            time.sleep(0.2)
        time.sleep(2.0)
    finally:
        job.send_signal(signal.SIGKILL)
        job.wait()
    assert not json.loads(progress.read_text())["done"], (
        "the job finished before it could be killed"
    )

    resumed = run("demo", "--until", UNTIL, timeout=600).stdout
    assert "resuming the interrupted run" in resumed
    events = recorded(state)
    acts = expected_acts()
    submissions = Counter(a.data["submission"]["kind"] for a in acts if a.kind == "submission")
    assert events["Program.OutcomeReported"] == submissions["outcome.report"]
    assert events["Submission.Accepted"] == sum(submissions.values())
    assert events["PromotionReview.CandidatesScored"] == Counter(a.kind for a in acts)["review"]
