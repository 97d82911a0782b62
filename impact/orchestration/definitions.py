"""The Dagster definitions of the ledger (``dagster dev -m impact.orchestration.definitions``)."""

import dagster as dg

from impact.orchestration.assets import (
    projections,
    published_events,
    quarterly_ranking,
    raw_events,
)
from impact.orchestration.resources import resources_from
from impact.settings import Settings

load_events_job = dg.define_asset_job(
    "load_events", selection=[published_events, raw_events, projections],
    description="Relay new events to Kafka, load them into ClickHouse and refresh the projections.",
)

quarterly_review_job = dg.define_asset_job(
    "quarterly_review", selection=[quarterly_ranking],
    description="Rank the programmes of one quarter.",
)

quarterly_review_schedule = dg.build_schedule_from_partitioned_job(
    quarterly_review_job, description="Reviews the quarter that just closed."
)


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    return dg.Definitions(
        assets=[published_events, raw_events, projections, quarterly_ranking],
        jobs=[load_events_job, quarterly_review_job],
        schedules=[quarterly_review_schedule],
        resources=resources_from(settings or Settings()),
    )


defs = build_definitions()
