"""Submissions through the real broker: every valid one applied once, every bad one rejected."""

import random
from datetime import date
from decimal import Decimal

import pytest

from impact.domain.submission import Rejection, Submission
from tests import commands as cmd
from tests.integration.kafka_reading import read_rejections
from tests.submissions import bad_inputs, registered_key, registration, report, signed

pytestmark = pytest.mark.integration


def test_bad_input_is_rejected_with_its_code_and_valid_messages_around_it_all_go_through(
    ledger, settings, platform
):
    bpa, kamco = registered_key(ledger, "BPA"), registered_key(ledger, "KAMCO")
    bad = bad_inputs(ledger, bpa, kamco)
    registrations = [signed(bpa, registration("BPA", f"P-BPA-{i:02d}")) for i in range(1, 12)]
    reports = [signed(bpa, report("BPA", f"P-BPA-{i:02d}")) for i in range(2, 12)]
    # Programmes exist first; then their reports arrive shuffled among the bad messages.
    client = platform.agency_client(bpa)
    client.send_raw([(f"reg-{i}", b"k", m) for i, m in enumerate(registrations)])
    assert platform.ingest().run(until_idle=True).applied == len(registrations)
    mixed = [(f"rep-{i}", b"k", m) for i, m in enumerate(reports)] + [
        (code, b"k", message) for code, message in bad
    ]
    random.Random(7).shuffle(mixed)
    client.send_raw(mixed)

    stats = platform.ingest().run(until_idle=True)

    assert stats.applied == len(reports)
    assert stats.rejected == len(bad)
    rejections = read_rejections(settings)
    assert sorted(r["code"] for r in rejections) == sorted(code for code, _ in bad)
    assert all(
        r["message"] and r["source"]["topic"] == settings.submissions_topic for r in rejections
    )
    for i in range(2, 12):
        assert str(ledger.program(f"P-BPA-{i:02d}").current_value("jobs_created", "2019Q1")) == "12"


def test_the_same_messages_read_again_change_nothing(ledger, settings, platform):
    bpa = registered_key(ledger, "BPA")
    message = signed(bpa, registration("BPA", "P-BPA-01"))
    platform.agency_client(bpa).send_raw([("a", b"k", message), ("b", b"k", message)])
    first = platform.ingest().run(until_idle=True)
    again = platform.ingest().run(until_idle=True)
    assert (first.applied, first.rejected, first.codes) == (1, 1, {"duplicate": 1})
    assert (again.applied, again.rejected) == (0, 0)
    kinds = [type(e).__qualname__ for _, e in ledger.iter_events()]
    assert kinds.count("Submission.Accepted") == 1
    assert kinds.count("Rejection.Recorded") == 1
    assert len(read_rejections(settings)) == 1


def test_the_agency_client_refuses_an_invalid_submission_before_sending(ledger, platform):
    from impact.errors import SubmissionError

    bpa = registered_key(ledger, "BPA")
    with pytest.raises(SubmissionError, match="value"):
        platform.agency_client(bpa).send([report("BPA", "P-BPA-01", value="NaN")])
    with pytest.raises(SubmissionError, match="key is BPA's"):
        platform.agency_client(bpa).send([report("KAMCO", "P-KAMCO-01")])


def count(ledger, cls):
    return sum(isinstance(e, cls) for _, e in ledger.iter_events())


def test_submissions_signed_by_the_client_are_applied(ledger, platform):
    bpa = registered_key(ledger, "BPA")
    platform.agency_client(bpa).send([registration("BPA", "P-BPA-01"), report("BPA", "P-BPA-01")])
    stats = platform.ingest().run(until_idle=True)
    assert stats.applied == 2
    assert count(ledger, Submission.Accepted) == 2 and count(ledger, Rejection.Recorded) == 0


