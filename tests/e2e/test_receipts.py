"""An agency sends submissions and reads back what became of each: applied, or refused with
the code and message the desk recorded."""

import json
import re
import signal
import subprocess

import pytest

from tests.e2e.conftest import IMPACT
from tests.submissions import registration, report

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_an_agency_waits_for_its_verdicts_and_reads_its_receipts(run, impact_env, tmp_path):
    machine = tmp_path / "kamco" / "keys"
    run("init")
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
    send = ("--agency", "KAMCO", "--dir", str(machine))

    early = tmp_path / "early.json"
    early.write_text(json.dumps(registration("KAMCO", "P-KAMCO-01")), encoding="utf-8")
    nobody = run("submit", str(early), *send, "--wait", "--wait-seconds", "1", ok=False)
    assert nobody.returncode == 3, nobody.stdout + nobody.stderr
    assert "1 without a verdict" in nobody.stdout and "impact ingest" in nobody.stderr

    batch = tmp_path / "batch.jsonl"
    batch.write_text(
        "\n".join(
            json.dumps(s)
            for s in (
                registration("KAMCO", "P-KAMCO-02"),
                report("KAMCO", "P-KAMCO-99", sid="rep-unknown"),
            )
        ),
        encoding="utf-8",
    )
    ingest = subprocess.Popen(
        [IMPACT, "ingest"], env=impact_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        waited = run("submit", str(batch), *send, "--wait", "--wait-seconds", "120", ok=False)
    finally:
        ingest.send_signal(signal.SIGINT)
        try:
            ingest.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            ingest.kill()
            ingest.communicate()
    assert waited.returncode == 1, waited.stdout + waited.stderr
    assert re.search(r"applied\s+reg-P-KAMCO-02", waited.stdout)
    assert re.search(r"refused\s+rep-unknown\s+unknown_program: ", waited.stdout)
    assert "1 applied, 1 refused" in waited.stdout

    status = run("submissions", "status", "--agency", "KAMCO").stdout
    assert "reg-P-KAMCO-01" in status and "reg-P-KAMCO-02" in status
    assert "unknown_program" in status and "2 applied, 1 refused" in status
    receipts = json.loads(run("submissions", "status", "--agency", "KAMCO", "--json").stdout)
    assert {r["submission_id"]: r["verdict"] for r in receipts} == {
        "reg-P-KAMCO-01": "applied",
        "reg-P-KAMCO-02": "applied",
        "rep-unknown": "refused",
    }
    later = run("submissions", "status", "--agency", "KAMCO", "--since", "2100-01-01").stdout
    assert "no verdict" in later
    assert "no verdict" in run("submissions", "status", "--agency", "KIBO").stdout
