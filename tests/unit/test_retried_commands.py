"""A staff command entered again (after a crash, a timeout, a doubt) changes nothing and
says so; the same natural id with other content is refused."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from impact.domain.consortium import AgencyKey, Member
from impact.domain.program import Target
from impact.domain.review import ScoredCandidate
from impact.errors import AlreadyExistsError, DomainError, ReviewStateError
from tests import commands as cmd

AT = datetime(2019, 4, 5, 9, tzinfo=UTC)
LATER = datetime(2019, 4, 5, 10, tzinfo=UTC)


def stored(ledger) -> int:
    return ledger.max_notification_id()


def twice(ledger, first, again):
    """Handle ``first``, then ``again``: the second records nothing."""
    assert ledger.handle(first)
    before = stored(ledger)
    assert not ledger.handle(again)
    assert stored(ledger) == before


def test_each_step_of_a_proposal_entered_again_is_already_recorded(ledger):
    twice(
        ledger,
        cmd.submit_proposal("C-1", "해변 정화", "바다", "environment", occurred_at=AT),
        cmd.submit_proposal("C-1", "해변 정화", "바다", "environment", occurred_at=LATER),
    )
    twice(
        ledger,
        cmd.start_proposal_review("C-1", ("expert-1",), actor="desk"),
        cmd.start_proposal_review("C-1", ("expert-1",), actor="desk"),
    )
    scores = {"impact": Decimal(80)}
    twice(
        ledger,
        cmd.record_proposal_review("C-1", scores, (), actor="desk"),
        cmd.record_proposal_review("C-1", scores, (), actor="desk"),
    )
    twice(
        ledger,
        cmd.adopt_proposal("C-1", "S4-T2", actor="desk"),
        cmd.adopt_proposal("C-1", "S4-T2", actor="desk"),
    )
    with pytest.raises(DomainError):
        ledger.handle(cmd.adopt_proposal("C-1", "S1-T1", actor="desk"))
    with pytest.raises(DomainError, match="a decision is final"):
        ledger.handle(cmd.start_proposal_review("C-1", ("expert-2",), actor="desk"))


def test_a_rejection_entered_again_is_already_recorded_and_another_reason_is_refused(ledger):
    ledger.handle(cmd.submit_proposal("C-2", "a", "b", "c"))
    ledger.handle(cmd.start_proposal_review("C-2", ("expert-1",), actor="desk"))
    ledger.handle(cmd.record_proposal_review("C-2", {"impact": Decimal(10)}, (), actor="desk"))
    twice(
        ledger,
        cmd.reject_proposal("C-2", "out of scope", actor="desk"),
        cmd.reject_proposal("C-2", "out of scope", actor="desk"),
    )
    with pytest.raises(DomainError, match="already rejected"):
        ledger.handle(cmd.reject_proposal("C-2", "another reason", actor="desk"))


def test_members_and_keys_entered_again_are_already_recorded(ledger):
    member = Member(code="BNK", name_ko="부산은행", name_en="BNK", joined_on=date(2020, 1, 1))
    twice(ledger, cmd.admit_member(member, actor="BUSAN"), cmd.admit_member(member, actor="BUSAN"))
    key = AgencyKey(agency="BNK", key_id="k1", public_key="A" * 43 + "=", valid_from=AT)
    twice(ledger, cmd.register_key(key, actor="sec"), cmd.register_key(key, actor="sec"))
    with pytest.raises(AlreadyExistsError):
        ledger.handle(cmd.register_key(key.model_copy(update={"valid_from": LATER}), actor="sec"))
    twice(
        ledger,
        cmd.retire_member("BNK", date(2021, 1, 1), actor="BUSAN"),
        cmd.retire_member("BNK", date(2021, 1, 1), actor="BUSAN"),
    )


def test_staff_entering_a_report_again_records_it_once(ledger):
    ledger.handle(
        cmd.register_program(
            "P-BPA-01",
            "BPA",
            "S4-T2",
            "플라스틱",
            "Plastic",
            1_000_000,
            date(2019, 1, 1),
            date(2021, 12, 31),
            (Target(metric="plastic_collected_kg", quarter="2019Q1", value=Decimal(100)),),
        )
    )
    rid = "P-BPA-01/plastic_collected_kg/2019Q1"
    report = cmd.report_outcome("P-BPA-01", "BPA", rid, "plastic_collected_kg", "2019Q1", "120")
    twice(ledger, report, report)
    with pytest.raises(AlreadyExistsError, match="already exists"):
        ledger.handle(
            cmd.report_outcome("P-BPA-01", "BPA", rid, "plastic_collected_kg", "2019Q1", "130")
        )


def test_a_council_decision_entered_again_is_already_recorded(ledger):
    ledger.handle(cmd.baseline_policy())
    candidate = ScoredCandidate(program_code="P-1", rank=1, score=Decimal(80), components={})
    ledger.handle(cmd.record_review_scores("2019Q1", 1, (candidate,), "0" * 64))
    twice(
        ledger,
        cmd.decide("2019Q1", "P-1", "defer", "다음 분기", "council-2019Q1"),
        cmd.decide("2019Q1", "P-1", "defer", "다음 분기", "council-2019Q1"),
    )
    with pytest.raises(ReviewStateError, match="already decided"):
        ledger.handle(cmd.decide("2019Q1", "P-1", "decline", "증빙 부족", "council-2019Q1"))