def correction(agency, code, value, sid):
    return {
        "schema_version": 1,
        "kind": "outcome.correct",
        "submission_id": sid,
        "agency": agency,
        "submitted_at": "2019-04-20T09:00:00+00:00",
        "program_code": code,
        "report_id": f"{code}/jobs_created/2019Q1/{sid}",
        "corrects": f"{code}/jobs_created/2019Q1",
        "value": value,
        "reason": "recount",
    }


def test_messages_of_one_batch_each_see_what_the_ones_before_them_decided(
    ledger, settings, platform
):
    """Registration, report, a refused report and two corrections of one programme in one
    poll (one key, one partition): stored together, as deciding them one by one would."""
    bpa = registered_key(ledger, "BPA")
    messages = [
        signed(bpa, registration("BPA", "P-BPA-07")),
        signed(bpa, report("BPA", "P-BPA-07", value="12")),
        signed(bpa, report("BPA", "P-BPA-07", value="-5", sid="rep-negative")),
        signed(bpa, correction("BPA", "P-BPA-07", "13", "cor-1")),
        signed(bpa, correction("BPA", "P-BPA-07", "14", "cor-2")),
        signed(bpa, correction("BPA", "P-BPA-07", "14", "cor-2")),
    ]
    platform.agency_client(bpa).send_raw([(f"m{i}", b"one-key", m) for i, m in enumerate(messages)])
    positions = []
    stats = platform.ingest().run(
        until_idle=True,
        on_message=lambda code, _: positions.append(
            ledger.tracked_position(f"{settings.submissions_topic}:0")
        ),
    )
    assert (stats.applied, stats.rejected) == (4, 2), stats.codes
    assert sorted(stats.codes) == ["duplicate", "value_out_of_range"]
    program = ledger.program("P-BPA-07")
    assert str(program.current_value("jobs_created", "2019Q1")) == "14"
    assert program.version == 4  # registered, reported, corrected twice: nothing of the refused one
    assert count(ledger, Submission.Accepted) == 4
    assert count(ledger, Rejection.Recorded) == 2
    assert len(set(positions)) == 1, "one transaction, one tracking record, for the whole poll"
    # Each decision's events stay together, in the order decided: what caused a submission's
    # acceptance is right before it (auditors pair them so).
    stored = [
        e
        for _, e in ledger.iter_events()
        if not type(e).__qualname__.startswith(("Consortium", "Plan"))
    ]
    kinds = [type(e).__qualname__ for e in stored]
    assert kinds == [
        "Program.Registered",
        "Submission.Accepted",
        "Program.OutcomeReported",
        "Submission.Accepted",
        "Rejection.Recorded",
        "Program.OutcomeCorrected",
        "Submission.Accepted",
        "Program.OutcomeCorrected",
        "Submission.Accepted",
        "Rejection.Recorded",
    ]


def test_a_batch_refused_as_a_whole_is_decided_again_one_message_at_a_time(
    ledger, settings, platform
):
    """Another process registers one of the batch's programmes while the batch is being
    decided: the batch's transaction is refused, and each message is decided again."""
    from impact.bootstrap import build_ledger
    from impact.domain.program import Target

    bpa = registered_key(ledger, "BPA")
    messages = [signed(bpa, registration("BPA", f"P-BPA-{i:02d}")) for i in range(1, 6)]
    platform.agency_client(bpa).send_raw([(f"m{i}", b"one-key", m) for i, m in enumerate(messages)])
    ingest = platform.ingest()
    decide, seen = ingest.desk.process, []

    def meanwhile_another_process_registers(value, source, uow):
        verdict = decide(value, source, uow)
        seen.append(source.offset)
        if len(seen) == len(messages):  # the batch is decided, not yet stored
            other = build_ledger(settings)
            other.handle(
                cmd.register_program(
                    "P-BPA-03",
                    "BPA",
                    "S1-T1",
                    "다른 등록",
                    "Registered elsewhere",
                    1_000_000,
                    date(2019, 1, 1),
                    targets=(Target(metric="jobs_created", quarter="2019Q1", value=Decimal(5)),),
                )
            )
            other.close()
        return verdict

    ingest.desk.process = meanwhile_another_process_registers
    stats = ingest.run(until_idle=True)
    assert len(seen) > len(messages), "the batch was never decided again; the test proved nothing"
    assert (stats.applied, stats.rejected) == (4, 1), stats.codes
    assert stats.codes == {"already_exists": 1}
    assert ledger.program("P-BPA-03").title_en == "Registered elsewhere"
    assert count(ledger, Submission.Accepted) == 4


