"""The sensor that keeps ClickHouse up with the log: it runs the load job when anything lags."""

from typing import Any

import dagster as dg

from impact.errors import ProjectionStoreError
from impact.orchestration.resources import ClickHouseResource, EventStoreResource, KafkaResource
from impact.projections.loader import loaded_positions
from impact.projections.reconcile import unloaded_records
from impact.projections.store import held_elsewhere, release_embedded


def lag(
    event_store: EventStoreResource, kafka: KafkaResource, clickhouse: ClickHouseResource
) -> tuple[int, int, dict[int, list[int]]]:
    """(highest stored notification, highest published, first unloaded offset per partition)."""
    connection, topic = kafka.login("loader"), kafka.topics.events
    stored = event_store.ledger.max_notification_id()
    # What the relay vouches for: a forged record's far-ahead header cannot make it look done.
    published = kafka.published_position(event_store.ledger)
    store = clickhouse.store
    exists = store.rows(
        "SELECT count() FROM system.tables WHERE database = {d:String} AND name = 'raw_events'",
        d=store.db,
    )[0][0]
    positions = loaded_positions(store, topic) if exists else {}
    return stored, published, unloaded_records(connection, topic, positions)


def build_log_sensor(job: Any) -> dg.SensorDefinition:
    @dg.sensor(
        name="log_behind_sensor",
        job=job,
        minimum_interval_seconds=60,
        description="Runs the load when the event store holds notifications Kafka does not, "
        "or Kafka holds records ClickHouse does not.",
    )
    def log_behind_sensor(
        context: dg.SensorEvaluationContext,
        event_store: EventStoreResource,
        kafka: KafkaResource,
        clickhouse: ClickHouseResource,
    ) -> dg.SensorResult | dg.SkipReason:
        try:
            stored, published, unloaded = lag(event_store, kafka, clickhouse)
        except ProjectionStoreError as exc:
            if not held_elsewhere(exc):
                raise
            return dg.SkipReason("the embedded ClickHouse is open in a run; asked again later")
        finally:
            # The sensor runs in the code server, the load in a run's own process: chDB opens
            # a path in one process at a time, so the sensor lets go of it after every look.
            release_embedded(clickhouse.dsn)
        if stored <= published and not unloaded:
            return dg.SkipReason(f"up to date: notification {stored} published and loaded")
        reasons = []
        if stored > published:
            reasons.append(f"event store at notification {stored}, Kafka at {published}")
        if unloaded:
            first = ", ".join(f"p{p}@{o[0]}" for p, o in sorted(unloaded.items()))
            reasons.append(f"Kafka holds records ClickHouse does not ({first})")
        # One run per state of the log: the same lag seen twice does not start two loads.
        key = f"{stored}:{published}:" + ",".join(
            f"{p}@{o[0]}" for p, o in sorted(unloaded.items())
        )
        context.log.info("; ".join(reasons))
        return dg.SensorResult(
            run_requests=[dg.RunRequest(run_key=key, tags={"reason": "; ".join(reasons)[:200]})]
        )

    return log_behind_sensor
