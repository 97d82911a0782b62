"""The public takes a quarter's open data as CSV (for Excel) or Parquet and reads it back."""

import csv
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from impact.export import TABLES
from tests.e2e.test_report import record_two_quarters

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PROJECTIONS = """
import json
from impact.settings import Settings
from impact.projections.store import ProjectionStore
s = ProjectionStore(Settings().clickhouse)
one = lambda sql: s.rows(sql)[0]
print(json.dumps({
  "programmes": one("SELECT count(), sum(budget_krw) FROM {db}.programs")[0:2],
  "targets": one("SELECT count(), toString(sum(target)) FROM {db}.program_targets"
                 " WHERE quarter <= '2019Q2'"),
  "outcomes": one("SELECT count(), toString(sum(value)) FROM {db}.outcome_versions"
                  " WHERE quarter <= '2019Q2'"),
  "scores": one("SELECT count(), toString(sum(toDecimal64(score, 2))) FROM"
                " (SELECT * FROM {db}.quarterly_scores WHERE quarter <= '2019Q2'"
                "  ORDER BY scored_at DESC LIMIT 1 BY quarter, program_code)"),
  "decisions": one("SELECT count() FROM {db}.review_decisions WHERE quarter <= '2019Q2'"),
  "proposals": one("SELECT count() FROM {db}.proposal_funnel"),
}, default=str))
"""


def test_a_quarters_open_data_reads_back_as_the_projections_hold_it(run, impact_env, tmp_path):
    record_two_quarters(run)
    run("review", "2019Q1")
    run(
        "council",
        "decide",
        "2019Q1",
        "P-KAMCO-01",
        "--defer",
        "--reason",
        "다음 분기 재심",
        "--meeting",
        "council-2019-04",
    )
    run("review", "2019Q2")

    parquet, csvs = tmp_path / "parquet", tmp_path / "csv"
    shown = run("export", "2019Q2", "--format", "parquet", "--out", str(parquet)).stdout
    assert "outcomes.parquet" in shown
    run("export", "2019Q2", "--format", "csv", "--out", str(csvs))
    bad = run("export", "2019Q2", "--format", "xls", "--out", str(tmp_path / "x"), ok=False)
    assert bad.returncode == 2

    held = json.loads(
        subprocess.run(
            [sys.executable, "-c", PROJECTIONS],
            env=impact_env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    tables = {t.name: pq.read_table(parquet / f"{t.name}.parquet") for t in TABLES}
    for t in TABLES:
        assert tables[t.name].column_names == [c.name for c in t.columns], t.name
    programmes = tables["programmes"].to_pylist()
    assert [len(programmes), sum(p["budget_krw"] for p in programmes)] == held["programmes"]
    titles = {p["code"]: p["title_ko"] for p in programmes}
    assert titles["P-BPA-01"] == "플라스틱 ZERO 캠페인"
    targets = tables["targets"].to_pylist()
    assert len(targets) == held["targets"][0] == 4
    assert sum(Decimal(t["target"]) for t in targets) == Decimal(held["targets"][1]) == 10580
    outcomes = tables["outcomes"].to_pylist()
    assert len(outcomes) == held["outcomes"][0] == 4
    assert sum(Decimal(o["value"]) for o in outcomes) == Decimal(held["outcomes"][1])
    assert all(o["recorded_at"] is not None for o in outcomes)
    scores = tables["scores"].to_pylist()
    assert len(scores) == held["scores"][0] == 4
    assert sum(s["score"] for s in scores) == Decimal(held["scores"][1])
    assert {s["quarter"] for s in scores} == {"2019Q1", "2019Q2"}
    assert all(s["performance"] is not None for s in scores)
    decisions = tables["decisions"].to_pylist()
    assert [len(decisions)] == held["decisions"] and decisions[0]["reason"] == "다음 분기 재심"
    proposals = tables["proposals"].to_pylist()
    assert [len(proposals)] == held["proposals"] == [1]
    assert proposals[0]["programmes"] == "P-BPA-01" and proposals[0]["stage"] == "programme"

    raw = (csvs / "programmes.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "a BOM, so Korean Excel reads UTF-8"
    with (csvs / "programmes.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {r["code"]: r["title_ko"] for r in rows} == titles
    with (csvs / "outcomes.csv").open(encoding="utf-8-sig", newline="") as f:
        assert sum(Decimal(r["value"]) for r in csv.DictReader(f)) == Decimal(held["outcomes"][1])

    dictionary = (parquet / "data-dictionary.md").read_text(encoding="utf-8")
    assert "성과 보고" in dictionary and "Outcomes (every version)" in dictionary
    for t in TABLES:
        schema = json.loads((parquet / "schema" / f"{t.name}.schema.json").read_text())
        assert list(schema["properties"]) == [c.name for c in t.columns]
    manifest = json.loads((parquet / "manifest.json").read_text())
    assert {f["table"]: f["rows"] for f in manifest["files"]}["outcomes"] == 4
    everything = b"".join(p.read_bytes() for p in Path(csvs).rglob("*") if p.is_file())
    assert "김부산".encode() not in everything, "no proposer's name"
