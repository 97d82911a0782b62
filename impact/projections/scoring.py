"""The quarterly review read from the projections: inputs as known at a time, scores stored.

``review_quarter`` reads, from the views only (so from ``impact.events`` only), what
every programme's score depends on, as known at ``as_of`` (a recorded time): the
policy in force for the quarter, each programme's state at the quarter's end, its
targets and outcomes. It hands them to the pure ``score_quarter``. Without ``as_of``
the review takes everything ClickHouse holds, and says which recorded time that was,
so replaying it as of that time gives the same inputs, digest and ranking.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import orjson

from impact.domain.consortium import AdoptedPolicy, policy_in_force
from impact.domain.metrics import CURRENT_CATALOGUE
from impact.domain.quarter import Quarter
from impact.domain.review import ScoredCandidate
from impact.domain.scoring import (
    QuarterInputs,
    ScoringPolicy,
    score_quarter,
)
from impact.errors import NotFoundError
from impact.projections.store import ProjectionStore

AS_OF = "{as_of:DateTime64(6, 'UTC')}"
SCORE_COLUMNS = (
    "quarter",
    "program_code",
    "rank",
    "score",
    "eligible",
    "failed_gate",
    "components",
    "policy_version",
    "inputs_digest",
    "as_of",
)


@dataclass(frozen=True)
class QuarterReview:
    """One quarter scored: what was known, under which policy, and the ranking."""

    quarter: Quarter
    as_of: datetime
    policy: ScoringPolicy
    inputs: QuarterInputs
    candidates: tuple[ScoredCandidate, ...]

    @cached_property
    def inputs_digest(self) -> str:
        """sha256 of the inputs' canonical JSON (computed once: it is the inputs written out)."""
        return self.inputs.digest()

    def as_json(self) -> dict[str, Any]:
        return {
            "quarter": str(self.quarter),
            "as_of": self.as_of.isoformat(),
            "policy_version": self.policy.version,
            "inputs_digest": self.inputs_digest,
            "candidates": [c.model_dump(mode="json") for c in self.candidates],
        }


