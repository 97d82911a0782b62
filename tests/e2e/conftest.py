"""The ``impact`` command as a user runs it, on a state folder and topics of the test's own."""

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from impact.settings import Settings

IMPACT = shutil.which("impact", path=str(Path(sys.executable).parent)) or "impact"

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def impact_env(broker, tmp_path, swept) -> Iterator[dict[str, str]]:
    tag = uuid.uuid4().hex[:10]
    env = {
        **os.environ,
        "IMPACT_STATE_DIR": str(tmp_path / "state"),
        "IMPACT_AGENCIES_DIR": str(tmp_path / "agencies"),
        "CLICKHOUSE_DSN": f"chdb://{tmp_path / 'clickhouse'}",
        "KAFKA_BOOTSTRAP_SERVERS": broker.kafka_bootstrap_servers,
        "IMPACT_KAFKA_CREDENTIALS": str(broker.kafka_credentials_dir),
        "IMPACT_EVENTS_TOPIC": f"e2e.events.{tag}",
        "IMPACT_SUBMISSIONS_TOPIC": f"e2e.submissions.{tag}",
        "IMPACT_REJECTIONS_TOPIC": f"e2e.rejected.{tag}",
        "IMPACT_RELAY_TRANSACTIONAL_ID": f"e2e-relay-{tag}",
    }
    yield env
    swept(
        Settings(
            events_topic=env["IMPACT_EVENTS_TOPIC"],
            submissions_topic=env["IMPACT_SUBMISSIONS_TOPIC"],
            rejections_topic=env["IMPACT_REJECTIONS_TOPIC"],
            relay_transactional_id=env["IMPACT_RELAY_TRANSACTIONAL_ID"],
        )
    )


@pytest.fixture
def run(impact_env) -> Run:
    def impact(
        *args: str, ok: bool = True, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [IMPACT, *args], env=impact_env, capture_output=True, text=True, timeout=timeout
        )
        if ok:
            assert done.returncode == 0, (
                f"impact {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
            )
        return done

    return impact


@pytest.fixture
def audit(impact_env):
    """``impact audit …`` / ``impact privacy …``."""

    def command(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "impact.cli", *args],
            env=impact_env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if ok:
            assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done

    return command
