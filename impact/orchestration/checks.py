"""Asset checks: the load is complete and exact, and every score explains itself."""

import dagster as dg

from impact.domain.scoring import COMPONENTS
from impact.orchestration.assets import quarterly_scores, raw_events
from impact.orchestration.resources import ClickHouseResource, EventStoreResource, KafkaResource
from impact.projections.reconcile import loaded_spans, quarantined, records_in


@dg.asset_check(
    asset=raw_events,
    description=(
        "Per partition, no offset is stored twice and no committed record is missing between the "
        "lowest and highest stored offset. Offsets of a transactional topic are not dense (each commit "
        "writes a control record that takes an offset), so every gap is probed in Kafka."
    ),
)
def offsets_contiguous(clickhouse: ClickHouseResource, kafka: KafkaResource) -> dg.AssetCheckResult:
    topic = kafka.topics.events
    spans = loaded_spans(clickhouse.store, topic)
    doubled = {s.partition: s.doubled for s in spans if s.doubled}
    gaps = {s.partition: list(s.gaps) for s in spans if s.gaps}
    missing = records_in(kafka.login("auditor"), topic, gaps)
    return dg.AssetCheckResult(
        passed=not doubled and not missing,
        metadata={
            "partitions": len(spans),
            "rows": sum(s.rows for s in spans),
            "dense_partitions": sum(1 for s in spans if s.dense),
            "gaps_probed": sum(len(s.gaps) for s in spans),
            "doubled_offsets": str(doubled),
            "missing_records": str({p: offsets[:10] for p, offsets in missing.items()}),
        },
    )


@dg.asset_check(
    asset=raw_events,
    description=(
        "Distinct event ids in ClickHouse equal the event store's highest notification id: every "
        "stored event was published and loaded once."
    ),
)
def counts_reconcile_with_event_store(
    clickhouse: ClickHouseResource, event_store: EventStoreResource
) -> dg.AssetCheckResult:
    distinct, highest = clickhouse.store.rows(
        "SELECT uniqExact(event_id), max(notification_id) FROM {db}.raw_events WHERE error = ''"
    )[0]
    stored = event_store.ledger.max_notification_id()
    distinct, highest = int(distinct), int(highest)
    lagging = distinct < stored and highest < stored
    return dg.AssetCheckResult(
        passed=distinct == stored,
        # Events stored after the load are a lag, not a loss: the next load brings them.
        severity=dg.AssetCheckSeverity.WARN if lagging else dg.AssetCheckSeverity.ERROR,
        metadata={
            "distinct_events_loaded": distinct,
            "highest_notification_loaded": highest,
            "event_store_max_notification_id": stored,
        },
    )


@dg.asset_check(
    asset=quarterly_scores,
    description=("Every scored programme, in every quarter, carries every component of the score."),
)
def every_candidate_has_all_components(clickhouse: ClickHouseResource) -> dg.AssetCheckResult:
    rows = clickhouse.store.rows(
        "SELECT quarter, program_code FROM {db}.quarterly_scores"
        " WHERE NOT hasAll(mapKeys(components), {names:Array(String)})"
        " ORDER BY quarter, program_code LIMIT 20",
        names=list(COMPONENTS),
    )
    total = clickhouse.store.rows("SELECT count() FROM {db}.quarterly_scores")[0][0]
    return dg.AssetCheckResult(
        passed=not rows,
        metadata={
            "scored_rows": int(total),
            "components": ", ".join(COMPONENTS),
            "incomplete": ", ".join(f"{q} {p}" for q, p in rows) or "none",
        },
    )


@dg.asset_check(
    asset=raw_events,
    description=(
        "No record is quarantined: every record of the log is a valid envelope of the platform's "
        "chain whose payload its type's schema accepts and the typed tables hold. Fails, naming "
        "each refused record by partition and offset with its reason, while any is."
    ),
)
def nothing_quarantined(clickhouse: ClickHouseResource) -> dg.AssetCheckResult:
    total, rows = quarantined(clickhouse.store)
    return dg.AssetCheckResult(
        passed=total == 0,
        metadata={
            "quarantined": total,
            "records": "; ".join(f"[{p}]@{o} {t or '?'}: {r}" for p, o, t, r in rows) or "none",
        },
    )


CHECKS = [
    nothing_quarantined,
    offsets_contiguous,
    counts_reconcile_with_event_store,
    every_candidate_has_all_components,
]
