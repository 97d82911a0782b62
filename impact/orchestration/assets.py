"""Assets: the log published, loaded into ClickHouse, projected, and ranked per quarter."""

import dagster as dg

from impact.domain.quarter import Quarter
from impact.domain.scoring import POLICIES
from impact.ingest.relay import Relay
from impact.orchestration.resources import ClickHouseResource, EventStoreResource, KafkaResource
from impact.projections.loader import Loader
from impact.projections.ranking import rank_quarter
from impact.projections.schema import create_schema

quarterly = dg.TimeWindowPartitionsDefinition(
    start="2019-01-01", cron_schedule="0 0 1 1,4,7,10 *", fmt="%Y-%m-%d", timezone="Asia/Seoul"
)


def quarter_of(partition_key: str) -> Quarter:
    year, month, _ = (int(x) for x in partition_key.split("-"))
    return Quarter(year, (month - 1) // 3 + 1)


@dg.asset(group_name="log", description="Every stored domain event, published to impact.events once.")
def published_events(
    context: dg.AssetExecutionContext, event_store: EventStoreResource, kafka: KafkaResource
) -> dg.MaterializeResult:
    settings = kafka.settings(event_store_dsn=event_store.dsn)
    stats = Relay(event_store.ledger(), settings).run(
        until_idle=True, on_batch=lambda s: context.log.info(f"relayed {s.published} events")
    )
    return dg.MaterializeResult(
        metadata={"published": stats.published, "last_notification_id": stats.last_notification_id}
    )


@dg.asset(group_name="projections", deps=[published_events],
          description="impact.events in ClickHouse, one row per record, with partition and offset.")
def raw_events(
    context: dg.AssetExecutionContext, kafka: KafkaResource, clickhouse: ClickHouseResource
) -> dg.MaterializeResult:
    store = clickhouse.store()
    stats = Loader(store, kafka.settings()).run(
        until_idle=True, on_batch=lambda s: context.log.info(f"loaded {s.loaded} records")
    )
    total = store.rows("SELECT count(), uniqExact(event_id) FROM {db}.raw_events WHERE error = ''")[0]
    return dg.MaterializeResult(
        metadata={
            "loaded": stats.loaded, "unreadable": stats.unreadable,
            "rows": int(total[0]), "distinct_events": int(total[1]),
        }
    )


@dg.asset(group_name="projections", deps=[raw_events],
          description="Programmes, targets and outcomes (every version kept) as views.")
def projections(clickhouse: ClickHouseResource) -> dg.MaterializeResult:
    store = clickhouse.store()
    create_schema(store)
    programs = store.rows("SELECT count() FROM {db}.programs")[0][0]
    outcomes = store.rows("SELECT count() FROM {db}.outcome_versions")[0][0]
    return dg.MaterializeResult(metadata={"programs": int(programs), "outcome_versions": int(outcomes)})


@dg.asset(group_name="review", deps=[projections], partitions_def=quarterly,
          description="Programmes ranked for the quarter under the policy in force.")
def quarterly_ranking(
    context: dg.AssetExecutionContext, clickhouse: ClickHouseResource
) -> dg.MaterializeResult:
    quarter = quarter_of(context.partition_key)
    policy = POLICIES[max(POLICIES)]
    ranking = rank_quarter(clickhouse.store(), quarter, policy)
    table = "\n".join(
        f"| {r.rank} | {r.program_code} | {r.agency} | {r.score} |" for r in ranking
    )
    return dg.MaterializeResult(
        metadata={
            "quarter": str(quarter),
            "policy_version": policy.version,
            "programmes": len(ranking),
            "ranking": dg.MetadataValue.md("| rank | programme | agency | score |\n|---|---|---|---|\n" + table),
        }
    )
