"""The Dagster instance the ledger's runs are recorded in (``DAGSTER_HOME``), as operators run
it: ``dagster-webserver`` and ``dagster-daemon`` on one home, runs launched by the daemon
from its queue, each in its own process.

The queue runs one run at a time: the embedded ClickHouse (chDB) opens a path in one process
only, and every run of the ledger's jobs opens it (the sensor lets go of it after each look).
With a ClickHouse server (``CLICKHOUSE_DSN=http://…``) that limit can be raised.
"""

from pathlib import Path

DAGSTER_YAML = """\
# Written by impact.orchestration.instance (the ledger's Dagster home); edit freely: it is
# written only when missing.
run_coordinator:
  module: dagster.core.run_coordinator
  class: QueuedRunCoordinator
  config:
    # One run at a time: the embedded ClickHouse (chDB) is opened by one process at a time.
    # With a ClickHouse server (CLICKHOUSE_DSN=http://...) raise it.
    max_concurrent_runs: 1
    dequeue_interval_seconds: 2
run_launcher:
  module: dagster.core.launcher
  class: DefaultRunLauncher
telemetry:
  enabled: false
"""


def prepare_home(home: Path) -> Path:
    """Create the Dagster home with the ledger's ``dagster.yaml`` unless it has one."""
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML, encoding="utf-8")
    return home
