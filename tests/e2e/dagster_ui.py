"""The Dagster UI (``dagster dev``) started as an operator starts it, and asked over GraphQL."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.integration.conftest import free_port

DAGSTER = str(Path(sys.executable).parent / "dagster")


def fetch(url: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        answer: dict[str, Any] = json.loads(response.read())
        return answer


def _default_stop_signals() -> None:
    """dagster dev maps SIGTERM to its SIGINT handler: with SIGINT ignored (inherited, as under a
    background job), it would ignore SIGTERM too and never stop."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@contextmanager
def dagster_ui(env: dict[str, str], home: Path) -> Iterator[Any]:
    """``dagster dev`` on the ledger's definitions and a Dagster home; yields a GraphQL query
    function, and stops the UI (its whole process group) afterwards."""
    port = free_port()
    server = subprocess.Popen(
        [DAGSTER, "dev", "-m", "impact.orchestration.definitions", "-p", str(port)],
        env={**env, "DAGSTER_HOME": str(home)},
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

        def query(text: str) -> dict[str, Any]:
            answer = fetch(f"{base}/graphql", {"query": text})
            assert "errors" not in answer, answer["errors"]
            data: dict[str, Any] = answer["data"]
            return data

        yield query
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
