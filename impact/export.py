"""Open data: the ledger's public facts of a quarter as CSV or Parquet, with a data dictionary.

``export_quarter`` writes one file per table (programmes, outcomes with every version,
scores with their components and gates, council decisions, proposals), each rendered by
ClickHouse itself from the projections (``CSVWithNames`` or ``Parquet``), so no second
writer can disagree with the engine on a decimal or a date. CSV files start with a UTF-8
byte-order mark, which Korean Excel needs to read them as UTF-8. Beside them go
``data-dictionary.md`` (Korean and English), one JSON Schema per table (a row of it) and
``manifest.json`` (rows and sha256 of each file).

Nothing personal is exported: a proposal's proposer is sealed in the log and never read
here; the tables hold codes, titles, dates, figures and the council's reasons.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from impact.domain.quarter import Quarter
from impact.domain.scoring import COMPONENTS
from impact.projections.schema import END_OF_TIME
from impact.projections.store import ProjectionStore

Format = Literal["csv", "parquet"]
BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Column:
    name: str
    type: Literal["string", "integer", "number", "boolean", "date", "date-time"]
    ko: str
    en: str
    nullable: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    ko: str
    en: str
    sql: str
    columns: tuple[Column, ...]


def _c(name: str, type_: Any, ko: str, en: str, nullable: bool = False) -> Column:
    return Column(name, type_, ko, en, nullable)


UNTIL = "{until:DateTime64(6, 'UTC')}"
QUARTER = "{q:String}"

PROGRAMMES = Table(
    "programmes",
    "사업",
    "Programmes",
    f"""
    SELECT code, agency, task_code, strategy, title_ko, title_en, toInt64(budget_krw) AS budget_krw,
           toString(starts_on) AS starts_on, ifNull(toString(ends_on), '') AS ends_on,
           registered_at, status, arrayStringConcat(agencies, ';') AS agencies,
           ifNull(promoted_quarter, '') AS promoted_quarter,
           arrayStringConcat(origin_proposals, ';') AS origin_proposals
    FROM {{db}}.program_state_as_of(as_of = '{END_OF_TIME}', until = {UNTIL}, quarter = {QUARTER})
    ORDER BY code
    """,
    (
        _c("code", "string", "사업 코드", "Programme code"),
        _c("agency", "string", "주관 기관 코드", "Lead agency code"),
        _c("task_code", "string", "추진 과제 코드", "Task code of the plan"),
        _c("strategy", "string", "전략 코드", "Strategy code of the plan"),
        _c("title_ko", "string", "사업명(국문)", "Title in Korean"),
        _c("title_en", "string", "사업명(영문)", "Title in English"),
        _c("budget_krw", "integer", "예산(원)", "Budget in KRW"),
        _c("starts_on", "date", "시작일", "Start date"),
        _c("ends_on", "string", "종료일(없으면 빈칸)", "End date (empty if open-ended)"),
        _c("registered_at", "date-time", "등록 시각(UTC)", "Registered at (UTC)"),
        _c(
            "status",
            "string",
            "분기 말 상태: active, suspended, completed",
            "Status at the quarter's end: active, suspended, completed",
        ),
        _c("agencies", "string", "참여 기관 코드(;로 구분)", "Agencies involved (; separated)"),
        _c(
            "promoted_quarter",
            "string",
            "공동사업으로 승격된 분기(없으면 빈칸)",
            "Quarter it was promoted to a joint project (empty if not)",
        ),
        _c(
            "origin_proposals",
            "string",
            "출발이 된 시민 제안 코드(;로 구분)",
            "Citizen proposals it came from (; separated)",
        ),
    ),
)

OUTCOMES = Table(
    "outcomes",
    "성과 보고(모든 버전)",
    "Outcomes (every version)",
    """
    SELECT s.code AS program_code, o.quarter AS quarter, o.metric AS metric,
           o.report_id AS report_id, o.corrects AS corrects,
           toString(o.value) AS value, o.aggregate_version AS version,
           o.is_correction AS is_correction, CAST(o.has_evidence, 'Bool') AS has_evidence,
           o.evidence_sha256 AS evidence_sha256, o.occurred_at AS occurred_at,
           o.recorded_at AS recorded_at, o.actor AS actor
    FROM {db}.outcome_versions AS o
    INNER JOIN {db}.programs AS s ON s.program_id = o.program_id
    WHERE o.quarter <= {q:String}
    ORDER BY program_code, quarter, metric, version
    """,
    (
        _c("program_code", "string", "사업 코드", "Programme code"),
        _c("quarter", "string", "성과 분기", "Quarter of the outcome"),
        _c("metric", "string", "지표 코드", "Metric code"),
        _c("report_id", "string", "보고 식별자", "Report id"),
        _c("corrects", "string", "정정 대상 보고(정정일 때)", "Report it corrects (corrections)"),
        _c(
            "value",
            "number",
            "값(소수 6자리까지, 문자열로 정확히)",
            "Value (up to 6 decimals, exact as text)",
        ),
        _c("version", "integer", "사업 이벤트 버전", "Version of the programme's event"),
        _c("is_correction", "boolean", "정정 여부", "Whether this version is a correction"),
        _c("has_evidence", "boolean", "증빙 첨부 여부", "Whether evidence is attached"),
        _c("evidence_sha256", "string", "증빙 SHA-256", "SHA-256 of the evidence"),
        _c("occurred_at", "date-time", "발생 시각(업무 시각, UTC)", "Business time (UTC)"),
        _c(
            "recorded_at",
            "date-time",
            "기록 시각(as-of 기준, UTC)",
            "Recorded time, what as-of queries use (UTC)",
        ),
        _c("actor", "string", "기록 주체", "Who recorded it"),
    ),
)

TARGETS = Table(
    "targets",
    "목표",
    "Targets",
    """
    SELECT s.code AS program_code, t.quarter AS quarter, t.metric AS metric,
           toString(t.target) AS target, t.recorded_at AS recorded_at
    FROM {db}.program_targets AS t
    INNER JOIN {db}.programs AS s ON s.program_id = t.program_id
    WHERE t.quarter <= {q:String}
    ORDER BY program_code, quarter, metric
    """,
    (
        _c("program_code", "string", "사업 코드", "Programme code"),
        _c("quarter", "string", "목표 분기", "Quarter of the target"),
        _c("metric", "string", "지표 코드", "Metric code"),
        _c("target", "number", "목표값(문자열로 정확히)", "Target (exact as text)"),
        _c("recorded_at", "date-time", "기록 시각(UTC)", "Recorded at (UTC)"),
    ),
)

_COMPONENTS = ",\n           ".join(
    f"toDecimal64OrZero(trim(BOTH '\"' FROM JSONExtractRaw(c, 'components', '{k}')), 4) AS {k}"
    for k in COMPONENTS
)
SCORES = Table(
    "scores",
    "승격 심사 점수",
    "Promotion review scores",
    f"""
    WITH last AS (
        SELECT quarter, argMax(candidates, review_version) AS candidates,
               argMax(policy_version, review_version) AS policy_version,
               argMax(inputs_digest, review_version) AS inputs_digest,
               max(recorded_at) AS recorded_at
        FROM {{db}}.review_scores_recorded WHERE quarter <= {QUARTER}
        GROUP BY quarter
    )
    SELECT quarter, JSONExtractString(c, 'program_code') AS program_code,
           toUInt32(JSONExtractInt(c, 'rank')) AS rank,
           toDecimal64OrZero(trim(BOTH '"' FROM JSONExtractRaw(c, 'score')), 2) AS score,
           CAST(JSONExtractBool(c, 'eligible'), 'Bool') AS eligible,
           JSONExtractString(c, 'failed_gate') AS failed_gate,
           arrayStringConcat(JSONExtract(c, 'flags', 'Array(String)'), ';') AS flags,
           {_COMPONENTS},
           toUInt32(policy_version) AS policy_version, inputs_digest, recorded_at
    FROM last ARRAY JOIN JSONExtractArrayRaw(candidates) AS c
    ORDER BY quarter, rank
    """,
    (
        _c("quarter", "string", "심사 분기", "Quarter reviewed"),
        _c("program_code", "string", "사업 코드", "Programme code"),
        _c("rank", "integer", "순위", "Rank"),
        _c("score", "number", "점수(0~100)", "Score (0 to 100)"),
        _c("eligible", "boolean", "승격 대상 자격", "Eligible for promotion"),
        _c(
            "failed_gate",
            "string",
            "자격을 막은 요건(없으면 빈칸)",
            "The gate that kept it out (empty if none)",
        ),
        _c("flags", "string", "검토 표시(;로 구분)", "Review flags (; separated)"),
        *(
            _c(k, "number", f"구성 요소 {k}(0~1)", f"Score component {k} (0 to 1)")
            for k in COMPONENTS
        ),
        _c("policy_version", "integer", "채점 정책 버전", "Scoring policy version"),
        _c("inputs_digest", "string", "입력 다이제스트(SHA-256)", "Digest of the inputs (SHA-256)"),
        _c("recorded_at", "date-time", "점수 기록 시각(UTC)", "Scores recorded at (UTC)"),
    ),
)

DECISIONS = Table(
    "decisions",
    "협의회 결정",
    "Council decisions",
    """
    SELECT quarter, program_code, decision, reason, meeting_ref, occurred_at, recorded_at
    FROM {db}.review_decisions WHERE quarter <= {q:String}
    ORDER BY quarter, occurred_at, program_code
    """,
    (
        _c("quarter", "string", "심사 분기", "Quarter reviewed"),
        _c("program_code", "string", "사업 코드", "Programme code"),
        _c(
            "decision",
            "string",
            "결정: promote, defer, decline",
            "Decision: promote, defer, decline",
        ),
        _c("reason", "string", "사유", "Reason"),
        _c("meeting_ref", "string", "회의 참조", "Meeting reference"),
        _c("occurred_at", "date-time", "결정 시각(UTC)", "Decided at (UTC)"),
        _c("recorded_at", "date-time", "기록 시각(UTC)", "Recorded at (UTC)"),
    ),
)

PROPOSALS = Table(
    "proposals",
    "시민 제안(개인정보 제외)",
    "Citizen proposals (no personal data)",
    f"""
    WITH facts AS (
        SELECT JSONExtractString(payload, 'code') AS code,
               JSONExtractString(payload, 'category') AS category
        FROM {{db}}.events WHERE type = 'Proposal.Submitted'
    ),
    endings AS (
        SELECT aggregate_id,
               anyIf(JSONExtractString(payload, 'reason'), type = 'Proposal.Rejected') AS reason,
               anyIf(JSONExtractString(payload, 'into_code'), type = 'Proposal.Merged') AS merged_into
        FROM {{db}}.events WHERE type IN ('Proposal.Rejected', 'Proposal.Merged')
        GROUP BY aggregate_id
    )
    SELECT f.code AS code, f.title AS title, f.channel AS channel, x.category AS category,
           f.submitted_at AS submitted_at, f.reviewed_at AS reviewed_at,
           f.adopted_at AS adopted_at, f.task_code AS task_code, f.stage AS stage,
           e.reason AS rejection_reason, e.merged_into AS merged_into,
           arrayStringConcat(f.programmes, ';') AS programmes,
           arrayStringConcat(f.joint_projects, ';') AS joint_projects
    FROM {{db}}.proposal_funnel AS f
    LEFT JOIN facts AS x ON x.code = f.code
    LEFT JOIN endings AS e ON e.aggregate_id = f.proposal_id
    WHERE f.submitted_at < {UNTIL}
    ORDER BY code
    """,
    (
        _c("code", "string", "제안 코드", "Proposal code"),
        _c("title", "string", "제목", "Title"),
        _c("channel", "string", "접수 경로", "Channel"),
        _c("category", "string", "분야", "Category"),
        _c("submitted_at", "date-time", "접수 시각(UTC)", "Submitted at (UTC)"),
        _c("reviewed_at", "date-time", "심사 시각(UTC)", "Reviewed at (UTC)", nullable=True),
        _c("adopted_at", "date-time", "채택 시각(UTC)", "Adopted at (UTC)", nullable=True),
        _c("task_code", "string", "채택된 추진 과제", "Task adopted under"),
        _c(
            "stage",
            "string",
            "단계: submitted, reviewed, adopted, rejected, merged, programme, joint_project",
            "Stage: submitted, reviewed, adopted, rejected, merged, programme, joint_project",
        ),
        _c("rejection_reason", "string", "반려 사유", "Reason for rejection"),
        _c("merged_into", "string", "병합된 제안", "Proposal it was merged into"),
        _c("programmes", "string", "사업화된 사업(;로 구분)", "Programmes it became (; separated)"),
        _c(
            "joint_projects",
            "string",
            "공동사업이 된 사업(;로 구분)",
            "Of those, joint projects (; separated)",
        ),
    ),
)

TABLES: tuple[Table, ...] = (PROGRAMMES, TARGETS, OUTCOMES, SCORES, DECISIONS, PROPOSALS)


@dataclass(frozen=True)
class Written:
    table: str
    path: Path
    rows: int
    sha256: str


def table_query(table: Table) -> str:
    return table.sql


def _params(quarter: Quarter) -> dict[str, Any]:
    return {"q": str(quarter), "until": quarter.end}


def export_quarter(
    store: ProjectionStore, quarter: Quarter, fmt: Format, out: Path
) -> list[Written]:
    """Write every table of ``quarter`` into ``out`` in ``fmt``, with the dictionary."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for table in TABLES:
        params = _params(quarter)
        if fmt == "csv":
            data = BOM + store.formatted(
                table.sql,
                "CSVWithNames",
                settings={
                    "output_format_csv_crlf_end_of_line": 1,
                    "format_csv_null_representation": "",
                    "date_time_output_format": "iso",
                },
                **params,
            )
        else:
            data = store.formatted(
                table.sql,
                "Parquet",
                settings={"output_format_parquet_string_as_string": 1},
                **params,
            )
        rows = int(store.rows(f"SELECT count() FROM ({table.sql})", **params)[0][0])
        path = out / f"{table.name}.{fmt}"
        path.write_bytes(data)
        written.append(Written(table.name, path, rows, hashlib.sha256(data).hexdigest()))
    _write_dictionary(out, quarter, fmt, written)
    return written


