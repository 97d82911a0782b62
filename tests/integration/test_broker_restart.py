"""A broker stopped and started in the middle of a run: the ingest and the relay recover by themselves."""

import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from impact.bootstrap import build_ledger
from impact.domain.submission import Submission
from impact.ingest.client import AgencyClient
from impact.ingest.relay import highest_published
from impact.settings import Settings
from tests import commands as cmd
from tests.integration.conftest import process_environment
from tests.integration.test_relay import assert_exactly_once_and_contiguous
from tests.submissions import registered_key, registration, report, signed

pytestmark = pytest.mark.integration

IMPACT = str(Path(sys.executable).parent / "impact")


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except Exception:  # the broker may be away; ask again
            pass
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def test_ingest_and_relay_carry_on_after_the_broker_restarts(scratch, tmp_path):
    scratch.up()
    tag = uuid.uuid4().hex[:8]
    settings = Settings(
        state_dir=tmp_path / "state",
        kafka_bootstrap_servers=scratch.settings.kafka_bootstrap_servers,
        kafka_credentials=scratch.settings.kafka_credentials_dir,
        events_topic=f"restart.events.{tag}",
        submissions_topic=f"restart.submissions.{tag}",
        rejections_topic=f"restart.rejected.{tag}",
        relay_transactional_id=f"restart-relay-{tag}",
    )
    ledger = build_ledger(settings)
    ledger.handle(cmd.found())
    bpa = registered_key(ledger, "BPA")
    env = process_environment(settings)
    client = AgencyClient(settings.kafka, settings.topics, bpa)
    first = [f"P-BPA-{i:03d}" for i in range(20)]
    later = [f"P-BPA-{i:03d}" for i in range(20, 40)]
    client.send_raw([(c, c.encode(), signed(bpa, registration("BPA", c))) for c in first])
    workers = [
        subprocess.Popen(
            [IMPACT, name], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        for name in ("ingest", "relay")
    ]
    try:

        def accepted() -> int:
            return sum(
                isinstance(e, Submission.Accepted) for _, e in build_ledger(settings).iter_events()
            )

        wait_for(lambda: accepted() == len(first), 60, "the first submissions")
        scratch.down()
        time.sleep(3)
        scratch.up()
        client.send_raw([(c, c.encode(), signed(bpa, registration("BPA", c))) for c in later])
        client.send_raw([(c, c.encode(), signed(bpa, report("BPA", c))) for c in first + later])
        total = len(first) + 2 * len(later) + len(first)
        wait_for(lambda: accepted() == total, 120, "every submission after the restart")
        wait_for(
            lambda: (
                highest_published(settings.kafka, settings.events_topic)
                == build_ledger(settings).max_notification_id()
            ),
            120,
            "the relay to publish everything",
        )
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=30)
    assert_exactly_once_and_contiguous(build_ledger(settings), settings)
