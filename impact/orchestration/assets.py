"""Assets: the log published, loaded into ClickHouse, projected, scored per quarter, reported.

Each asset does its own work through the resources (the clients) and relies on its upstream
assets for fresh data: a job that needs it selects them too (see ``definitions``).
"""

import dagster as dg

from impact import review_service
from impact.domain.quarter import Quarter
from impact.orchestration.resources import (
    ClickHouseResource,
    EventStoreResource,
    KafkaResource,
    ReportsResource,
)
from impact.projections.schema import create_schema
from impact.projections.scoring import recorded_review

quarterly = dg.TimeWindowPartitionsDefinition(
    start="2019-01-01", cron_schedule="0 0 1 1,4,7,10 *", fmt="%Y-%m-%d", timezone="Asia/Seoul"
)


def quarter_of(partition_key: str) -> Quarter:
    year, month, _ = (int(x) for x in partition_key.split("-"))
    return Quarter(year, (month - 1) // 3 + 1)


def partition_key_of(quarter: Quarter) -> str:
    return quarter.first_day.isoformat()


@dg.asset(
    group_name="log", description="Every stored domain event, published to impact.events once."
)
def published_events(
    context: dg.AssetExecutionContext, event_store: EventStoreResource, kafka: KafkaResource
) -> dg.MaterializeResult:
    stats = kafka.publish(
        event_store.ledger, on_batch=lambda s: context.log.info(f"relayed {s.published} events")
    )
    return dg.MaterializeResult(
        metadata={"published": stats.published, "last_notification_id": stats.last_notification_id}
    )


@dg.asset(
    group_name="projections",
    deps=[published_events],
    description="impact.events in ClickHouse, one row per record, with partition and offset.",
)
def raw_events(
    context: dg.AssetExecutionContext, kafka: KafkaResource, clickhouse: ClickHouseResource
) -> dg.MaterializeResult:
    stats = kafka.load(
        clickhouse.store, on_batch=lambda s: context.log.info(f"loaded {s.loaded} records")
    )
    total = clickhouse.store.rows(
        "SELECT count(), uniqExact(event_id) FROM {db}.raw_events WHERE error = ''"
    )[0]
    return dg.MaterializeResult(
        metadata={
            "loaded": stats.loaded,
            "unreadable": stats.unreadable,
            "rows": int(total[0]),
            "distinct_events": int(total[1]),
        }
    )


@dg.asset(
    group_name="projections",
    deps=[raw_events],
    description="Views over the raw events: outcomes with every version (as known at any "
    "time), target attainment, programme state, the proposal funnel, roll-ups "
    "per agency, strategy and task, policies, reviews and decisions.",
)
def projections(clickhouse: ClickHouseResource) -> dg.MaterializeResult:
    store = clickhouse.store
    create_schema(store)
    programs = store.rows("SELECT count() FROM {db}.programs")[0][0]
    outcomes = store.rows("SELECT count() FROM {db}.outcome_versions")[0][0]
    return dg.MaterializeResult(
        metadata={"programs": int(programs), "outcome_versions": int(outcomes)}
    )


@dg.asset(
    group_name="review",
    deps=[projections],
    partitions_def=quarterly,
    description="Every programme of the quarter scored under the policy in force, with its "
    "components, stored in quarterly_scores and recorded as a domain event.",
)
def quarterly_scores(
    context: dg.AssetExecutionContext,
    clickhouse: ClickHouseResource,
    event_store: EventStoreResource,
) -> dg.MaterializeResult:
    outcome = review_service.review(
        event_store.ledger, clickhouse.store, quarter_of(context.partition_key)
    )
    context.log.info(outcome.note)
    review = outcome.review
    table = "\n".join(
        f"| {c.rank} | {c.program_code} | {c.score} | {'yes' if c.eligible else c.failed_gate} |"
        for c in review.candidates
    )
    return dg.MaterializeResult(
        metadata={
            "quarter": str(review.quarter),
            "policy_version": review.policy.version,
            "inputs_digest": review.inputs_digest,
            "as_of": review.as_of.isoformat(),
            "recorded": outcome.recorded,
            "decided": outcome.decided,
            "programmes": len(review.candidates),
            "eligible": sum(1 for c in review.candidates if c.eligible),
            "ranking": dg.MetadataValue.md(
                "| rank | programme | score | eligible |\n|---|---|---|---|\n" + table
            ),
        }
    )


@dg.asset(
    group_name="review",
    deps=[quarterly_scores],
    partitions_def=quarterly,
    description="The review as the log holds it: what the review recorded, relayed to "
    "impact.events and loaded into ClickHouse, so the report cites the log.",
)
def review_published(
    context: dg.AssetExecutionContext,
    event_store: EventStoreResource,
    kafka: KafkaResource,
    clickhouse: ClickHouseResource,
) -> dg.MaterializeResult:
    quarter = quarter_of(context.partition_key)
    published = kafka.publish(event_store.ledger).published
    loaded = kafka.load(clickhouse.store).loaded
    recorded = recorded_review(clickhouse.store, quarter)
    return dg.MaterializeResult(
        metadata={
            "published": published,
            "loaded": loaded,
            "recorded_digest": recorded.inputs_digest if recorded else "none",
            "recorded_at": recorded.recorded_at.isoformat() if recorded else "none",
        }
    )


@dg.asset(
    group_name="review",
    deps=[review_published],
    partitions_def=quarterly,
    description="The council's report for the quarter: one self-contained HTML page that "
    "explains the review as recorded in the log.",
)
def council_report(
    context: dg.AssetExecutionContext, clickhouse: ClickHouseResource, reports: ReportsResource
) -> dg.MaterializeResult:
    quarter = quarter_of(context.partition_key)
    path = reports.path_for(quarter)
    size = review_service.write_report(clickhouse.store, quarter, path)
    return dg.MaterializeResult(metadata={"path": dg.MetadataValue.path(str(path)), "bytes": size})


@dg.asset(
    group_name="public",
    deps=[review_published],
    partitions_def=quarterly,
    description="The public site citizens follow their proposals on: static HTML written "
    "beside the reports folder (<state>/site), rebuilt by the publish_site job (after a "
    "review), with no personal data.",
)
def public_site(
    context: dg.AssetExecutionContext, clickhouse: ClickHouseResource, reports: ReportsResource
) -> dg.MaterializeResult:
    from pathlib import Path

    from impact.site import build_site

    out = Path(reports.directory).parent / "site"
    pages = build_site(clickhouse.store, out)
    context.log.info(f"public site: {pages['proposals']} proposals in {out}")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(out / "index.html")),
            "proposals": pages["proposals"],
            "programmes": pages["programmes"],
        }
    )
