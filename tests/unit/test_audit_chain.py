"""The hash chain, the platform key and its checkpoints, and the agency-signature check, in memory."""

import stat
from datetime import UTC, datetime

import orjson
import pytest
import rfc8785
from eventsourcing.persistence import StoredEvent
from hypothesis import given
from hypothesis import strategies as st

from impact.audit.signatures import SignatureCheck
from impact.contract import EventEnvelope, envelope_for
from impact.contract.chain import (
    GENESIS,
    MAX_SAFE_INTEGER,
    PlatformKey,
    chained,
    checkpoint_signature_valid,
    content_digest,
    link,
    public_path,
    trusted_key,
)
from impact.domain.submission import Submission
from impact.eventstore import OrjsonTranscoder, PydanticMapper
from impact.ingest.desk import Source, SubmissionDesk
from tests.submissions import registered_key, registration, report, signed

ARRIVAL = datetime(2026, 1, 1, tzinfo=UTC)


def envelopes(ledger):
    return [envelope_for(n.id, e) for n, e in ledger.iter_events()]


def test_each_link_covers_its_content_and_its_predecessor(ledger):
    first, second = envelopes(ledger)[:2]
    a = chained(first, GENESIS)
    b = chained(second, a.hash)
    assert a.prev_hash == GENESIS and b.prev_hash == a.hash
    assert b.hash == link(a.hash, content_digest(second.content()))
    assert chained(second, GENESIS).hash != b.hash
    tampered = second.model_copy(update={"actor": "someone-else"})
    assert chained(tampered, a.hash).hash != b.hash


def test_the_digest_is_the_same_for_the_envelope_and_for_its_json_as_read_from_the_log(ledger):
    for envelope in envelopes(ledger):
        linked = chained(envelope, GENESIS)
        as_read = orjson.loads(linked.to_bytes())
        assert content_digest(as_read) == content_digest(envelope.content())
        assert EventEnvelope.from_bytes(linked.to_bytes()) == linked


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.text()
    | st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(JSON)
def test_the_digest_is_of_the_rfc_8785_canonical_form_of_any_json_value(value):
    import hashlib

    assert (
        content_digest({"payload": value})
        == hashlib.sha256(rfc8785.dumps({"payload": value})).digest()
    )


def test_integers_beyond_what_canonical_json_allows_are_still_hashed():
    assert content_digest({"budget_krw": 10**16}) != content_digest({"budget_krw": 10**16 + 1})


def test_the_platform_key_is_created_once_private_and_its_public_half_published(tmp_path):
    path = tmp_path / "keys" / "platform-key.pem"
    key = PlatformKey.load_or_create(path)
    assert PlatformKey.load_or_create(path).key_id == key.key_id
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert public_path(path).read_text().strip() == key.public_text
    assert trusted_key(str(public_path(path))) == (key.key_id, key.public_text)
    assert trusted_key(key.public_text) == (key.key_id, key.public_text)


def test_a_checkpoint_verifies_with_the_platform_key_only_and_only_unaltered(tmp_path):
    key = PlatformKey.load_or_create(tmp_path / "a.pem")
    other = PlatformKey.load_or_create(tmp_path / "b.pem")
    record = orjson.loads(key.sign_checkpoint("impact.events", 12, "ab" * 32).to_bytes())
    assert checkpoint_signature_valid(record, key.public_text)
    assert not checkpoint_signature_valid(record, other.public_text)
    for field, value in (("up_to_notification_id", 13), ("hash", "cd" * 32), ("events_topic", "x")):
        assert not checkpoint_signature_valid({**record, field: value}, key.public_text), field


def desk_applies(ledger, message, offset):
    uow = ledger.unit_of_work(from_submissions=True)
    verdict = SubmissionDesk().process(
        message, Source("impact.submissions", 0, offset, ARRIVAL), uow
    )
    assert not verdict.rejected, verdict.message
    uow.commit()


def checked(ledger):
    check = SignatureCheck()
    for notification, event in ledger.iter_events():
        check.observe(notification.id, event)
    return check.finish()


