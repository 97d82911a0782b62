"""What the council report shows, gathered from the projections (so from the log only).

The report explains the review as recorded: when the quarter's scores were recorded,
it replays them as of the recorded time and checks the digest matches; otherwise it
shows the review as ClickHouse knows it now, marked as not recorded.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson

from impact.domain.metrics import CURRENT_CATALOGUE
from impact.domain.quarter import Quarter
from impact.domain.review import ScoredCandidate
from impact.domain.scoring import ProgramQuarterInputs
from impact.projections.scoring import (
    QuarterReview,
    RecordedReview,
    review_as_recorded,
    review_quarter,
)
from impact.projections.store import ProjectionStore

HISTORY_QUARTERS = 6


@dataclass(frozen=True)
class QuarterPoint:
    quarter: str
    score: Decimal | None
    eligible: bool


@dataclass(frozen=True)
class MetricPoint:
    quarter: str
    target: Decimal | None
    actual: Decimal | None


@dataclass
class CandidateView:
    candidate: ScoredCandidate
    programme: dict[str, Any]
    inputs: ProgramQuarterInputs
    history: list[QuarterPoint] = field(default_factory=list)
    metrics: dict[str, list[MetricPoint]] = field(default_factory=dict)
    proposals: list[dict[str, Any]] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ReportData:
    quarter: Quarter
    review: QuarterReview
    recorded: RecordedReview | None
    reproduced: bool
    ranking: list[CandidateView]
    council: list[CandidateView]
    decisions: list[dict[str, Any]]
    funnel: dict[str, int]
    strategies: list[dict[str, Any]]
    names: dict[str, dict[str, str]]
    declarations: list[dict[str, Any]] = field(default_factory=list)
    """Metrics programmes committed to after registration, by the review's time."""

    @property
    def flagged(self) -> list[tuple[CandidateView, Any]]:
        """Every flag of the review, with its programme: what the council sees first."""
        return [(v, f) for v in self.ranking for f in v.candidate.flags]

    @property
    def policy_weights(self) -> dict[str, Decimal]:
        return self.review.policy.weights()


def _programmes(store: ProjectionStore) -> dict[str, dict[str, Any]]:
    rows = store.dicts(
        "SELECT code, agency, task_code, strategy, title_ko, title_en, budget_krw, status,"
        " joint_participants, promoted_quarter, partner_names, origin_proposals,"
        " confirmed_agency_partners, confirmed_other_partners FROM {db}.program_state"
    )
    return {r["code"]: r for r in rows}


def _names(store: ProjectionStore) -> dict[str, dict[str, str]]:
    """Korean and English names of agencies, strategies, tasks and metrics, from the log."""
    names: dict[str, dict[str, str]] = {
        m.code: {"ko": m.name_ko, "en": m.name_en, "unit": m.unit}
        for m in CURRENT_CATALOGUE.metrics
    }
    for (payload,) in store.rows(
        "SELECT payload FROM {db}.events WHERE type IN ('Consortium.Founded', 'Consortium.MemberJoined')"
        " ORDER BY notification_id"
    ):
        data = orjson.loads(payload)
        for member in data.get("members", []) + ([data["member"]] if "member" in data else []):
            names[member["code"]] = {"ko": member["name_ko"], "en": member["name_en"]}
    plan = store.rows(
        "SELECT payload FROM {db}.events WHERE type IN ('Plan.Declared', 'Plan.Revised')"
        " ORDER BY notification_id DESC LIMIT 1"
    )
    if plan:
        data = orjson.loads(plan[0][0])
        for item in data["strategies"] + data["tasks"]:
            names[item["code"]] = {"ko": item["name_ko"], "en": item["name_en"]}
    return names


def _history_quarters(store: ProjectionStore, quarter: Quarter, as_of: datetime) -> list[Quarter]:
    first = store.rows(
        "SELECT min(quarter) FROM {db}.outcomes_as_of(as_of = {as_of:DateTime64(6, 'UTC')})",
        as_of=as_of,
    )[0][0]
    start = Quarter.parse(first) if first else quarter
    quarters = [quarter]
    while len(quarters) < HISTORY_QUARTERS and quarters[0] > start:
        quarters.insert(0, quarters[0].previous())
    return quarters


def _metric_history(
    store: ProjectionStore, codes: list[str], quarters: list[Quarter], as_of: datetime
) -> dict[tuple[str, str], dict[str, MetricPoint]]:
    """(programme, metric) → quarter → target and actual, as known at ``as_of``."""
    rows = store.dicts(
        "SELECT s.code AS code, x.metric AS metric, x.quarter AS quarter,"
        " max(x.target) AS target, max(x.actual) AS actual, max(x.has_target) AS has_target,"
        " max(x.has_actual) AS has_actual FROM ("
        "  SELECT program_id, metric, quarter, target, toDecimal128(0, 6) AS actual,"
        "         1 AS has_target, 0 AS has_actual"
        "  FROM {db}.program_targets WHERE recorded_at <= {as_of:DateTime64(6, 'UTC')}"
        "  UNION ALL"
        "  SELECT program_id, metric, quarter, toDecimal128(0, 6), value, 0, 1"
        "  FROM {db}.outcomes_as_of(as_of = {as_of:DateTime64(6, 'UTC')})"
        ") AS x INNER JOIN {db}.programs AS s ON s.program_id = x.program_id"
        " WHERE s.code IN {codes:Array(String)} AND x.quarter IN {quarters:Array(String)}"
        " GROUP BY code, metric, quarter",
        as_of=as_of,
        codes=codes,
        quarters=[str(q) for q in quarters],
    )
    history: dict[tuple[str, str], dict[str, MetricPoint]] = {}
    for r in rows:
        history.setdefault((r["code"], r["metric"]), {})[r["quarter"]] = MetricPoint(
            r["quarter"],
            r["target"] if r["has_target"] else None,
            r["actual"] if r["has_actual"] else None,
        )
    return history


