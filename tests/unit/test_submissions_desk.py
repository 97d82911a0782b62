"""The submissions desk decides each message: applied, or rejected with a code and a reason."""

from datetime import UTC, date, datetime

import pytest

from impact.errors import NotFoundError
from impact.ingest.desk import Source, SubmissionDesk
from tests import commands as cmd
from tests.submissions import bad_inputs, registered_key, registration, report, signed

ARRIVAL = datetime(2026, 1, 1, tzinfo=UTC)


def source(offset: int) -> Source:
    return Source("impact.submissions", 0, offset, ARRIVAL)


@pytest.fixture
def desk(ledger):
    return SubmissionDesk()


@pytest.fixture
def bpa(ledger):
    pair = registered_key(ledger, "BPA")
    ledger.handle(
        cmd.register_program(
            "P-BPA-01", "BPA", "S1-T1", "k", "e", 1, date(2019, 1, 1), measures=("jobs_created",)
        )
    )
    return pair


def apply(ledger, desk, message, offset=0):
    uow = ledger.unit_of_work(from_submissions=True)
    verdict = desk.process(message, source(offset), uow)
    uow.commit()
    return verdict


def test_a_signed_registration_and_report_are_applied(ledger, desk, bpa):
    assert not apply(ledger, desk, signed(bpa, registration("BPA", "P-BPA-02"))).rejected
    assert not apply(ledger, desk, signed(bpa, report("BPA", "P-BPA-02")), 1).rejected
    program = ledger.program("P-BPA-02")
    assert program.title_ko == "청년 일자리 🌊"
    assert str(program.current_value("jobs_created", "2019Q1")) == "12"


def test_every_class_of_bad_input_is_rejected_with_its_own_code(ledger, desk, bpa):
    kamco = registered_key(ledger, "KAMCO")
    for offset, (code, message) in enumerate(bad_inputs(ledger, bpa, kamco)):
        outcome = apply(ledger, desk, message, offset)
        assert outcome.rejected, code
        assert outcome.code == code, f"{code}: got {outcome.code}: {outcome.message}"
        assert outcome.message
    assert ledger.program("P-BPA-01").reports == {}


def test_the_same_submission_twice_changes_nothing_and_says_so(ledger, desk, bpa):
    message = signed(bpa, report("BPA", "P-BPA-01"))
    assert not apply(ledger, desk, message, 0).rejected
    again = apply(ledger, desk, message, 1)
    assert (again.rejected, again.code) == (True, "duplicate")
    assert "nothing changed" in again.message
    assert ledger.program("P-BPA-01").version == 2


def test_a_submission_id_reused_for_different_content_is_refused(ledger, desk, bpa):
    apply(ledger, desk, signed(bpa, report("BPA", "P-BPA-01", sid="s-1")), 0)
    reused = apply(ledger, desk, signed(bpa, report("BPA", "P-BPA-01", "2019Q2", sid="s-1")), 1)
    assert reused.code == "submission_id_reused"


def test_a_member_that_left_cannot_submit_any_more(ledger, desk, bpa):
    ledger.handle(cmd.retire_member("BPA", date(2025, 1, 1), actor="BUSAN"))
    outcome = apply(ledger, desk, signed(bpa, report("BPA", "P-BPA-01")))
    assert outcome.code == "not_a_member"


def test_korean_text_and_emoji_pass_and_are_kept(ledger, desk, bpa):
    submission = registration("BPA", "P-BPA-03", title_ko="부산 바다 지킴이 🐢🌊 캠페인")
    assert not apply(ledger, desk, signed(bpa, submission)).rejected
    assert ledger.program("P-BPA-03").title_ko == "부산 바다 지킴이 🐢🌊 캠페인"


def test_a_rejection_keeps_the_original_bytes_and_its_place(ledger, desk, bpa):
    import base64

    from impact.domain.submission import Rejection

    outcome = apply(ledger, desk, b"\xffnot json", 42)
    assert outcome.code == "not_utf8"
    recorded = [e for _, e in ledger.iter_events() if isinstance(e, Rejection.Recorded)]
    assert len(recorded) == 1
    assert base64.b64decode(recorded[0].original) == b"\xffnot json"
    assert (recorded[0].source_partition, recorded[0].source_offset) == (0, 42)


