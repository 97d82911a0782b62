"""The ClickHouse schema: the raw log table, typed tables filled from it, and views.

``raw_events`` holds each record of ``impact.events`` with its partition and
offset; ``(partition, offset)`` is where the loader resumes. A record that is not a
valid envelope is kept too, with ``error`` saying why, so one INSERT per batch covers
every offset and the resume point is exact. The facts the review reads most
(registrations, targets, outcomes, lifecycle) are also parsed once, at load time, into
typed tables by materialized views (``TYPED``). Every view reads through ``LIMIT 1 BY
event_id``, so a record that reached the topic twice would still count once, whatever
the merges have done.

Views named ``*_as_of`` are parameterized (``SELECT … FROM outcomes_as_of(as_of = T)``):
they answer "what was known at recorded time T", keeping every version of every
outcome; the plain view of the same name is the same query for all time.
``program_state_as_of`` also takes the business time ``until`` (a quarter's end) and
the review ``quarter`` (joint only if promoted by an earlier quarter's review).
``quarterly_scores`` is the one table besides ``raw_events``: the scores the Dagster
asset computed, one partition per quarter, rebuilt whenever the quarter is reviewed.
"""

import hashlib
import logging
from dataclasses import dataclass

from impact.domain.metrics import CURRENT_CATALOGUE
from impact.projections.store import ProjectionStore

AS_OF = "{as_of:DateTime64(6, 'UTC')}"
UNTIL = "{until:DateTime64(6, 'UTC')}"
END_OF_TIME = "2299-12-31 00:00:00"
"""What the plain views pass as ``as_of``/``until``: everything known, for all time."""

log = logging.getLogger(__name__)

LOWER_IS_BETTER = ", ".join(f"'{m.code}'" for m in CURRENT_CATALOGUE.metrics if m.better == "lower")

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
    loaded_at DateTime64(3, 'UTC') DEFAULT now64(3),
    prev_hash String DEFAULT '',
    hash String DEFAULT ''
) ENGINE = MergeTree
ORDER BY (topic, partition, offset)
SETTINGS non_replicated_deduplication_window = 10000, merge_max_block_size = 1024
"""

# Typed tables, one per kind of fact the review reads, each filled at load time by a
# materialized view on raw_events: the review's views read them instead of re-parsing and
# re-sorting every payload. Each keeps the event_id of its row, so the views over them
# still count a record that reached the topic twice once. Each table's comment is a
# digest of its definition: a table built from another definition is dropped and refilled
# from raw_events (as is a database created before these tables existed). An INSERT into
# raw_events and its views' INSERTs are not one transaction: a process killed between them
# leaves raw rows without their typed rows, so ``create_schema`` (which every load starts
# with) adds what a typed table lacks.


OUTCOME_TYPES = "('Program.OutcomeReported', 'Program.OutcomeCorrected')"
CASTABLE = f"""multiIf(
    type IN {OUTCOME_TYPES},
    toDecimal128OrNull(JSONExtractString(payload, 'value'), 6) IS NOT NULL,
    type = 'Program.Registered',
    arrayAll(t -> toDecimal128OrNull(JSONExtractString(t, 'value'), 6) IS NOT NULL,
             JSONExtractArrayRaw(payload, 'targets')),
    1)"""
"""Whether a raw row's quantities fit the typed tables' Decimal128(6): the loader refuses
such records already; this guard keeps a row stored before (or by another loader) from
stopping a view or a back-fill. A row it refuses is listed by the ``quarantine`` view."""
ADMITTED = f"error = '' AND {CASTABLE}"
QUARANTINE = f"""
    SELECT topic, partition, offset, notification_id, type, error AS reason, loaded_at
    FROM {{db}}.raw_events WHERE error != ''
    UNION ALL
    SELECT topic, partition, offset, notification_id, type,
           'a quantity of its payload is beyond what Decimal128(6) holds' AS reason, loaded_at
    FROM {{db}}.raw_events WHERE error = '' AND NOT {CASTABLE}