def _proposals(store: ProjectionStore) -> dict[str, dict[str, Any]]:
    rows = store.dicts(
        "SELECT code, title, channel, submitted_at, reviewed_at, adopted_at, task_code, stage,"
        " programmes, joint_projects FROM {db}.proposal_funnel"
    )
    return {r["code"]: r for r in rows}


def _decisions(store: ProjectionStore, quarter: Quarter) -> list[dict[str, Any]]:
    return store.dicts(
        "SELECT quarter, program_code, decision, reason, meeting_ref, occurred_at"
        " FROM {db}.review_decisions WHERE quarter <= {q:String}"
        " ORDER BY quarter DESC, occurred_at, program_code",
        q=str(quarter),
    )


def _declarations(store: ProjectionStore, as_of: datetime) -> list[dict[str, Any]]:
    rows = store.dicts(
        "SELECT p.code AS program_code, e.occurred_at AS occurred_at,"
        " JSONExtract(e.payload, 'metrics', 'Array(String)') AS metrics,"
        " JSONExtractString(e.payload, 'reason') AS reason"
        " FROM {db}.events AS e INNER JOIN {db}.programs AS p ON p.program_id = e.aggregate_id"
        " WHERE e.type = 'Program.MetricsDeclared'"
        " AND e.recorded_at <= {as_of:DateTime64(6, 'UTC')}"
        " ORDER BY e.occurred_at, p.code",
        as_of=as_of,
    )
    return rows


def gather(store: ProjectionStore, quarter: Quarter) -> ReportData:
    review, recorded = review_as_recorded(store, quarter)
    reproduced = recorded is not None and (
        recorded.inputs_digest == review.inputs_digest and recorded.candidates == review.candidates
    )
    programmes = _programmes(store)
    inputs = {p.program_code: p for p in review.inputs.programmes}
    proposals = _proposals(store)
    decisions = _decisions(store, quarter)
    quarters = _history_quarters(store, quarter, review.as_of)
    scores: dict[str, dict[str, QuarterPoint]] = {}
    for q in quarters:
        past = review if q == quarter else review_quarter(store, q, as_of=review.as_of)
        for c in past.candidates:
            scores.setdefault(c.program_code, {})[str(q)] = QuarterPoint(
                str(q), c.score, c.eligible
            )
    codes = [c.program_code for c in review.candidates]
    metric_history = _metric_history(store, codes, quarters, review.as_of) if codes else {}

    ranking = []
    for c in review.candidates:
        own = inputs[c.program_code]
        view = CandidateView(candidate=c, programme=programmes.get(c.program_code, {}), inputs=own)
        view.history = [
            scores.get(c.program_code, {}).get(str(q), QuarterPoint(str(q), None, False))
            for q in quarters
        ]
        for t in own.targets:
            points = metric_history.get((c.program_code, t.metric), {})
            view.metrics[t.metric] = [
                points.get(str(q), MetricPoint(str(q), None, None)) for q in quarters
            ]
        view.proposals = [
            proposals[o] for o in view.programme.get("origin_proposals", []) if o in proposals
        ]
        view.decisions = [d for d in decisions if d["program_code"] == c.program_code]
        ranking.append(view)
    council = [v for v in ranking if v.candidate.eligible][: review.policy.candidates]
    funnel = store.dicts("SELECT * FROM {db}.proposal_funnel_summary")[0]
    # The programmes the review ranked, by strategy: one with outcomes or targets for the
    # quarter that was no candidate (registered after it, say) is not counted.
    ranked = [c.program_code for c in review.candidates]
    strategies = (
        store.dicts(
            "SELECT strategy, uniqExact(program_id) AS programmes, sum(outcomes) AS outcomes,"
            " sum(evidenced) AS evidenced, sum(targets) AS targets,"
            " sum(targets_met) AS targets_met, sum(budget_krw) AS budget_krw"
            " FROM {db}.program_quarter_summary"
            " WHERE quarter = {q:String} AND code IN {codes:Array(String)}"
            " GROUP BY strategy ORDER BY strategy",
            q=str(quarter),
            codes=ranked,
        )
        if ranked
        else []
    )
    return ReportData(
        quarter=quarter,
        review=review,
        recorded=recorded,
        reproduced=reproduced,
        ranking=ranking,
        council=council,
        decisions=decisions,
        funnel={k: int(v) for k, v in funnel.items()},
        strategies=strategies,
        names=_names(store),
        declarations=_declarations(store, review.as_of),
    )
