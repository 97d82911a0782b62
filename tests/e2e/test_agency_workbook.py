"""An agency's staff take the quarter's workbook, fill it in as people do, send it, and read
the verdicts back; a workbook with mistakes is refused whole, each mistake named."""

import re
import signal
import subprocess

import pytest
from openpyxl import load_workbook

from impact.agency_sheets import SHEET
from tests.e2e.conftest import IMPACT
from tests.e2e.test_report import record_two_quarters

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_a_filled_in_workbook_is_sent_and_its_verdicts_read_back(run, impact_env, tmp_path):
    record_two_quarters(run)
    machine = tmp_path / "kamco" / "keys"
    made = run("keys", "generate", "--agency", "KAMCO", "--dir", str(machine)).stdout
    public = re.search(r"public key\s+(\S+)", made).group(1)
    run(
        "keys",
        "register",
        "--agency",
        "KAMCO",
        "--public-key",
        public,
        "--valid-from",
        "2018-12-01",
    )
    run("load")

    book_path = tmp_path / "kamco-2019Q3.xlsx"
    shown = run(
        "template", "outcomes", "--agency", "KAMCO", "--quarter", "2019Q3", "--out", str(book_path)
    ).stdout
    assert "1 programmes, 1 rows" in shown
    book = load_workbook(book_path)
    sheet = book[SHEET]
    assert [sheet["A4"].value, sheet["C4"].value] == ["P-KAMCO-01", "jobs_created"]

    sheet["H4"] = "1,204 "  # as text, a thousands separator, a trailing space
    sheet["K4"] = 43742  # 2019-10-04 as an Excel serial (once the quarter is over)
    sheet["A5"], sheet["C5"], sheet["F5"], sheet["H5"] = "P-KAMCO-01", "jobs_made", "2019Q3", "x"
    bad = tmp_path / "bad.xlsx"
    book.save(bad)
    refused = run("submit", str(bad), "--agency", "KAMCO", "--dir", str(machine), ok=False)
    assert refused.returncode == 2
    assert "5행 C열 / row 5, column C" in refused.stderr and "unknown metric" in refused.stderr
    assert "5행 H열 / row 5, column H" in refused.stderr and "nothing was sent" in refused.stderr
    assert "no verdict" in run("submissions", "status", "--agency", "KAMCO").stdout

    for ref in ("A5", "C5", "F5", "H5"):
        sheet[ref] = None
    book.save(book_path)
    ingest = subprocess.Popen(
        [IMPACT, "ingest"], env=impact_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        sent = run(
            "submit",
            str(book_path),
            "--agency",
            "KAMCO",
            "--dir",
            str(machine),
            "--wait",
            "--wait-seconds",
            "120",
        )
        again = run(
            "submit",
            str(book_path),
            "--agency",
            "KAMCO",
            "--dir",
            str(machine),
            "--wait",
            "--wait-seconds",
            "120",
            ok=False,
        )
    finally:
        ingest.send_signal(signal.SIGINT)
        try:
            ingest.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            ingest.kill()
            ingest.communicate()
    assert "1 applied, 0 refused" in sent.stdout
    assert again.returncode == 1 and "duplicate" in again.stdout, "sent twice, applied once"
    status = run("submissions", "status", "--agency", "KAMCO", "--json").stdout
    assert '"verdict": "applied"' in status and '"code": "duplicate"' in status
    run("load")
    run("export", "2019Q3", "--format", "csv", "--out", str(tmp_path / "csv"))
    outcomes = (tmp_path / "csv" / "outcomes.csv").read_text(encoding="utf-8-sig")
    assert re.search(r'"P-KAMCO-01","2019Q3","jobs_created",.*"1204"', outcomes)
    assert "2019-10-04T09:00:00" in outcomes
