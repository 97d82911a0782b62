"""An agency registers a document with ``impact evidence add``; an auditor checks a file
against the register and another member attests it."""

import hashlib
import json

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_a_registered_document_is_checked_and_attested(run, tmp_path):
    document = tmp_path / "collection-log-2019Q1.pdf"
    document.write_bytes(b"%PDF-1.7 plastic collected, 2019Q1")
    sha = hashlib.sha256(document.read_bytes()).hexdigest()
    stranger = tmp_path / "forged.pdf"
    stranger.write_bytes(b"%PDF-1.7 something else")

    run("init")
    added = run("evidence", "add", str(document), "--agency", "BPA", "--title", "수거 일지")
    assert f"docreg:{sha}" in added.stdout

    unknown = run("evidence", "check", str(stranger), ok=False)
    assert unknown.returncode == 1
    assert "is not in the evidence register" in unknown.stdout

    run("evidence", "attest", sha, "--by", "auditor:busan-audit", "--note", "원본 대조")
    own = run("evidence", "attest", sha, "--by", "BPA", ok=False)
    assert own.returncode != 0
    assert "another member or an auditor" in own.stdout + own.stderr

    checked = json.loads(run("evidence", "check", str(document), "--json").stdout)
    assert (checked["registered"], checked["title"], checked["owner"]) == (True, "수거 일지", "BPA")
    assert checked["size"] == document.stat().st_size
    assert checked["media_type"] == "application/pdf"
    assert checked["attested_by"] == ["auditor:busan-audit"]