def test_an_accepted_submission_keeps_what_was_signed_and_its_outcome_checks_against_it(ledger):
    bpa = registered_key(ledger, "BPA")
    desk_applies(ledger, signed(bpa, registration("BPA", "P-BPA-01")), 0)
    desk_applies(ledger, signed(bpa, report("BPA", "P-BPA-01", value="12.5")), 1)
    accepted = [e for _, e in ledger.iter_events() if isinstance(e, Submission.Accepted)]
    assert orjson.loads(accepted[1].signed_content)["value"] == "12.5"
    result = checked(ledger)
    assert result.ok and result.checked == 2, result.findings


def test_an_outcome_that_differs_from_what_the_agency_signed_is_named(ledger):
    bpa = registered_key(ledger, "BPA")
    desk_applies(ledger, signed(bpa, registration("BPA", "P-BPA-01")), 0)
    desk_applies(ledger, signed(bpa, report("BPA", "P-BPA-01", value="12")), 1)
    check = SignatureCheck()
    for notification, event in ledger.iter_events():
        if type(event).__name__ == "OutcomeReported":
            event = event.model_copy(update={"value": event.value + 1})
        check.observe(notification.id, event)
    (finding,) = check.finish().findings
    assert "value is Decimal('13') but BPA signed Decimal('12')" in finding.what


def test_a_v1_acceptance_reads_as_v2_without_signed_content():
    mapper = PydanticMapper(transcoder=OrjsonTranscoder())
    state = {
        "timestamp": "2019-04-01T00:00:00+00:00",
        "occurred_at": "2019-04-01T00:00:00+00:00",
        "actor": "BPA",
        "originator_topic": "impact.domain.submission:Submission",
        "submission_id": "s1",
        "agency": "BPA",
        "submission_kind": "outcome.report",
        "digest": "0" * 64,
        "key_id": "k",
        "signature": "c2ln",
        "source": "t:0:1",
    }
    stored = StoredEvent(
        originator_id=Submission.create_id(agency="BPA", submission_id="s1"),
        originator_version=1,
        topic="impact.domain.submission:Submission.Accepted",
        state=orjson.dumps(state),
    )
    event = mapper.to_domain_event(stored)
    assert event.signed_content is None


@pytest.mark.parametrize("bad", ["not base64!", ""])
def test_a_malformed_checkpoint_signature_does_not_verify(tmp_path, bad):
    key = PlatformKey.load_or_create(tmp_path / "a.pem")
    record = orjson.loads(key.sign_checkpoint("impact.events", 1, GENESIS).to_bytes())
    assert not checkpoint_signature_valid({**record, "signature": bad}, key.public_text)


def test_the_trust_submissions_check_against_what_was_signed(ledger):
    bpa, kamco = registered_key(ledger, "BPA"), registered_key(ledger, "KAMCO")
    at = {"schema_version": 1, "submitted_at": "2019-02-01T09:00:00+00:00"}
    document = at | {
        "kind": "evidence.register", "submission_id": "doc-1", "agency": "BPA",
        "sha256": "ab" * 32, "size": 1234, "media_type": "application/pdf", "title": "수거 일지",
    }  # fmt: skip
    on = at | {"program_code": "P-BPA-01"}
    messages = [
        signed(bpa, registration("BPA", "P-BPA-01", measures=["participant_satisfaction"])),
        signed(bpa, document),
        signed(bpa, on | {"kind": "program.measures", "submission_id": "m-1", "agency": "BPA",
                          "metrics": ["volunteer_hours"], "reason": "residents volunteer"}),
        signed(bpa, on | {"kind": "program.partner", "submission_id": "p-1", "agency": "BPA",
                          "partner": {"kind": "agency", "name": "KAMCO", "code": "KAMCO"}}),
        signed(kamco, on | {"kind": "program.partner.answer", "submission_id": "a-1",
                            "agency": "KAMCO", "accept": False, "reason": "not our field"}),
    ]  # fmt: skip
    for offset, message in enumerate(messages):
        desk_applies(ledger, message, offset)
    assert ledger.evidence("ab" * 32).owner == "BPA"
    result = checked(ledger)
    assert result.ok and result.checked == len(messages), result.findings

    check = SignatureCheck()
    for notification, event in ledger.iter_events():
        if type(event).__name__ == "Registered" and hasattr(event, "sha256"):
            event = event.model_copy(update={"size": 1})
        check.observe(notification.id, event)
    (finding,) = check.finish().findings
    assert "size is 1 but BPA signed 1234" in finding.what