JSON_TYPES: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "number": {"type": ["number", "string"]},
    "boolean": {"type": ["boolean", "integer"]},
    "date": {"type": "string", "format": "date"},
    "date-time": {"type": "string"},
}


def json_schema(table: Table) -> dict[str, Any]:
    """The JSON Schema of one row of ``table``."""
    properties = {}
    for col in table.columns:
        spec = dict(JSON_TYPES[col.type])
        if col.nullable:
            kinds = spec["type"] if isinstance(spec["type"], list) else [spec["type"]]
            spec["type"] = [*kinds, "null"]
        properties[col.name] = {**spec, "title": col.en, "description": f"{col.ko} / {col.en}"}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:impact:open-data:{table.name}",
        "title": f"{table.ko} / {table.en}",
        "type": "object",
        "properties": properties,
        "required": [c.name for c in table.columns],
        "additionalProperties": False,
    }


def _write_dictionary(out: Path, quarter: Quarter, fmt: Format, written: list[Written]) -> None:
    lines = [
        f"# 부산 사회적가치 성과 원장 공개 데이터 {quarter} / Busan social-value impact ledger "
        f"open data {quarter}",
        "",
        f"형식 / Format: {fmt.upper()}"
        + (" (UTF-8, BOM 포함 / with a byte-order mark)" if fmt == "csv" else ""),
        "시각은 모두 UTC입니다. / All times are UTC.",
        "개인정보(제안자 이름·연락처)는 포함하지 않습니다. / No personal data "
        "(proposers' names or contacts) is included.",
        "",
    ]
    counts = {w.table: w for w in written}
    for table in TABLES:
        w = counts[table.name]
        lines += [
            f"## {table.ko} / {table.en} — `{w.path.name}` ({w.rows} 행 / rows)",
            "",
            f"JSON Schema: `schema/{table.name}.schema.json`",
            "",
            "| 열 / column | 형식 / type | 설명 | Description |",
            "|---|---|---|---|",
        ]
        lines += [f"| `{c.name}` | {c.type} | {c.ko} | {c.en} |" for c in table.columns]
        lines.append("")
    (out / "data-dictionary.md").write_text("\n".join(lines), encoding="utf-8")
    schemas = out / "schema"
    schemas.mkdir(exist_ok=True)
    for table in TABLES:
        (schemas / f"{table.name}.schema.json").write_text(
            json.dumps(json_schema(table), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
    manifest = {
        "quarter": str(quarter),
        "format": fmt,
        "exported_at": datetime.now(tz=UTC).isoformat(),
        "files": [
            {"table": w.table, "path": w.path.name, "rows": w.rows, "sha256": w.sha256}
            for w in written
        ],
    }
    (out / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
