"""Ranking of programmes for a quarter, read from the projections.

For now the score is target attainment alone: for every target a programme set for
the quarter, its current outcome over the target, capped, averaged, times 100. The
full policy (ripple, efficiency, evidence, gates) builds on this.
"""

from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from impact.domain.quarter import Quarter
from impact.domain.scoring import ScoringPolicy
from impact.projections.store import ProjectionStore

RANKING_SQL = """
WITH
    attainment AS (
        SELECT t.program_id AS program_id,
               count() AS targets,
               countIf(o.value >= t.target) AS targets_met,
               avg(least(toFloat64(ifNull(o.value, 0)) / toFloat64(t.target), {cap:Float64})) AS performance
        FROM {db}.program_targets AS t
        LEFT JOIN {db}.outcomes_current AS o
            ON o.program_id = t.program_id AND o.metric = t.metric AND o.quarter = t.quarter
        WHERE t.quarter = {quarter:String} AND t.target > 0
        GROUP BY t.program_id
    ),
    reported AS (
        SELECT program_id, count() AS outcomes
        FROM {db}.outcomes_current WHERE quarter = {quarter:String}
        GROUP BY program_id
    )
SELECT p.code AS program_code, p.agency AS agency, p.title_ko AS title_ko, p.title_en AS title_en,
       round(100 * ifNull(a.performance, 0), 2) AS score,
       ifNull(a.targets, 0) AS targets, ifNull(a.targets_met, 0) AS targets_met,
       ifNull(r.outcomes, 0) AS outcomes
FROM {db}.programs AS p
LEFT JOIN attainment AS a ON a.program_id = p.program_id
LEFT JOIN reported AS r ON r.program_id = p.program_id
WHERE toDate(p.registered_at) <= {last_day:Date}
ORDER BY score DESC, p.code ASC
"""


@dataclass(frozen=True)
class RankedProgram:
    rank: int
    program_code: str
    agency: str
    title_ko: str
    title_en: str
    score: Decimal
    targets: int
    targets_met: int
    outcomes: int

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["score"] = str(self.score)
        return data


def rank_quarter(store: ProjectionStore, quarter: Quarter, policy: ScoringPolicy) -> list[RankedProgram]:
    rows = store.dicts(
        RANKING_SQL, quarter=str(quarter), cap=float(policy.attainment_cap), last_day=quarter.last_day
    )
    return [
        RankedProgram(
            rank=i, program_code=r["program_code"], agency=r["agency"], title_ko=r["title_ko"],
            title_en=r["title_en"], score=Decimal(str(r["score"])).quantize(Decimal("0.01")),
            targets=int(r["targets"]), targets_met=int(r["targets_met"]), outcomes=int(r["outcomes"]),
        )
        for i, r in enumerate(rows, start=1)
    ]