def utc(moment: datetime) -> datetime:
    """ClickHouse hands back naive UTC datetimes."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def known_until(store: ProjectionStore) -> datetime | None:
    """The latest recorded time of any event ClickHouse holds."""
    rows = store.rows("SELECT count(), max(recorded_at) FROM {db}.raw_events WHERE error = ''")
    return utc(rows[0][1]) if rows and rows[0][0] else None


def adopted_policies(store: ProjectionStore) -> list[AdoptedPolicy]:
    """Every scoring policy adopted in the loaded log, in the order of adoption."""
    rows = store.rows(
        "SELECT effective_from, policy, recorded_at FROM {db}.scoring_policies"
        " ORDER BY recorded_at, version"
    )
    return [
        AdoptedPolicy(effective_from, ScoringPolicy.model_validate_json(policy), utc(recorded_at))
        for effective_from, policy, recorded_at in rows
    ]


def _catalogue_set(flag: str) -> str:
    codes = [m.code for m in CURRENT_CATALOGUE.metrics if _TRAITS[flag](m)]
    return f"CAST([{', '.join(repr(c) for c in codes)}] AS Array(String))"


_TRAITS = {
    "reach": lambda m: m.reach,
    "spillover": lambda m: m.spillover,
    "lower_is_better": lambda m: m.better == "lower",
    "per_krw": lambda m: m.aggregation == "sum",
}
DECIMAL = "Decimal(38, 6)"
OUTCOME_TYPE = (
    f"Tuple(metric String, value {DECIMAL}, previous Nullable({DECIMAL}), evidenced Bool, "
    + ", ".join(f"{flag} Bool" for flag in _TRAITS)
    + ", reported_days_after Int64, registered Bool, attested Bool)"
)
TARGET_TYPE = (
    f"Tuple(metric String, target {DECIMAL}, actual Nullable({DECIMAL}), lower_is_better Bool)"
)
QUARTER_INPUTS = f"""
    WITH
        -- The evidence register as known then: documents registered, and those attested.
        (SELECT groupUniqArray(JSONExtractString(payload, 'sha256')) FROM {{db}}.raw_events
         WHERE error = '' AND type = 'EvidenceDocument.Registered' AND recorded_at <= {AS_OF})
            AS registered_documents,
        (SELECT groupUniqArray(JSONExtractString(payload, 'sha256')) FROM {{db}}.raw_events
         WHERE error = '' AND type = 'EvidenceDocument.Attested' AND recorded_at <= {AS_OF})
            AS attested_documents,
        by_metric AS (
            SELECT program_id, metric,
                   countIf(quarter = {{quarter:String}}) > 0 AS current,
                   anyIf(value, quarter = {{quarter:String}}) AS value_now,
                   anyIf(has_evidence, quarter = {{quarter:String}}) AS evidenced,
                   anyIf(corrections, quarter = {{quarter:String}}) AS corrections_now,
                   anyIf(evidence_sha256, quarter = {{quarter:String}}) AS document_now,
                   toInt64(intDiv(dateDiff('second', {{until:DateTime64(6, 'UTC')}},
                                           anyIf(reported_at, quarter = {{quarter:String}})),
                                  86400)) AS reported_days_after,
                   if(countIf(quarter = {{previous:String}}) > 0,
                      anyIf(value, quarter = {{previous:String}}), NULL) AS value_before,
                   1 AS has_outcomes
            FROM {{db}}.outcomes_as_of(as_of = {AS_OF})
            WHERE quarter IN ({{quarter:String}}, {{previous:String}})
            GROUP BY program_id, metric
        ),
        -- Quarters with any outcome recorded by then: distinct, so copies need no dedup.
        quarters AS (
            SELECT program_id, toInt64(uniqExact(quarter)) AS quarters_with_data
            FROM {{db}}.outcome_rows
            WHERE quarter <= {{quarter:String}} AND recorded_at <= {AS_OF}
            GROUP BY program_id
        ),
        quarter_targets AS (
            SELECT program_id, metric, target, 1 AS has_target
            FROM {{db}}.program_targets
            WHERE quarter = {{quarter:String}} AND recorded_at <= {AS_OF}
        ),
        by_program AS (
            SELECT program_id,
                   groupArrayIf(CAST((metric, value_now, value_before, evidenced,
                                      {", ".join(f"has({_catalogue_set(f)}, metric)" for f in _TRAITS)},
                                      reported_days_after,
                                      evidenced AND has(registered_documents, document_now),
                                      evidenced AND has(attested_documents, document_now)),
                                     '{OUTCOME_TYPE}'), current) AS outcomes,
                   groupArrayIf(CAST((metric, target, if(current, value_now, NULL),
                                      has({_catalogue_set("lower_is_better")}, metric)),
                                     '{TARGET_TYPE}'), has_target = 1) AS targets,
                   toInt64(sumIf(corrections_now, current)) AS corrections,
                   if(countIf(current AND metric = 'budget_spent_krw') > 0,
                      anyIf(value_now, current AND metric = 'budget_spent_krw'), NULL)
                       AS budget_spent_krw
            FROM by_metric FULL OUTER JOIN quarter_targets USING (program_id, metric)
            GROUP BY program_id
        )
    SELECT s.code AS program_code, s.agency AS agency, s.task_code AS task_code,
           s.status AS status, CAST(length(s.joint_participants) > 0, 'Bool') AS joint,
           s.agencies AS agencies, toInt64(s.other_partners) AS partners,
           CAST(length(s.origin_proposals) > 0, 'Bool') AS citizen_origin,
           s.budget_krw AS budget_krw, p.budget_spent_krw AS budget_spent_krw,
           q.quarters_with_data AS quarters_with_data, p.corrections AS corrections,
           p.targets AS targets, p.outcomes AS outcomes,
           s.confirmed_agencies AS confirmed_agencies,
           toInt64(s.confirmed_other_partners) AS confirmed_partners
    FROM {{db}}.program_state_as_of(as_of = {AS_OF}, until = {{until:DateTime64(6, 'UTC')}},
                                    quarter = {{quarter:String}}) AS s
    LEFT JOIN by_program AS p ON p.program_id = s.program_id
    LEFT JOIN quarters AS q ON q.program_id = s.program_id
    WHERE (s.starts_on IS NULL OR s.starts_on <= {{last:Date32}})
      AND (s.ends_on IS NULL OR s.ends_on >= {{first:Date32}})
