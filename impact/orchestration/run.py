"""Running the ledger's Dagster jobs in-process, as the CLI and tests do."""

import dagster as dg

from impact.orchestration.assets import (
    projections,
    published_events,
    quarterly,
    quarterly_ranking,
    raw_events,
)
from impact.orchestration.resources import resources_from
from impact.settings import Settings

QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def _instance() -> dg.DagsterInstance:
    import os

    return dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()


def run_load(settings: Settings) -> dg.ExecuteInProcessResult:
    """Relay, load and project: everything stored so far reaches ClickHouse."""
    result = dg.materialize(
        [published_events, raw_events, projections],
        resources=resources_from(settings), instance=_instance(), run_config=QUIET,
    )
    if not result.success:
        raise RuntimeError("the load job failed; see the log above")
    return result


def run_review(settings: Settings, partition_key: str) -> dg.ExecuteInProcessResult:
    """Load everything, then rank one quarter (partition key: the quarter's first day)."""
    run_load(settings)
    result = dg.materialize(
        [quarterly_ranking],
        resources=resources_from(settings), instance=_instance(), run_config=QUIET,
        partition_key=partition_key,
    )
    if not result.success:
        raise RuntimeError("the review job failed; see the log above")
    return result


__all__ = ["quarterly", "run_load", "run_review"]
