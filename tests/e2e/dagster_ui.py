"""The Dagster UI (``dagster dev``) started as an operator starts it, and asked over GraphQL."""

import contextlib
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


MODULE = "impact.orchestration.definitions"
BIN = Path(sys.executable).parent


def _start(args: list[str], env: dict[str, str], home: Path) -> subprocess.Popen[bytes]:
    log = (home / f"{Path(args[0]).name}.log").open("ab")
    return subprocess.Popen(
        args,
        env={**env, "DAGSTER_HOME": str(home)},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=_default_stop_signals,
    )


def _stop(server: subprocess.Popen[bytes]) -> None:
    """Stop its process group (what it started too), unless that has exited already."""
    try:
        os.killpg(server.pid, signal.SIGTERM)
    except ProcessLookupError:
        server.wait(timeout=10)
        return
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)


@contextmanager
def dagster_ui(env: dict[str, str], home: Path, daemon: bool = False) -> Iterator[Any]:
    """``dagster dev`` on the ledger's definitions and a Dagster home, or (``daemon``) the
    webserver and ``dagster-daemon run`` as two processes, as operators run them; yields a
    GraphQL query function, and stops them (their whole process groups) afterwards."""
    from impact.orchestration.instance import prepare_home

    prepare_home(home)
    port = free_port()
    if daemon:
        # Both would create the home's storage at once on their first start, and one of them
        # fails on the other's tables: operators make it first, as here.
        subprocess.run(
            [DAGSTER, "instance", "migrate"],
            env={**env, "DAGSTER_HOME": str(home)},
            capture_output=True,
            check=True,
            timeout=120,
        )
        servers = [
            _start([str(BIN / "dagster-webserver"), "-m", MODULE, "-p", str(port)], env, home),
            _start([str(BIN / "dagster-daemon"), "run", "-m", MODULE], env, home),
        ]
    else:
        servers = [_start([DAGSTER, "dev", "-m", MODULE, "-p", str(port)], env, home)]
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                fetch(f"{base}/server_info")
                break
            except OSError:
                assert all(s.poll() is None for s in servers), "a Dagster process exited"
                assert time.monotonic() < deadline, "the Dagster UI did not answer in 120 s"
                time.sleep(1)

        def query(text: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
            body = {"query": text, "variables": variables or {}}
            for attempt in range(30):  # a refused connection while the webserver reloads
                try:
                    answer = fetch(f"{base}/graphql", body)
                    break
                except OSError:
                    assert all(s.poll() is None for s in servers), "a Dagster process exited"
                    if attempt == 29:
                        raise
                    time.sleep(1)
            assert "errors" not in answer, answer["errors"]
            data: dict[str, Any] = answer["data"]
            return data

        yield query
    finally:
        for server in servers:
            _stop(server)