"""
"""One JSON object per programme running in the quarter, in the shape of
``ProgramQuarterInputs``: its state at the quarter's end, the quarters it has data for,
its outcomes this quarter (each with the previous quarter's value and the metric's
traits from the catalogue), its targets with the actual value when reported. The
programme's outcomes are read once (``by_metric``), targets joined to them by metric."""


def quarter_inputs(store: ProjectionStore, quarter: Quarter, as_of: datetime) -> QuarterInputs:
    """Every programme's inputs for ``quarter`` as known at ``as_of``: ClickHouse renders
    them as JSON in the contract's shape, and pydantic validates them in one call."""
    lines = store.json_lines(
        QUARTER_INPUTS,
        as_of=as_of,
        until=quarter.end,
        quarter=str(quarter),
        previous=str(quarter.previous()),
        first=quarter.first_day,
        last=quarter.last_day,
    )
    body = b",".join(lines.splitlines())
    inputs = QuarterInputs.model_validate_json(
        b'{"quarter":"' + str(quarter).encode() + b'","programmes":[' + body + b"]}"
    )
    for metric in {o.metric for p in inputs.programmes for o in p.outcomes}:
        CURRENT_CATALOGUE.metric(metric)  # an outcome of a metric the catalogue lacks: say so
    return inputs


def review_quarter(
    store: ProjectionStore, quarter: Quarter, as_of: datetime | None = None
) -> QuarterReview:
    """Score a quarter from the projections as known at ``as_of`` (default: all they hold)."""
    cut = utc(as_of) if as_of else known_until(store)
    if cut is None:
        raise NotFoundError("ClickHouse holds no events yet; load the log first")
    policy = policy_in_force(adopted_policies(store), str(quarter), cut)
    inputs = quarter_inputs(store, quarter, cut).for_policy(policy)
    return QuarterReview(quarter, cut, policy, inputs, score_quarter(inputs, policy))


def save_scores(store: ProjectionStore, review: QuarterReview) -> None:
    """Replace the quarter's rows in ``quarterly_scores`` with this review's."""
    q = str(review.quarter)
    store.command("ALTER TABLE {db}.quarterly_scores DROP PARTITION {quarter:String}", quarter=q)
    rows = [
        [
            q,
            c.program_code,
            c.rank,
            c.score,
            c.eligible,
            c.failed_gate or "",
            dict(c.components),
            review.policy.version,
            review.inputs_digest,
            review.as_of,
        ]
        for c in review.candidates
    ]
    if rows:
        token = f"scores:{q}:{review.inputs_digest}:{review.as_of.isoformat()}"
        store.insert("quarterly_scores", rows, SCORE_COLUMNS, token)


@dataclass(frozen=True)
class RecordedReview:
    """The latest scores of a quarter as recorded in the log (``PromotionReview.CandidatesScored``)."""

    quarter: str
    policy_version: int
    inputs_digest: str
    as_of: datetime
    recorded_at: datetime
    candidates: tuple[ScoredCandidate, ...]


def recorded_review(store: ProjectionStore, quarter: Quarter) -> RecordedReview | None:
    rows = store.dicts(
        "SELECT policy_version, inputs_digest, candidates, occurred_at, recorded_at"
        " FROM {db}.review_scores_recorded WHERE quarter = {quarter:String}"
        " ORDER BY review_version DESC LIMIT 1",
        quarter=str(quarter),
    )
    if not rows:
        return None
    r = rows[0]
    return RecordedReview(
        quarter=str(quarter),
        policy_version=int(r["policy_version"]),
        inputs_digest=r["inputs_digest"],
        as_of=utc(r["occurred_at"]),
        recorded_at=utc(r["recorded_at"]),
        candidates=tuple(ScoredCandidate.model_validate(c) for c in orjson.loads(r["candidates"])),
    )


def review_as_recorded(
    store: ProjectionStore, quarter: Quarter
) -> tuple[QuarterReview, RecordedReview | None]:
    """The quarter's review as recorded in the log, replayed as of its recorded time (with the
    recorded review); without one, the quarter as the projections know it now (and None)."""
    recorded = recorded_review(store, quarter)
    return review_quarter(store, quarter, as_of=recorded.as_of if recorded else None), recorded


def programme_titles(store: ProjectionStore) -> dict[str, dict[str, Any]]:
    """Agency and titles of every registered programme, by code."""
    rows = store.dicts("SELECT code, agency, title_ko, title_en FROM {db}.programs")
    return {r["code"]: r for r in rows}
