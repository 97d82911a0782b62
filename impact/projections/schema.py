"""The ClickHouse schema: the raw log table, and views that project it.

``raw_events`` holds each record of ``impact.events`` with its partition and
offset; ``(partition, offset)`` is where the loader resumes. The views read it
through ``LIMIT 1 BY event_id`` so a record that reached the topic twice would
still count once, whatever the merges have done. A record that is not a valid
envelope is kept too, with ``error`` saying why, so one INSERT per batch covers
every offset and the resume point is exact.
"""

from impact.projections.store import ProjectionStore

RAW_EVENTS = """
CREATE TABLE IF NOT EXISTS {db}.raw_events (
    topic LowCardinality(String),
    partition UInt16,
    offset UInt64,
    event_id UUID,
    notification_id UInt64,
    type LowCardinality(String),
    schema_version UInt16,
    aggregate_type LowCardinality(String),
    aggregate_id UUID,
    aggregate_version UInt32,
    occurred_at DateTime64(6, 'UTC'),
    recorded_at DateTime64(6, 'UTC'),
    actor LowCardinality(String),
    payload String CODEC(ZSTD(3)),
    error String DEFAULT '',
    loaded_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = MergeTree
ORDER BY (topic, partition, offset)
SETTINGS non_replicated_deduplication_window = 10000
"""

VIEWS = {
    "events": """
        SELECT * FROM {db}.raw_events WHERE error = ''
        ORDER BY notification_id LIMIT 1 BY event_id
    """,
    "programs": """
        SELECT
            aggregate_id AS program_id,
            JSONExtractString(payload, 'code') AS code,
            JSONExtractString(payload, 'agency') AS agency,
            JSONExtractString(payload, 'task_code') AS task_code,
            JSONExtractString(payload, 'title_ko') AS title_ko,
            JSONExtractString(payload, 'title_en') AS title_en,
            JSONExtractInt(payload, 'budget_krw') AS budget_krw,
            JSONExtract(payload, 'origin_proposals', 'Array(String)') AS origin_proposals,
            occurred_at AS registered_at,
            recorded_at
        FROM {db}.events WHERE type = 'Program.Registered'
    """,
    "program_targets": """
        SELECT
            aggregate_id AS program_id,
            JSONExtractString(t, 'metric') AS metric,
            JSONExtractString(t, 'quarter') AS quarter,
            toDecimal128(JSONExtractString(t, 'value'), 6) AS target
        FROM {db}.events
        ARRAY JOIN JSONExtractArrayRaw(payload, 'targets') AS t
        WHERE type = 'Program.Registered'
    """,
    "outcome_versions": """
        SELECT
            aggregate_id AS program_id,
            JSONExtractString(payload, 'report_id') AS report_id,
            JSONExtractString(payload, 'corrects') AS corrects,
            JSONExtractString(payload, 'metric') AS metric,
            JSONExtractString(payload, 'quarter') AS quarter,
            toDecimal128(JSONExtractString(payload, 'value'), 6) AS value,
            JSONHas(payload, 'evidence') AND JSONType(payload, 'evidence') = 'Object' AS has_evidence,
            aggregate_version, notification_id, occurred_at, recorded_at, actor
        FROM {db}.events
        WHERE type IN ('Program.OutcomeReported', 'Program.OutcomeCorrected')
    """,
    "outcomes_current": """
        SELECT program_id, metric, quarter,
               argMax(value, aggregate_version) AS value,
               count() AS versions,
               max(recorded_at) AS last_recorded_at
        FROM {db}.outcome_versions
        GROUP BY program_id, metric, quarter
    """,
}


def create_schema(store: ProjectionStore) -> None:
    store.command("CREATE DATABASE IF NOT EXISTS {db}")
    store.command(RAW_EVENTS)
    for name, body in VIEWS.items():
        store.command(f"CREATE OR REPLACE VIEW {{db}}.{name} AS {body}")


def drop_schema(store: ProjectionStore) -> None:
    store.command("DROP DATABASE IF EXISTS {db}")
