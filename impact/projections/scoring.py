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
from typing import Any

import orjson

from impact.domain.errors import NotFoundError
from impact.domain.metrics import CURRENT_CATALOGUE, Metric
from impact.domain.quarter import Quarter
from impact.domain.review import ScoredCandidate
from impact.domain.scoring import (
    OutcomeInput,
    ProgramQuarterInputs,
    QuarterInputs,
    ScoringPolicy,
    TargetInput,
    score_quarter,
)
from impact.projections.store import ProjectionStore

AS_OF = "{as_of:DateTime64(6, 'UTC')}"
SCORE_COLUMNS = (
    "quarter", "program_code", "rank", "score", "eligible", "failed_gate", "components",
    "policy_version", "inputs_digest", "as_of",
)


@dataclass(frozen=True)
class QuarterReview:
    """One quarter scored: what was known, under which policy, and the ranking."""

    quarter: Quarter
    as_of: datetime
    policy: ScoringPolicy
    inputs: QuarterInputs
    candidates: tuple[ScoredCandidate, ...]

    @property
    def inputs_digest(self) -> str:
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
    rows = store.rows("SELECT count(), max(recorded_at) FROM {db}.events")
    return utc(rows[0][1]) if rows and rows[0][0] else None


def policy_in_force(store: ProjectionStore, quarter: Quarter, as_of: datetime) -> ScoringPolicy:
    """The latest policy whose quarter has begun, among those adopted by ``as_of``."""
    rows = store.rows(
        "SELECT policy FROM {db}.scoring_policies"
        f" WHERE effective_from <= {{quarter:String}} AND recorded_at <= {AS_OF}"
        " ORDER BY effective_from DESC, recorded_at DESC LIMIT 1",
        quarter=str(quarter), as_of=as_of,
    )
    if not rows:
        first = store.rows("SELECT min(recorded_at) FROM {db}.scoring_policies")[0][0]
        known = (f"the first policy was recorded at {utc(first).isoformat()}"
                 if first and utc(first).year > 1970 else "none is in the loaded log yet")
        raise NotFoundError(
            f"no scoring policy for {quarter} had been adopted by {as_of.isoformat()} ({known}); "
            "`impact review` adopts v1 on first use"
        )
    return ScoringPolicy.model_validate_json(rows[0][0])


def _metric(code: str) -> Metric:
    return CURRENT_CATALOGUE.metric(code)


