"""The main job killed at any instant of its first half minute resumes after the last act
stored and ends where an uninterrupted run ends (issue: a kill before the first review
left it unable to resume)."""

import re
import signal
import subprocess
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest

from impact.bootstrap import build_ledger
from impact.scenario.generator import build_scenario
from impact.settings import Settings
from tests.e2e.conftest import IMPACT

pytestmark = [pytest.mark.e2e, pytest.mark.trial]

UNTIL = "2019Q2"
KILL_AFTER = (0.3, "progress", 1.5, 3.0, 5.0, 8.0, 12.0, 17.0, 23.0, 30.0)
"""Seconds after each start (or as soon as the progress file exists), one kill each."""


def digest_of(output: str) -> str:
    found = re.search(r"inputs digest ([0-9a-f]{64})", output)
    assert found, output
    return found.group(1)


def demo(env: dict[str, str], timeout: float = 600) -> str:
    done = subprocess.run(
        [IMPACT, "demo", "--until", UNTIL], env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"impact demo failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def killed(env: dict[str, str], after: float | str, log: Path) -> str:
    """Start the main job, SIGKILL it ``after`` seconds (or once ``<state>/demo.json``
    exists); what it printed."""
    progress = Path(env["IMPACT_STATE_DIR"]) / "demo.json"
    with log.open("w") as output:
        job = subprocess.Popen([IMPACT, "demo", "--until", UNTIL], env=env, stdout=output)
    try:
        if after == "progress":
            deadline = time.monotonic() + 60
            while not progress.exists() and time.monotonic() < deadline:
                time.sleep(0.01)
        else:
            time.sleep(float(after))
    finally:
        job.send_signal(signal.SIGKILL)
        job.wait()
    return log.read_text()


def test_the_main_job_killed_again_and_again_in_its_first_seconds_ends_as_an_uninterrupted_run(
    impact_env, tmp_path
):
    tag = uuid.uuid4().hex[:10]
    reference_env = {
        **impact_env,
        "IMPACT_STATE_DIR": str(tmp_path / "reference"),
        "CLICKHOUSE_DSN": f"chdb://{tmp_path / 'reference-clickhouse'}",
        "IMPACT_EVENTS_TOPIC": f"e2e.events.{tag}",
        "IMPACT_SUBMISSIONS_TOPIC": f"e2e.submissions.{tag}",
        "IMPACT_REJECTIONS_TOPIC": f"e2e.rejected.{tag}",
        "IMPACT_RELAY_TRANSACTIONAL_ID": f"e2e-relay-{tag}",
    }
    uninterrupted = digest_of(demo(reference_env))

    finished = None
    for n, after in enumerate(KILL_AFTER):
        printed = killed(impact_env, after, tmp_path / f"kill-{n}.log")
        assert "error" not in printed.lower(), printed
        if "inputs digest" in printed:
            # A quick machine finishes the short scenario, resumed again and again, before the
            # last kills: each of the first seconds' kills must have happened by then.
            assert n > KILL_AFTER.index(5.0), f"the job finished before kill {n} ({after})"
            finished = printed
            break
    resumed = finished if finished is not None else demo(impact_env)
    if finished is None:
        assert "resuming the interrupted run" in resumed
    assert digest_of(resumed) == uninterrupted

    acts = build_scenario().acts
    cutoff = next(a.at for a in acts if a.kind == "council" and a.data["quarter"] == UNTIL)
    kinds = Counter(a.kind for a in acts if a.at <= cutoff)
    ledger = build_ledger(Settings(state_dir=Path(impact_env["IMPACT_STATE_DIR"])))
    events = Counter(type(e).__qualname__ for _, e in ledger.iter_events())
    assert events["Proposal.Submitted"] == kinds["proposal.submit"]
    assert events["Submission.Accepted"] + events["Rejection.Recorded"] == (
        kinds["submission"] + kinds["bad_submission"]
    )
    assert events["Rejection.Recorded"] == kinds["bad_submission"]
    assert events["PromotionReview.CandidatesScored"] == kinds["review"]
