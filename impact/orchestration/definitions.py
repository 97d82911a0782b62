"""The Dagster definitions of the ledger (``dagster dev -m impact.orchestration.definitions``)."""

import dagster as dg

from impact.orchestration.assets import (
    council_report,
    projections,
    published_events,
    quarterly_scores,
    raw_events,
)
from impact.orchestration.checks import CHECKS
from impact.orchestration.resources import resources_from
from impact.orchestration.sensors import build_log_sensor
from impact.settings import Settings

load_events_job = dg.define_asset_job(
    "load_events", selection=[published_events, raw_events, projections],
    description="Relay new events to Kafka, load them into ClickHouse and refresh the projections.",
)

quarterly_review_job = dg.define_asset_job(
    "quarterly_review", selection=[quarterly_scores, council_report],
    description="Score the programmes of one quarter, record the review and write the council's report.",
)

quarterly_review_schedule = dg.build_schedule_from_partitioned_job(
    quarterly_review_job, description="Reviews the quarter that just closed."
)

log_behind_sensor = build_log_sensor(load_events_job)


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    return dg.Definitions(
        assets=[published_events, raw_events, projections, quarterly_scores, council_report],
        asset_checks=CHECKS,
        jobs=[load_events_job, quarterly_review_job],
        schedules=[quarterly_review_schedule],
        sensors=[log_behind_sensor],
        resources=resources_from(settings or Settings()),
    )


defs = build_definitions()