"""
"""Every record kept out of the projections: where it is, its type and why."""


@dataclass(frozen=True)
class Typed:
    order: str
    columns: str
    source: str
    """Which raw_events rows give this table at least one row."""
    array_join: str = ""

    @property
    def select(self) -> str:
        return (
            f"SELECT {self.columns} FROM {{db}}.raw_events {self.array_join}"
            f" WHERE {self.source} AND {ADMITTED}"
        )
        # The table's own rows first: ClickHouse evaluates the rest of an AND only on the
        # rows that passed what comes before it, so each view parses the payloads of its
        # own events only (four views checking every outcome's value cost more than loading)


TYPED: dict[str, Typed] = {
    "program_registrations": Typed(
        order="program_id",
        columns="""
            aggregate_id AS program_id, event_id,
            JSONExtractString(payload, 'code') AS code,
            JSONExtractString(payload, 'agency') AS agency,
            JSONExtractString(payload, 'task_code') AS task_code,
            JSONExtractString(payload, 'title_ko') AS title_ko,
            JSONExtractString(payload, 'title_en') AS title_en,
            JSONExtractInt(payload, 'budget_krw') AS budget_krw,
            JSONExtract(payload, 'origin_proposals', 'Array(String)') AS origin_proposals,
            toDate32OrNull(JSONExtractString(payload, 'starts_on')) AS starts_on,
            toDate32OrNull(JSONExtractString(payload, 'ends_on')) AS ends_on,
            occurred_at AS registered_at,
            recorded_at""",
        source="type = 'Program.Registered'",
    ),
    "program_target_rows": Typed(
        order="(quarter, program_id, metric)",
        columns="""
            aggregate_id AS program_id, event_id,
            JSONExtractString(t, 'metric') AS metric,
            JSONExtractString(t, 'quarter') AS quarter,
            toDecimal128OrZero(JSONExtractString(t, 'value'), 6) AS target,
            recorded_at""",
        array_join="ARRAY JOIN JSONExtractArrayRaw(payload, 'targets') AS t",
        source="type = 'Program.Registered' AND JSONLength(payload, 'targets') > 0",
    ),
    "outcome_rows": Typed(
        order="(quarter, program_id, metric, aggregate_version)",
        columns="""
            aggregate_id AS program_id, event_id,
            JSONExtractString(payload, 'report_id') AS report_id,
            JSONExtractString(payload, 'corrects') AS corrects,
            JSONExtractString(payload, 'metric') AS metric,
            JSONExtractString(payload, 'quarter') AS quarter,
            toDecimal128OrZero(JSONExtractString(payload, 'value'), 6) AS value,
            JSONHas(payload, 'evidence') AND JSONType(payload, 'evidence') = 'Object' AS has_evidence,
            JSONExtractString(payload, 'evidence', 'sha256') AS evidence_sha256,
            CAST(type = 'Program.OutcomeCorrected', 'Bool') AS is_correction,
            aggregate_version, notification_id, occurred_at, recorded_at, actor""",
        source=f"type IN {OUTCOME_TYPES}",
    ),
    "lifecycle_rows": Typed(
        order="(program_id, aggregate_version)",
        columns="""
            aggregate_id AS program_id, event_id, type, aggregate_version, occurred_at,
            recorded_at, actor,
            JSONExtractString(payload, 'reason') AS reason,
            JSONExtractString(payload, 'partner', 'kind') AS partner_kind,
            JSONExtractString(payload, 'partner', 'name') AS partner_name,
            if(type IN ('Program.PartnerAccepted', 'Program.PartnerDeclined'),
               JSONExtractString(payload, 'partner_code'),
               JSONExtractString(payload, 'partner', 'code')) AS partner_code,
            JSONType(payload, 'partner', 'evidence') = 'Object' AS partner_evidenced,
            JSONExtractString(payload, 'quarter') AS promoted_quarter,
            JSONExtract(payload, 'participants', 'Array(String)') AS participants""",
        source="type IN ('Program.Suspended', 'Program.Resumed', 'Program.Completed',"
        " 'Program.PartnerJoined', 'Program.PartnerAccepted', 'Program.PartnerDeclined',"
        " 'Program.Promoted')",
    ),
}

VIEWS = {
    "events": f"""
        SELECT * FROM {{db}}.raw_events WHERE {ADMITTED}
        ORDER BY notification_id LIMIT 1 BY event_id
    """,
    "quarantine": QUARANTINE,
    "programs": """
        SELECT * EXCEPT (event_id) FROM {db}.program_registrations LIMIT 1 BY event_id
    """,
    "program_targets": """
        SELECT * EXCEPT (event_id) FROM {db}.program_target_rows
        LIMIT 1 BY event_id, metric, quarter
    """,
    "outcome_versions": """
        SELECT * EXCEPT (event_id) FROM {db}.outcome_rows LIMIT 1 BY event_id
    """,
    # Every outcome as known at a recorded time: the latest version recorded by then.
    "outcomes_as_of": f"""
        SELECT program_id, metric, quarter,
               argMax(value, aggregate_version) AS value,
               argMax(has_evidence, aggregate_version) AS has_evidence,
               argMax(evidence_sha256, aggregate_version) AS evidence_sha256,
               minIf(occurred_at, NOT is_correction) AS reported_at,
               count() AS versions,
               countIf(is_correction) AS corrections,
               max(recorded_at) AS last_recorded_at
        FROM {{db}}.outcome_versions
        WHERE recorded_at <= {AS_OF}
        GROUP BY program_id, metric, quarter
    """,
    "outcomes_current": f"SELECT * FROM {{db}}.outcomes_as_of(as_of = '{END_OF_TIME}')",
    "program_lifecycle": """
        SELECT * EXCEPT (event_id) FROM {db}.lifecycle_rows LIMIT 1 BY event_id
    """,
    # A programme's state in the business time before ``until``, as known at ``as_of``;
    # joint if promoted by the review of a quarter before ``quarter``.
    "program_state_as_of": f"""
        WITH
            -- One pass over the programme's lifecycle: the last status change before
            -- ``until``; the last promotion by an earlier quarter's review; its partners
            -- (agencies named, others, those with an identifier or evidence); the agencies
            -- named partners that accepted, in their own signed answer.
            lifecycle AS (
                SELECT program_id,
                       argMaxIf(multiIf(type = 'Program.Suspended', 'suspended',
                                        type = 'Program.Completed', 'completed', 'active'),
                                aggregate_version,
                                type IN ('Program.Suspended', 'Program.Resumed',
                                         'Program.Completed') AND occurred_at < {UNTIL})
                           AS last_status,
                       argMaxIf(participants, aggregate_version, promoted)
                           AS joint_participants,
                       argMaxIf(promoted_quarter, aggregate_version, promoted) AS joint_quarter,
                       arraySort(groupUniqArrayIf(partner_code, joined AND agency_partner))
                           AS agency_partners,
                       countIf(joined AND NOT agency_partner) AS other_partners,
                       countIf(joined AND partner_kind != 'agency'
                               AND (partner_code != '' OR partner_evidenced))
                           AS confirmed_other_partners,
                       groupArrayIf(partner_name, joined) AS partner_names,
                       groupUniqArrayIf(partner_code,
                                        type = 'Program.PartnerAccepted' AND occurred_at < {UNTIL})
                           AS accepted
                FROM (
                    SELECT *,
                           type = 'Program.Promoted' AND promoted_quarter < {{quarter:String}}
                               AS promoted,
                           type = 'Program.PartnerJoined' AND occurred_at < {UNTIL} AS joined,
                           partner_kind = 'agency' AND partner_code != '' AS agency_partner
                    FROM {{db}}.program_lifecycle
                    WHERE recorded_at <= {AS_OF}
                )
                GROUP BY program_id
            )
        SELECT p.program_id AS program_id, p.code AS code, p.agency AS agency,
               p.task_code AS task_code, splitByChar('-', p.task_code)[1] AS strategy,
               p.title_ko AS title_ko, p.title_en AS title_en, p.budget_krw AS budget_krw,
               p.origin_proposals AS origin_proposals, p.starts_on AS starts_on,
               p.ends_on AS ends_on, p.registered_at AS registered_at,
               if(l.last_status = '', 'active', l.last_status) AS status,
               l.joint_participants AS joint_participants, l.joint_quarter AS promoted_quarter,
               arraySort(arrayDistinct(arrayConcat([p.agency], l.joint_participants,
                                                   l.agency_partners))) AS agencies,
               l.other_partners AS other_partners, l.partner_names AS partner_names,
               arraySort(arrayDistinct(arrayConcat(
                   [p.agency], l.joint_participants,
                   arrayIntersect(l.agency_partners, l.accepted)))) AS confirmed_agencies,
               arrayIntersect(l.agency_partners, l.accepted) AS confirmed_agency_partners,
               l.confirmed_other_partners AS confirmed_other_partners
        FROM {{db}}.programs AS p
        LEFT JOIN lifecycle AS l ON l.program_id = p.program_id
        WHERE p.recorded_at <= {AS_OF} AND p.registered_at < {UNTIL}
    """,
    "program_state": (
        f"SELECT * FROM {{db}}.program_state_as_of("
        f"as_of = '{END_OF_TIME}', until = '{END_OF_TIME}', quarter = '9999Q4')"
    ),
    "target_attainment_as_of": f"""
        SELECT t.program_id AS program_id, t.metric AS metric, t.quarter AS quarter,
               t.target AS target, o.value AS actual, o.versions > 0 AS reported,
               t.metric IN ({LOWER_IS_BETTER or "''"}) AS lower_is_better,
               if(t.target > 0 AND reported, toFloat64(o.value) / toFloat64(t.target), NULL)
                   AS attainment,
               reported AND if(lower_is_better, o.value <= t.target, o.value >= t.target) AS met
        FROM {{db}}.program_targets AS t
        LEFT JOIN {{db}}.outcomes_as_of(as_of = {AS_OF}) AS o
            ON o.program_id = t.program_id AND o.metric = t.metric AND o.quarter = t.quarter
        WHERE t.recorded_at <= {AS_OF}
    """,
    "target_attainment": f"SELECT * FROM {{db}}.target_attainment_as_of(as_of = '{END_OF_TIME}')",
    # Submitted → reviewed → adopted → programme → joint project, one row per proposal.
    "proposal_funnel": """
        WITH
            proposals AS (
                SELECT aggregate_id AS proposal_id,
                       anyIf(JSONExtractString(payload, 'code'), type = 'Proposal.Submitted') AS code,
                       anyIf(JSONExtractString(payload, 'title'), type = 'Proposal.Submitted') AS title,
                       anyIf(JSONExtractString(payload, 'channel'), type = 'Proposal.Submitted')
                           AS channel,
                       minIfOrNull(occurred_at, type = 'Proposal.Submitted') AS submitted_at,
                       minIfOrNull(occurred_at, type = 'Proposal.Reviewed') AS reviewed_at,
                       minIfOrNull(occurred_at, type = 'Proposal.Adopted') AS adopted_at,
                       anyIf(JSONExtractString(payload, 'task_code'), type = 'Proposal.Adopted')
                           AS task_code,
                       countIf(type = 'Proposal.Rejected') > 0 AS rejected,
                       countIf(type = 'Proposal.Merged') > 0 AS merged
                FROM (SELECT * FROM {db}.raw_events WHERE error = '' AND aggregate_type = 'proposal'
                      LIMIT 1 BY event_id)
                GROUP BY aggregate_id
            ),
            born AS (
                SELECT origin, arraySort(groupArray(s.code)) AS programmes,
                       arraySort(groupArrayIf(s.code, length(s.joint_participants) > 0))
                           AS joint_projects
                FROM {db}.program_state AS s
                ARRAY JOIN s.origin_proposals AS origin
                GROUP BY origin
            )
        SELECT p.*, b.programmes AS programmes, b.joint_projects AS joint_projects,
               multiIf(length(b.joint_projects) > 0, 'joint_project',
                       length(b.programmes) > 0, 'programme',
                       p.adopted_at IS NOT NULL, 'adopted',
                       p.rejected, 'rejected', p.merged, 'merged',
                       p.reviewed_at IS NOT NULL, 'reviewed', 'submitted') AS stage
        FROM proposals AS p
        LEFT JOIN born AS b ON b.origin = p.code
    """,
    "proposal_funnel_summary": """
        SELECT count() AS submitted,
               countIf(reviewed_at IS NOT NULL) AS reviewed,
               countIf(adopted_at IS NOT NULL) AS adopted,
               countIf(length(programmes) > 0) AS programme,
               countIf(length(joint_projects) > 0) AS joint_project
        FROM {db}.proposal_funnel
    """,
    # One row per programme and quarter with outcomes or targets: the base of the roll-ups.
    "program_quarter_summary": """
        SELECT q.program_id AS program_id, s.code AS code, s.agency AS agency,
               s.strategy AS strategy, s.task_code AS task_code, s.budget_krw AS budget_krw,
               q.quarter AS quarter, q.outcomes AS outcomes, q.evidenced AS evidenced,
               q.corrections AS corrections, q.targets AS targets, q.targets_met AS targets_met
        FROM (
            SELECT program_id, quarter, sum(o) AS outcomes, sum(e) AS evidenced,
                   sum(c) AS corrections, sum(t) AS targets, sum(m) AS targets_met
            FROM (
                SELECT program_id, quarter, toUInt64(1) AS o, toUInt64(has_evidence) AS e,
                       toUInt64(corrections) AS c, toUInt64(0) AS t, toUInt64(0) AS m
                FROM {db}.outcomes_current
                UNION ALL
                SELECT program_id, quarter, toUInt64(0), toUInt64(0), toUInt64(0),
                       toUInt64(1), toUInt64(met)
                FROM {db}.target_attainment
            )
            GROUP BY program_id, quarter
        ) AS q
        INNER JOIN {db}.program_state AS s ON s.program_id = q.program_id
    """,
    **{
        f"rollup_by_{level}": f"""
            SELECT {column} AS {level}, quarter,
                   uniqExact(program_id) AS programmes, sum(budget_krw) AS budget_krw,
                   sum(outcomes) AS outcomes, sum(evidenced) AS evidenced,
                   sum(corrections) AS corrections, sum(targets) AS targets,
                   sum(targets_met) AS targets_met
            FROM {{db}}.program_quarter_summary
            GROUP BY {column}, quarter
        """
        for level, column in (("agency", "agency"), ("strategy", "strategy"), ("task", "task_code"))
    },
    "scoring_policies": """
        SELECT JSONExtractInt(payload, 'policy', 'version') AS version,
               JSONExtractString(payload, 'effective_from') AS effective_from,
               JSONExtractRaw(payload, 'policy') AS policy,
               occurred_at, recorded_at, actor
        FROM {db}.raw_events WHERE error = '' AND type = 'Consortium.PolicyAdopted'
        LIMIT 1 BY event_id
    """,
    "review_opened": """
        SELECT aggregate_id AS review_id, JSONExtractString(payload, 'quarter') AS quarter,
               JSONExtractInt(payload, 'policy_version') AS policy_version
        FROM {db}.raw_events WHERE error = '' AND type = 'PromotionReview.Opened'
        LIMIT 1 BY event_id
    """,
    "review_scores_recorded": """
        SELECT r.quarter AS quarter, e.aggregate_version AS review_version,
               JSONExtractInt(e.payload, 'policy_version') AS policy_version,
               JSONExtractString(e.payload, 'inputs_digest') AS inputs_digest,
               JSONExtractRaw(e.payload, 'candidates') AS candidates,
               e.occurred_at AS occurred_at, e.recorded_at AS recorded_at
        FROM (SELECT * FROM {db}.raw_events
              WHERE error = '' AND type = 'PromotionReview.CandidatesScored'
              LIMIT 1 BY event_id) AS e
        INNER JOIN {db}.review_opened AS r ON r.review_id = e.aggregate_id
    """,
    "review_decisions": """
        SELECT r.quarter AS quarter, JSONExtractString(e.payload, 'program_code') AS program_code,
               JSONExtractString(e.payload, 'decision') AS decision,
               JSONExtractString(e.payload, 'reason') AS reason,
               JSONExtractString(e.payload, 'meeting_ref') AS meeting_ref,
               e.occurred_at AS occurred_at, e.recorded_at AS recorded_at, e.actor AS actor
        FROM (SELECT * FROM {db}.raw_events WHERE error = '' AND type = 'PromotionReview.Decided'
              LIMIT 1 BY event_id) AS e
        INNER JOIN {db}.review_opened AS r ON r.review_id = e.aggregate_id
    """,
}

QUARTERLY_SCORES = """
CREATE TABLE IF NOT EXISTS {db}.quarterly_scores (
    quarter LowCardinality(String),
    program_code String,
    rank UInt32,
    score Decimal(9, 2),
    eligible Bool,
    failed_gate String,
    components Map(LowCardinality(String), Decimal(10, 4)),
    policy_version UInt32,
    inputs_digest String,
    as_of DateTime64(6, 'UTC'),
    scored_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = MergeTree
PARTITION BY quarter
ORDER BY (quarter, rank)
"""


def create_schema(store: ProjectionStore) -> None:
    # A database made here holds nothing yet: nothing of it to check, upgrade or fill (a
    # replay's or a test's, each a fresh database: a quarter of the statements).
    fresh = not store.rows("EXISTS DATABASE {db}")[0][0]
    store.command("CREATE DATABASE IF NOT EXISTS {db}")
    store.command(RAW_EVENTS)
    if not fresh:
        # Databases created before the hash chain get its columns (empty for their old rows).
        store.command(
            "ALTER TABLE {db}.raw_events ADD COLUMN IF NOT EXISTS prev_hash String DEFAULT '',"
            " ADD COLUMN IF NOT EXISTS hash String DEFAULT ''"
        )
    store.command(QUARTERLY_SCORES)
    for name, typed in TYPED.items():
        _typed_table(store, name, typed, fresh)
    for name, body in VIEWS.items():
        store.command(f"CREATE OR REPLACE VIEW {{db}}.{name} AS {body}")
    store.schema_created = True


def ensure_schema(store: ProjectionStore) -> None:
    """``create_schema`` unless this ``store`` object created it already (the loader's start,
    after a replay or an asset created it a moment before, in the same process)."""
    if not store.schema_created:
        create_schema(store)


def _typed_table(store: ProjectionStore, name: str, typed: Typed, fresh: bool) -> None:
    """Create ``name`` and the materialized view that fills it; fill it from raw_events when
    it is new (or was built from another definition), and add what it lacks. In a ``fresh``
    database (made by this ``create_schema``) it is only created."""
    select = typed.select
    digest = hashlib.sha256(f"{typed.order}\n{' '.join(select.split())}".encode()).hexdigest()[:16]
    found = (
        []
        if fresh
        else store.rows(
            "SELECT comment FROM system.tables WHERE database = {d:String} AND name = {n:String}",
            d=store.db,
            n=name,
        )
    )
    if found and found[0][0] == digest:
        _complete(store, name, typed)
        return
    if found:
        store.command(f"DROP VIEW IF EXISTS {{db}}.{name}_mv")
        store.command(f"DROP TABLE IF EXISTS {{db}}.{name}")
    store.command(
        f"CREATE TABLE {{db}}.{name} ENGINE = MergeTree ORDER BY {typed.order}"
        f" COMMENT '{digest}' EMPTY AS {select}"
    )
    # The view first, then the backfill: a row inserted in between is in the table twice,
    # and the views over it keep one row per event_id.
    store.command(
        f"CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.{name}_mv TO {{db}}.{name} AS {select}"
    )
    if not fresh:
        store.command(f"INSERT INTO {{db}}.{name} {select}")


def _complete(store: ProjectionStore, name: str, typed: Typed) -> None:
    """Add the rows of events raw_events holds but ``name`` lacks (left by a killed INSERT)."""
    held = store.rows(
        f"SELECT (SELECT uniqExact(event_id) FROM {{db}}.raw_events"
        f"        WHERE {typed.source} AND {ADMITTED}),"
        f"       (SELECT uniqExact(event_id) FROM {{db}}.{name})"
    )[0]
    if held[0] != held[1]:
        log.warning(
            "%s lacks the rows of %d events raw_events holds; adding them", name, held[0] - held[1]
        )
        store.command(
            f"INSERT INTO {{db}}.{name} SELECT * FROM ({typed.select})"
            f" WHERE event_id NOT IN (SELECT event_id FROM {{db}}.{name})"
        )


def drop_schema(store: ProjectionStore) -> None:
    store.command("DROP DATABASE IF EXISTS {db}")
    store.schema_created = False
