"""The evidence register: documents registered by hash, checked, attested by others."""

import hashlib
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from impact.application import commands as c
from impact.cli.evidence import document_facts
from impact.domain.evidence import DocumentFacts
from impact.domain.program import Evidence
from impact.errors import AlreadyExistsError, NotAMemberError, NotFoundError, SelfAttestationError

AT = datetime(2020, 1, 10, tzinfo=UTC)
CONTENT = b"%PDF-1.7 collection log, 2019Q4"
SHA = hashlib.sha256(CONTENT).hexdigest()


def facts() -> DocumentFacts:
    return DocumentFacts(
        sha256=SHA, size=len(CONTENT), media_type="application/pdf", title="Collection log"
    )


def add(ledger, owner="BPA"):
    ledger.handle(c.RegisterEvidence(document=facts(), owner=owner, actor=owner, occurred_at=AT))


def attest(ledger, attester):
    ledger.handle(
        c.AttestEvidence(sha256=SHA, attester=attester, note="seen", actor=attester, occurred_at=AT)
    )


def test_a_file_gives_the_facts_the_register_keeps(tmp_path):
    path = tmp_path / "log.pdf"
    path.write_bytes(CONTENT)
    assert document_facts(path, "Collection log") == facts()


def test_a_registered_document_is_found_by_its_hash_and_cited_by_the_register_address(ledger):
    add(ledger)
    document = ledger.evidence(SHA)
    assert (document.owner, document.size, document.uri) == ("BPA", len(CONTENT), f"docreg:{SHA}")
    with pytest.raises(NotFoundError, match="does not exist"):
        ledger.evidence("0" * 64)


def test_a_document_is_registered_once(ledger):
    add(ledger)
    with pytest.raises(AlreadyExistsError, match="already registered by BPA"):
        add(ledger, owner="KAMCO")


def test_another_member_or_an_auditor_attests_a_document(ledger):
    add(ledger)
    attest(ledger, "KAMCO")
    attest(ledger, "auditor:samil")
    assert [a.attester for a in ledger.evidence(SHA).attestations] == ["KAMCO", "auditor:samil"]


def test_an_agency_cannot_attest_its_own_evidence(ledger):
    add(ledger)
    with pytest.raises(SelfAttestationError, match="another member or an auditor") as refused:
        attest(ledger, "BPA")
    assert refused.value.code == "self_attestation"


def test_a_stranger_cannot_attest(ledger):
    add(ledger)
    with pytest.raises(NotAMemberError):
        attest(ledger, "NOPE")


@pytest.mark.parametrize(
    "uri",
    [
        "javascript:alert(document.domain)",
        "http://evidence.example/a.pdf",
        "file:///etc/passwd",
        "docreg:NOTAHASH",
    ],
)
def test_evidence_is_an_https_address_or_a_register_address(uri):
    with pytest.raises(ValidationError) as refused:
        Evidence(uri=uri, sha256=SHA)
    assert refused.value.errors()[0]["type"] == "evidence_uri_scheme"


def test_a_register_address_names_the_same_document_as_its_hash():
    assert Evidence(uri=f"docreg:{SHA}", sha256=SHA).uri == f"docreg:{SHA}"
    with pytest.raises(ValidationError) as refused:
        Evidence(uri=f"docreg:{SHA}", sha256="0" * 64)
    assert refused.value.errors()[0]["type"] == "evidence_mismatch"
