"""Dagster as operators run it: ``dagster-webserver`` and ``dagster-daemon`` on the ledger's
definitions and a home whose run queue runs one run at a time. The sensor, turned on over
GraphQL, launches ``load_events`` by itself once the event store is ahead of the log; the
quarterly schedule, evaluated at a simulated tick (the first day of 2019Q2 in Busan),
names the quarter to review, and its run request goes through the daemon's queue. Each
run's materializations and check results are read back over GraphQL."""

import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from tests.e2e.dagster_ui import dagster_ui

pytestmark = [pytest.mark.e2e, pytest.mark.trial]

BUSAN = ZoneInfo("Asia/Seoul")
REPOSITORIES = (
    "{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name } } } } }"
)
RUNS = """query($job: String!) { runsOrError(filter: {pipelineName: $job}) {
  ... on Runs { results { runId status tags { key value } } } } }"""
RUN = """query($id: ID!) {
  runOrError(runId: $id) { ... on Run { status assetMaterializations { assetKey { path } } } }
  logsForRun(runId: $id, limit: 1000) { ... on EventConnection { events {
    __typename ... on AssetCheckEvaluationEvent { evaluation { checkName success } }
    ... on ExecutionStepFailureEvent { stepKey error { message } }
    ... on RunFailureEvent { message } } } } }"""
START_SENSOR = """mutation($s: SensorSelector!) { startSensor(sensorSelector: $s) {
  __typename ... on Sensor { sensorState { status } } ... on PythonError { message } } }"""
LAUNCH = """mutation($p: ExecutionParams!) { launchRun(executionParams: $p) {
  __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message }
  ... on RunConfigValidationInvalid { errors { message } } } }"""


def finished_run(query: Any, job: str, timeout: float = 240) -> dict[str, Any]:
    """The first run of ``job`` once it has ended (it must have succeeded)."""
    deadline = time.monotonic() + timeout
    while True:
        runs = query(RUNS, {"job": job})["runsOrError"]["results"]
        ended = [r for r in runs if r["status"] in ("SUCCESS", "FAILURE", "CANCELED")]
        if ended:
            run = ended[-1]
            answer = query(RUN, {"id": run["runId"]})
            failures = [
                e.get("error", {}).get("message") or e.get("message")
                for e in answer["logsForRun"]["events"]
                if e["__typename"] in ("ExecutionStepFailureEvent", "RunFailureEvent")
            ]
            assert run["status"] == "SUCCESS", (run["status"], failures)
            return {
                **run,
                "assets": {
                    m["assetKey"]["path"][-1] for m in answer["runOrError"]["assetMaterializations"]
                },
                "checks": {
                    e["evaluation"]["checkName"]: e["evaluation"]["success"]
                    for e in answer["logsForRun"]["events"]
                    if e["__typename"] == "AssetCheckEvaluationEvent"
                },
            }
        assert time.monotonic() < deadline, f"no {job} run ended in {timeout:.0f} s: {runs}"
        time.sleep(2)


def test_the_daemon_launches_the_load_from_the_sensor_and_the_review_from_the_schedule(
    run, impact_env, tmp_path
):
    run("init")
    run("program", "register", "--code", "P-BPA-01", "--agency", "BPA", "--task", "S4-T2",
        "--title-ko", "해변", "--title-en", "Beach", "--budget-krw", "1000",
        "--starts-on", "2019-01-01", "--target", "plastic_collected_kg:2019Q1:500")  # fmt: skip
    run("program", "report", "--program", "P-BPA-01", "--agency", "BPA",
        "--metric", "plastic_collected_kg", "--quarter", "2019Q1", "--value", "600")  # fmt: skip

    with dagster_ui(impact_env, tmp_path / "dagster", daemon=True) as query:
        deadline = time.monotonic() + 120
        while not (nodes := query(REPOSITORIES)["repositoriesOrError"].get("nodes")):
            assert time.monotonic() < deadline, "the code location never loaded"
            time.sleep(1)  # the webserver answers before its code server has loaded
        (repository,) = nodes
        where = {
            "repositoryName": repository["name"],
            "repositoryLocationName": repository["location"]["name"],
        }
        started = query(START_SENSOR, {"s": {**where, "sensorName": "log_behind_sensor"}})
        assert started["startSensor"]["sensorState"]["status"] == "RUNNING", started

        # Nothing was relayed: the event store is ahead of the log, so the sensor asks.
        load = finished_run(query, "load_events")
        assert {"published_events", "raw_events", "projections"} <= load["assets"]
        assert load["checks"] and all(load["checks"].values()), load["checks"]
        assert any(t["key"] == "dagster/sensor_name" for t in load["tags"]), load["tags"]

        from impact.orchestration.definitions import build_definitions

        schedule = build_definitions().get_schedule_def("quarterly_review_schedule")
        tick = dg.build_schedule_context(
            scheduled_execution_time=datetime(2019, 4, 1, tzinfo=BUSAN)
        )
        requests = schedule.evaluate_tick(tick).run_requests or []
        (request,) = requests
        assert request.partition_key == "2019-01-01"
        tags = {**request.tags, "dagster/partition": request.partition_key}
        launched = query(
            LAUNCH,
            {
                "p": {
                    "selector": {**where, "jobName": "quarterly_review"},
                    "runConfigData": request.run_config or {},
                    "executionMetadata": {
                        "tags": [{"key": k, "value": str(v)} for k, v in tags.items()]
                    },
                }
            },
        )
        assert launched["launchRun"]["__typename"] == "LaunchRunSuccess", launched
        review = finished_run(query, "quarterly_review")
        assert {"quarterly_scores", "review_published", "council_report"} <= review["assets"]
        assert review["checks"] and all(review["checks"].values()), review["checks"]