def test_a_rejection_is_filed_under_an_agency_only_when_its_signature_verifies(ledger, desk, bpa):
    import orjson

    from impact.domain.submission import Rejection
    from impact.signing import AgencyKeyPair

    kamco = registered_key(ledger, "KAMCO")
    unsigned = orjson.dumps({"submission": report("BPA", "P-BPA-01", sid="u")})
    forged = orjson.loads(signed(bpa, report("BPA", "P-BPA-01", sid="f")))
    forged["submission"]["value"] = "999"
    messages = [
        (unsigned, (None, "BPA")),
        (orjson.dumps(forged), (None, "BPA")),
        (signed(kamco, report("BPA", "P-BPA-01", sid="k")), (None, "BPA")),
        (signed(AgencyKeyPair.generate("BPA"), report("BPA", "P-BPA-01", sid="x")), (None, "BPA")),
        (signed(bpa, report("BPA", "P-BPA-01", sid="q", quarter="9999Q4")), ("BPA", None)),
        (signed(bpa, report("BPA", "P-BPA-01", sid="n", value="-5")), ("BPA", None)),
    ]
    for offset, (message, _) in enumerate(messages):
        assert apply(ledger, desk, message, offset).rejected
    recorded = [e for _, e in ledger.iter_events() if isinstance(e, Rejection.Recorded)]
    assert [(r.agency, r.claimed_agency) for r in recorded] == [filed for _, filed in messages]


def test_a_record_stamped_by_its_sender_is_refused_whatever_it_says(ledger, desk, bpa):
    """Key validity is judged by the broker's arrival time: a CreateTime record (timestamp
    type 0, chosen by whoever sent it) could be back-dated into a revoked key's validity."""
    uow = ledger.unit_of_work(from_submissions=True)
    back_dated = Source("impact.submissions", 0, 0, ARRIVAL, timestamp_type=0)
    verdict = desk.process(signed(bpa, registration("BPA", "P-BPA-02")), back_dated, uow)
    uow.commit()
    assert verdict.rejected and verdict.code == "sender_timestamp"
    assert "LogAppendTime" in verdict.message
    with pytest.raises(NotFoundError):
        ledger.program("P-BPA-02")


def test_declaring_metrics_and_answering_a_partnership_are_signed_submissions(ledger, desk, bpa):
    kamco = registered_key(ledger, "KAMCO")
    base = {"schema_version": 1, "submitted_at": "2019-02-01T09:00:00+00:00",
            "program_code": "P-BPA-01"}  # fmt: skip
    declare = base | {
        "kind": "program.measures",
        "submission_id": "declare-1",
        "agency": "BPA",
        "metrics": ["vulnerable_beneficiaries"],
        "reason": "the jobs go to vulnerable residents",
    }
    assert not apply(ledger, desk, signed(bpa, declare), 0).rejected
    stranger_answer = base | {
        "kind": "program.partner.answer",
        "submission_id": "answer-1",
        "agency": "KAMCO",
        "accept": True,
    }
    refused = apply(ledger, desk, signed(kamco, stranger_answer), 1)
    assert (refused.rejected, refused.code) == (True, "partner_consent")
    named = base | {
        "kind": "program.partner",
        "submission_id": "partner-1",
        "agency": "BPA",
        "partner": {"kind": "agency", "name": "KAMCO", "code": "KAMCO"},
    }
    assert not apply(ledger, desk, signed(bpa, named), 2).rejected
    accepted = apply(
        ledger, desk, signed(kamco, stranger_answer | {"submission_id": "answer-2"}), 3
    )
    assert not accepted.rejected, accepted.message
    program = ledger.program("P-BPA-01")
    assert "vulnerable_beneficiaries" in program.declared
    assert program.consents == {"KAMCO": True}
