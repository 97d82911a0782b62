"""The main job on PostgreSQL: `impact demo` with EVENT_STORE_DSN naming a database of the
project-local server plays the whole scenario (to 2021Q4) to the same inputs digest as on
SQLite, and its log verifies end to end."""

import re
import subprocess
import time

import pytest

from tests.e2e.conftest import IMPACT

pytestmark = [pytest.mark.e2e, pytest.mark.trial]


def demo(env: dict[str, str]) -> tuple[str, float]:
    """The inputs digest of the last review the main job printed, and how long it took."""
    began = time.monotonic()
    done = subprocess.run([IMPACT, "demo"], env=env, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    found = re.findall(r"inputs digest ([0-9a-f]{64})", done.stdout)
    assert found, done.stdout[-2000:]
    assert "2021Q4" in done.stdout, done.stdout[-2000:]
    return found[-1], time.monotonic() - began


@pytest.mark.timeout(2400)
def test_the_main_job_on_postgresql_reaches_the_digest_it_reaches_on_sqlite(
    impact_env, postgres_database, tmp_path
):
    on_sqlite, sqlite_took = demo(impact_env)
    tag = "pg" + impact_env["IMPACT_EVENTS_TOPIC"].rsplit(".", 1)[-1]
    postgres = {
        **impact_env,
        "EVENT_STORE_DSN": postgres_database,
        "IMPACT_STATE_DIR": str(tmp_path / "pg-state"),
        "CLICKHOUSE_DSN": f"chdb://{tmp_path / 'pg-clickhouse'}",
        "IMPACT_EVENTS_TOPIC": f"e2e.events.{tag}",
        "IMPACT_SUBMISSIONS_TOPIC": f"e2e.submissions.{tag}",
        "IMPACT_REJECTIONS_TOPIC": f"e2e.rejected.{tag}",
        "IMPACT_RELAY_TRANSACTIONAL_ID": f"e2e-relay-{tag}",
    }
    on_postgres, postgres_took = demo(postgres)
    assert on_postgres == on_sqlite
    verified = subprocess.run(
        [IMPACT, "audit", "verify"], env=postgres, capture_output=True, text=True, timeout=600
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    print(f"the whole demo: SQLite {sqlite_took:.0f} s, PostgreSQL {postgres_took:.0f} s")
