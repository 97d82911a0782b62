"""The Dagster definitions of the ledger (``dagster dev -m impact.orchestration.definitions``)."""

import dagster as dg

from impact.orchestration.assets import (
    council_report,
    projections,
    public_site,
    published_events,
    quarterly_scores,
    raw_events,
    review_published,
)
from impact.orchestration.checks import CHECKS
from impact.orchestration.resources import resources_from
from impact.orchestration.sensors import build_log_sensor
from impact.settings import Settings

LOG = dg.AssetSelection.assets(published_events, raw_events, projections)

load_events_job = dg.define_asset_job(
    "load_events",
    selection=LOG,
    description="Relay new events to Kafka, load them into ClickHouse and refresh the projections.",
)

# The review and the report load first, so they see everything stored. The load's checks run
# with load_events: inside the review they would run before the recorded review is published.
REVIEW = dg.AssetSelection.assets(quarterly_scores, review_published, council_report)

quarterly_review_job = dg.define_asset_job(
    "quarterly_review",
    selection=LOG.without_checks() | REVIEW,
    description="Load what is new, score the programmes of one quarter, record the review, "
    "publish it and write the council's report that cites it.",
)

# The public site is rebuilt by its own job (about 10 s on the scenario), after a review or
# whenever the operators choose, so that the review itself stays quick.
publish_site_job = dg.define_asset_job(
    "publish_site",
    selection=LOG.without_checks() | dg.AssetSelection.assets(public_site),
    description="Load what is new and rebuild the public site citizens follow their "
    "proposals on (no personal data).",
)

quarterly_report_job = dg.define_asset_job(
    "quarterly_report",
    selection=LOG.without_checks() | dg.AssetSelection.assets(council_report),
    description="Load what is new (a review just recorded among it) and write the council's "
    "report of one quarter.",
)

quarterly_review_schedule = dg.build_schedule_from_partitioned_job(
    quarterly_review_job, description="Reviews the quarter that just closed."
)

log_behind_sensor = build_log_sensor(load_events_job)


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    return dg.Definitions(
        assets=[
            published_events,
            raw_events,
            projections,
            quarterly_scores,
            review_published,
            council_report,
            public_site,
        ],
        asset_checks=CHECKS,
        jobs=[load_events_job, quarterly_review_job, quarterly_report_job, publish_site_job],
        schedules=[quarterly_review_schedule],
        sensors=[log_behind_sensor],
        resources=resources_from(settings or Settings()),
        # Every step of a run in the run's own process: the embedded ClickHouse opens a path
        # in one process at a time (the multiprocess executor gives each step its own).
        executor=dg.in_process_executor,
    )


defs = build_definitions()