def test_an_unexpected_error_stops_the_ingest_and_the_message_is_decided_again_after_restart(
    ledger, settings, platform, monkeypatch
):
    """Fail closed: a bug is never recorded as a fact about the input."""
    from impact.application.handlers import HANDLERS
    from impact.contract.submissions import ReportOutcome

    bpa = registered_key(ledger, "BPA")
    messages = [
        signed(bpa, registration("BPA", "P-BPA-01")),
        signed(bpa, report("BPA", "P-BPA-01", value="12")),
        b"{not json",
    ]
    platform.agency_client(bpa).send_raw([(f"m{i}", b"one-key", m) for i, m in enumerate(messages)])
    events_before = len(list(ledger.iter_events()))
    faults = []

    def broken(uow, submission):
        faults.append(submission.submission_id)
        raise RuntimeError("injected fault")

    monkeypatch.setitem(HANDLERS, ReportOutcome, broken)
    with pytest.raises(RuntimeError, match="injected fault"):
        platform.ingest().run(until_idle=True)
    assert faults, "the fault was never reached"
    assert len(list(ledger.iter_events())) == events_before, "part of the failed poll was stored"
    assert ledger.tracked_position(f"{settings.submissions_topic}:0") is None
    assert read_rejections(settings) == []

    monkeypatch.undo()
    stats = platform.ingest().run(until_idle=True)
    assert (stats.applied, stats.rejected, stats.codes) == (2, 1, {"malformed_json": 1})
    assert str(ledger.program("P-BPA-01").current_value("jobs_created", "2019Q1")) == "12"
    assert count(ledger, Submission.Accepted) == 2 and count(ledger, Rejection.Recorded) == 1
    again = platform.ingest().run(until_idle=True)
    assert (again.applied, again.rejected) == (0, 0)
    assert [r["code"] for r in read_rejections(settings)] == ["malformed_json"]


def test_a_rejection_of_a_large_unsigned_message_is_bounded_and_filed_under_no_agency(
    ledger, settings, platform
):
    import base64
    import hashlib

    import orjson

    from impact.domain.submission import ORIGINAL_PREFIX_BYTES

    bpa = registered_key(ledger, "BPA")
    junk = {**report("BPA", "P-BPA-01"), "padding": "x" * 200_000}
    unsigned = orjson.dumps({"submission": junk})
    forged = orjson.loads(signed(bpa, report("BPA", "P-BPA-01", sid="forged")))
    forged["submission"]["value"] = "999"
    platform.agency_client(bpa).send_raw([("a", b"k", unsigned), ("b", b"k", orjson.dumps(forged))])
    stats = platform.ingest().run(until_idle=True)
    assert stats.codes == {"missing_signature": 1, "bad_signature": 1}
    recorded = [e for _, e in ledger.iter_events() if isinstance(e, Rejection.Recorded)]
    assert [(r.agency, r.claimed_agency) for r in recorded] == [(None, "BPA"), (None, "BPA")]
    big = recorded[0]
    assert base64.b64decode(big.original) == unsigned[:ORIGINAL_PREFIX_BYTES]
    assert (big.original_size, big.original_sha256) == (
        len(unsigned),
        hashlib.sha256(unsigned).hexdigest(),
    )
    published = read_rejections(settings)
    assert sorted(r["code"] for r in published) == ["bad_signature", "missing_signature"]
    assert all(r["agency"] is None for r in published)
    assert max(len(orjson.dumps(r)) for r in published) < 8 * 1024
