"""What the public site shows, gathered from the projections (never from a proposer)."""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from impact.projections.schema import END_OF_TIME
from impact.projections.store import ProjectionStore

STAGES: dict[str, tuple[str, str]] = {
    "submitted": ("접수", "Submitted"),
    "reviewed": ("심사 완료", "Reviewed"),
    "adopted": ("채택", "Adopted"),
    "rejected": ("반려", "Not adopted"),
    "merged": ("병합", "Merged"),
    "programme": ("사업화", "Became a programme"),
    "joint_project": ("공동사업", "Joint project"),
}
CHANNELS: dict[str, tuple[str, str]] = {
    "website": ("누리집", "Website"),
    "forum": ("시민 토론회", "Citizens' forum"),
    "email": ("전자우편", "E-mail"),
    "visit": ("방문", "In person"),
    "agency": ("기관 접수", "Through an agency"),
}
CATEGORIES: dict[str, tuple[str, str]] = {
    "environment": ("환경", "Environment"),
    "jobs": ("일자리", "Jobs"),
    "startup": ("창업", "Start-ups"),
    "social_economy": ("사회적경제", "Social economy"),
    "welfare": ("복지", "Welfare"),
    "housing": ("주거", "Housing"),
    "community": ("공동체", "Community"),
    "energy": ("에너지", "Energy"),
}
DECISIONS: dict[str, tuple[str, str]] = {
    "promote": ("공동사업 승격", "Promoted to a joint project"),
    "defer": ("보류", "Deferred"),
    "decline": ("부결", "Declined"),
}
PROGRAMME_STATUS: dict[str, tuple[str, str]] = {
    "active": ("진행 중", "Active"),
    "suspended": ("중단", "Suspended"),
    "completed": ("종료", "Completed"),
}


@dataclass
class Programme:
    code: str
    agency: str
    task_code: str
    strategy: str
    title_ko: str
    title_en: str
    status: str
    promoted_quarter: str
    agencies: list[str]
    origin_proposals: list[str]
    metrics: dict[str, list[tuple[str, Decimal | None, Decimal | None]]] = field(
        default_factory=dict
    )
    decisions: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Proposal:
    code: str
    title: str
    channel: str
    category: str
    submitted_at: Any
    reviewed_at: Any
    adopted_at: Any
    task_code: str
    stage: str
    rejection_reason: str
    merged_into: str
    programmes: list[str]
    joint_projects: list[str]
    merged_here: list[str] = field(default_factory=list)
    strategies: list[str] = field(default_factory=list)
    agencies: list[str] = field(default_factory=list)
    review_score: Decimal | None = None


@dataclass
class SiteData:
    proposals: list[Proposal]
    programmes: dict[str, Programme]
    names: dict[str, dict[str, str]]


def gather(store: ProjectionStore) -> SiteData:
    from impact.export import PROPOSALS
    from impact.report.data import _names

    rows = store.dicts(PROPOSALS.sql, until=END_OF_TIME, q="9999Q4")
    scores = dict(
        store.rows(
            "SELECT aggregate_id, avg(toFloat64(v)) FROM {db}.events"
            " ARRAY JOIN JSONExtract(payload, 'scores', 'Map(String, String)') AS s"
            " ARRAY JOIN [toDecimal64OrZero(s.2, 2)] AS v"
            " WHERE type = 'Proposal.Reviewed' GROUP BY aggregate_id"
        )
    )
    ids = dict(
        store.rows(
            "SELECT JSONExtractString(payload, 'code'), aggregate_id FROM {db}.events"
            " WHERE type = 'Proposal.Submitted'"
        )
    )
    programmes: dict[str, Programme] = {}
    for p in store.dicts(
        "SELECT code, agency, task_code, strategy, title_ko, title_en, status,"
        " ifNull(promoted_quarter, '') AS promoted_quarter, agencies, origin_proposals"
        " FROM {db}.program_state ORDER BY code"
    ):
        programmes[p["code"]] = Programme(**p)
    _outcomes(store, programmes)
    for d in store.dicts(
        "SELECT quarter, program_code, decision, reason, occurred_at FROM {db}.review_decisions"
        " ORDER BY quarter, occurred_at"
    ):
        if d["program_code"] in programmes:
            programmes[d["program_code"]].decisions.append(d)
    proposals = []
    for r in rows:
        split = {k: [x for x in r[k].split(";") if x] for k in ("programmes", "joint_projects")}
        proposal = Proposal(**{**r, **split})
        score = scores.get(ids.get(r["code"]))
        proposal.review_score = Decimal(str(round(score, 1))) if score is not None else None
        became = [programmes[c] for c in proposal.programmes if c in programmes]
        proposal.strategies = sorted(
            {p.strategy for p in became}
            | ({r["task_code"].split("-")[0]} if r["task_code"] else set())
        )
        proposal.agencies = sorted({a for p in became for a in p.agencies})
        proposals.append(proposal)
    by_code = {item.code: item for item in proposals}
    for item in proposals:
        if item.merged_into in by_code:
            by_code[item.merged_into].merged_here.append(item.code)
    return SiteData(proposals, programmes, _names(store))


def _outcomes(store: ProjectionStore, programmes: dict[str, Programme]) -> None:
    rows = store.dicts(
        "SELECT s.code AS code, x.metric AS metric, x.quarter AS quarter,"
        " max(x.target) AS target, max(x.actual) AS actual, max(x.has_target) AS has_target,"
        " max(x.has_actual) AS has_actual FROM ("
        "  SELECT program_id, metric, quarter, target, toDecimal128(0, 6) AS actual,"
        "         1 AS has_target, 0 AS has_actual FROM {db}.program_targets"
        "  UNION ALL"
        "  SELECT program_id, metric, quarter, toDecimal128(0, 6), value, 0, 1"
        "  FROM {db}.outcomes_current"
        ") AS x INNER JOIN {db}.programs AS s ON s.program_id = x.program_id"
        " GROUP BY code, metric, quarter ORDER BY code, metric, quarter"
    )
    for r in rows:
        p = programmes.get(r["code"])
        if p is None:
            continue
        p.metrics.setdefault(r["metric"], []).append(
            (
                r["quarter"],
                r["target"] if r["has_target"] else None,
                r["actual"] if r["has_actual"] else None,
            )
        )