def quarter_inputs(store: ProjectionStore, quarter: Quarter, as_of: datetime) -> QuarterInputs:
    q, previous = str(quarter), str(quarter.previous())
    states = store.dicts(
        "SELECT program_id, code, agency, task_code, status, length(joint_participants) > 0 AS joint,"
        " agencies, other_partners, length(origin_proposals) > 0 AS citizen_origin, budget_krw"
        " FROM {db}.program_state_as_of(as_of = {as_of:DateTime64(6, 'UTC')},"
        " until = {until:DateTime64(6, 'UTC')}, quarter = {quarter:String})"
        " WHERE (starts_on IS NULL OR starts_on <= {last:Date32})"
        " AND (ends_on IS NULL OR ends_on >= {first:Date32})",
        as_of=as_of, until=quarter.end, quarter=q, first=quarter.first_day, last=quarter.last_day,
    )
    targets = store.dicts(
        "SELECT program_id, metric, target, actual, reported, lower_is_better"
        f" FROM {{db}}.target_attainment_as_of(as_of = {AS_OF}) WHERE quarter = {{quarter:String}}",
        as_of=as_of, quarter=q,
    )
    outcomes = store.dicts(
        "SELECT program_id, metric, quarter, value, has_evidence, corrections"
        f" FROM {{db}}.outcomes_as_of(as_of = {AS_OF})"
        " WHERE quarter IN ({quarter:String}, {previous:String})",
        as_of=as_of, quarter=q, previous=previous,
    )
    quarters = dict(store.rows(
        f"SELECT program_id, uniqExact(quarter) FROM {{db}}.outcomes_as_of(as_of = {AS_OF})"
        " WHERE quarter <= {quarter:String} GROUP BY program_id",
        as_of=as_of, quarter=q,
    ))
    by_program: dict[Any, dict[str, Any]] = {
        s["program_id"]: {"targets": [], "now": {}, "before": {}} for s in states
    }
    for t in targets:
        if t["program_id"] in by_program:
            by_program[t["program_id"]]["targets"].append(TargetInput(
                metric=t["metric"], target=t["target"],
                actual=t["actual"] if t["reported"] else None,
                lower_is_better=bool(t["lower_is_better"]),
            ))
    for o in outcomes:
        if o["program_id"] in by_program:
            side = "now" if o["quarter"] == q else "before"
            by_program[o["program_id"]][side][o["metric"]] = o
    programmes = []
    for s in states:
        found = by_program[s["program_id"]]
        now, before = found["now"], found["before"]
        spent = now.get("budget_spent_krw")
        programmes.append(ProgramQuarterInputs(
            program_code=s["code"], agency=s["agency"], task_code=s["task_code"],
            status=s["status"], joint=bool(s["joint"]), agencies=tuple(s["agencies"]),
            partners=int(s["other_partners"]), citizen_origin=bool(s["citizen_origin"]),
            budget_krw=int(s["budget_krw"]),
            budget_spent_krw=spent["value"] if spent else None,
            quarters_with_data=int(quarters.get(s["program_id"], 0)),
            corrections=sum(int(o["corrections"]) for o in now.values()),
            targets=tuple(found["targets"]),
            outcomes=tuple(_outcome(o, before.get(metric)) for metric, o in now.items()),
        ))
    return QuarterInputs(quarter=q, programmes=tuple(programmes))


def _outcome(row: dict[str, Any], previous: dict[str, Any] | None) -> OutcomeInput:
    metric = _metric(row["metric"])
    return OutcomeInput(
        metric=metric.code, value=row["value"],
        previous=previous["value"] if previous else None,
        evidenced=bool(row["has_evidence"]), reach=metric.reach, spillover=metric.spillover,
        lower_is_better=metric.better == "lower", per_krw=metric.aggregation == "sum",
    )


def review_quarter(
    store: ProjectionStore, quarter: Quarter, as_of: datetime | None = None
) -> QuarterReview:
    """Score a quarter from the projections as known at ``as_of`` (default: all they hold)."""
    cut = utc(as_of) if as_of else known_until(store)
    if cut is None:
        raise NotFoundError("ClickHouse holds no events yet; load the log first")
    policy = policy_in_force(store, quarter, cut)
    inputs = quarter_inputs(store, quarter, cut)
    return QuarterReview(quarter, cut, policy, inputs, score_quarter(inputs, policy))


def save_scores(store: ProjectionStore, review: QuarterReview) -> None:
    """Replace the quarter's rows in ``quarterly_scores`` with this review's."""
    q = str(review.quarter)
    store.command("ALTER TABLE {db}.quarterly_scores DROP PARTITION {quarter:String}", quarter=q)
    rows = [
        [q, c.program_code, c.rank, c.score, c.eligible, c.failed_gate or "", dict(c.components),
         review.policy.version, review.inputs_digest, review.as_of]
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
        quarter=str(quarter), policy_version=int(r["policy_version"]),
        inputs_digest=r["inputs_digest"], as_of=utc(r["occurred_at"]),
        recorded_at=utc(r["recorded_at"]),
        candidates=tuple(ScoredCandidate.model_validate(c) for c in orjson.loads(r["candidates"])),
    )


def programme_titles(store: ProjectionStore) -> dict[str, dict[str, Any]]:
    """Agency and titles of every registered programme, by code."""
    rows = store.dicts("SELECT code, agency, title_ko, title_en FROM {db}.programs")
    return {r["code"]: r for r in rows}
