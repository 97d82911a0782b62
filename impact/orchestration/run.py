"""Running the ledger's Dagster jobs in-process, as the CLI and tests do."""

import functools
from datetime import datetime
from typing import Any

import dagster as dg

from impact.bootstrap import build_ledger
from impact.domain.quarter import Quarter
from impact.orchestration.assets import (
    council_report,
    partition_key_of,
    projections,
    published_events,
    quarter_of,
    quarterly,
    quarterly_scores,
    raw_events,
)
from impact.orchestration.checks import (
    counts_reconcile_with_event_store,
    every_candidate_has_all_components,
    offsets_contiguous,
)
from impact.orchestration.resources import resources_from
from impact.projections.scoring import review_quarter
from impact.projections.store import ProjectionStore
from impact.review_service import ReviewOutcome
from impact.settings import Settings

QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@functools.cache
def _instance() -> dg.DagsterInstance:
    """One instance per process: a fresh ephemeral one per run leaves SQLite connections
    to be closed by the garbage collector on another thread, which SQLite refuses."""
    import os

    return dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()


def _materialize(assets: list, settings: Settings, what: str, **kw: object) -> dg.ExecuteInProcessResult:
    result = dg.materialize(
        assets, resources=resources_from(settings), instance=_instance(), run_config=QUIET,
        raise_on_error=True, **kw,  # type: ignore[arg-type]
    )
    if not result.success:
        raise RuntimeError(f"the {what} job failed; see the log above")
    return result


def run_load(settings: Settings, check: bool = True) -> dg.ExecuteInProcessResult:
    """Relay, load and project: everything stored so far reaches ClickHouse (then check it)."""
    checks = [offsets_contiguous, counts_reconcile_with_event_store] if check else []
    return _materialize([published_events, raw_events, projections, *checks], settings, "load")


def run_review(
    settings: Settings, partition_key: str, report: bool = False
) -> dg.ExecuteInProcessResult:
    """Load everything, then score one quarter and record the review (partition key: its first day).

    The review needs a scoring policy in the log: v1 is adopted on first use.
    """
    build_ledger(settings).ensure_baseline_policy()
    run_load(settings)
    assets = [quarterly_scores, every_candidate_has_all_components]
    if report:
        assets.append(council_report)
    return _materialize(assets, settings, "review", partition_key=partition_key)


def materialized(result: dg.ExecuteInProcessResult, asset: str) -> dict[str, Any]:
    """The metadata of an asset's materialization in a run, as plain values."""
    metadata = result.asset_materializations_for_node(asset)[0].metadata
    return {k: v.value for k, v in metadata.items()}


def outcome_of(result: dg.ExecuteInProcessResult, store: ProjectionStore) -> ReviewOutcome:
    """The outcome of a review run: its ranking scored again as of the run's time (the same
    inputs, so the same bytes), and whether it recorded."""
    meta = materialized(result, "quarterly_scores")
    quarter = Quarter.parse(str(meta["quarter"]))
    review = review_quarter(store, quarter, as_of=datetime.fromisoformat(str(meta["as_of"])))
    return ReviewOutcome(review, recorded=bool(meta["recorded"]), decided=bool(meta["decided"]))


__all__ = [
    "materialized", "outcome_of", "partition_key_of", "quarter_of", "quarterly",
    "run_load", "run_review",
]
