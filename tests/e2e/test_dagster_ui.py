"""The Dagster UI serves the ledger's definitions, as the README tells operators to open it."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.integration.conftest import free_port

pytestmark = pytest.mark.e2e

DAGSTER = str(Path(sys.executable).parent / "dagster")


def fetch(url: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _default_stop_signals() -> None:
    """dagster dev maps SIGTERM to its SIGINT handler: with SIGINT ignored (inherited, as under a
    background job), it would ignore SIGTERM too and never stop."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_dagster_dev_serves_the_assets_jobs_and_schedule(impact_env, tmp_path):
    port = free_port()
    home = tmp_path / "dagster"
    home.mkdir()
    server = subprocess.Popen(
        [DAGSTER, "dev", "-m", "impact.orchestration.definitions", "-p", str(port)],
        env={**impact_env, "DAGSTER_HOME": str(home)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        preexec_fn=_default_stop_signals,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                fetch(f"{base}/server_info")
                break
            except OSError:
                assert server.poll() is None, "dagster dev exited"
                assert time.monotonic() < deadline, "the Dagster UI did not answer in 120 s"
                time.sleep(1)
        query = (
            "{ assetNodes { assetKey { path } } repositoriesOrError { ... on RepositoryConnection "
            "{ nodes { jobs { name } schedules { name } sensors { name } } } } }"
        )
        answer = fetch(f"{base}/graphql", {"query": query})["data"]
        assets = {tuple(n["assetKey"]["path"]) for n in answer["assetNodes"]}
        assert {
            ("published_events",),
            ("raw_events",),
            ("projections",),
            ("quarterly_scores",),
        } <= assets
        (repository,) = answer["repositoriesOrError"]["nodes"]
        assert "quarterly_review_schedule" in {s["name"] for s in repository["schedules"]}
        assert repository["sensors"], "the sensor that loads new events is served"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
