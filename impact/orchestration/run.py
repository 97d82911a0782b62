"""Running the ledger's Dagster jobs in-process, as the CLI, the demo and tests do.

These are the very jobs the Dagster UI serves (``definitions``). Each selects the upstream
assets whose fresh data it needs: ``run_review`` loads before it scores, publishes and
loads what it recorded, and writes the council's report; ``run_report`` loads before it
writes the report alone.
"""

import functools
from datetime import datetime
from pathlib import Path
from typing import Any

import dagster as dg

from impact import clock
from impact.application.commands import AdoptBaselinePolicy
from impact.bootstrap import build_ledger
from impact.domain.quarter import Quarter
from impact.errors import ImpactError, ValueOutOfRangeError
from impact.orchestration.assets import partition_key_of, quarter_of, quarterly
from impact.orchestration.definitions import build_definitions
from impact.orchestration.instance import prepare_home
from impact.projections.scoring import review_quarter
from impact.projections.store import ProjectionStore
from impact.review_service import ReviewOutcome
from impact.settings import Settings

QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@functools.cache
def _instance(home: Path) -> dg.DagsterInstance:
    """The Dagster instance of a home folder, one per process: every run the ledger starts is
    recorded there, so the UI on the same home shows it. (One per process also because a fresh
    instance per run leaves SQLite connections for the garbage collector to close on another
    thread, which SQLite refuses.)"""
    return dg.DagsterInstance.from_config(str(prepare_home(home)))


def reviewable(partition_key: str) -> None:
    """Refuse, saying which quarters can be, a quarter the quarterly jobs have no partition for:
    before the plan's first quarter, or one that has not ended yet (in Busan's time)."""
    keys = quarterly.get_partition_keys()
    if partition_key in keys:
        return
    asked = quarter_of(partition_key)
    if not keys:
        raise ValueOutOfRangeError(f"{asked} cannot be reviewed: no quarter has ended yet")
    first, last = quarter_of(keys[0]), quarter_of(keys[-1])
    why = (
        f"the reviews start with {first}, the plan's first quarter"
        if asked < first
        else f"{asked} has not ended yet; the last quarter that has is {last}"
    )
    raise ValueOutOfRangeError(f"{asked} cannot be reviewed: {why} (reviewable: {first} to {last})")


def _run(
    job: str, settings: Settings, partition_key: str | None = None
) -> dg.ExecuteInProcessResult:
    if partition_key is not None:
        reviewable(partition_key)
    try:
        result = (
            build_definitions(settings)
            .resolve_job_def(job)
            .execute_in_process(
                instance=_instance(settings.dagster_home),
                run_config=QUIET,
                partition_key=partition_key,
                raise_on_error=True,
            )
        )
    except dg.DagsterUnknownPartitionError as exc:  # a partition the job does not know
        raise ValueOutOfRangeError(f"the {job} job has no partition {partition_key}") from exc
    except dg.DagsterError as exc:
        # Dagster wraps what our code raised: hand the ledger's own error on as it is.
        cause: BaseException | None = exc
        while cause is not None and not isinstance(cause, ImpactError):
            cause = cause.__cause__
        if cause is None:
            raise
        raise cause from exc
    if not result.success:
        raise RuntimeError(f"the {job} job failed; see the log above")
    return result


def run_load(settings: Settings) -> dg.ExecuteInProcessResult:
    """Relay, load and project: everything stored so far reaches ClickHouse (then check it)."""
    return _run("load_events", settings)


def run_review(settings: Settings, partition_key: str) -> dg.ExecuteInProcessResult:
    """Load everything, score one quarter, record the review (partition key: its first day),
    publish it and write the council's report. The review run's result.

    The review needs a scoring policy in the log: v1 is adopted on first use.
    """
    reviewable(partition_key)
    build_ledger(settings).handle(AdoptBaselinePolicy(occurred_at=clock.now()))
    return _run("quarterly_review", settings, partition_key)


def run_report(settings: Settings, partition_key: str) -> dg.ExecuteInProcessResult:
    """Load everything, then write the council's report of one quarter into the reports folder."""
    return _run("quarterly_report", settings, partition_key)


def run_publish_site(settings: Settings, partition_key: str) -> dg.ExecuteInProcessResult:
    """Load everything, then rebuild the public site (after the review of that quarter)."""
    return _run("publish_site", settings, partition_key)


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
    "materialized",
    "outcome_of",
    "partition_key_of",
    "quarter_of",
    "quarterly",
    "run_load",
    "run_report",
    "run_review",
]
