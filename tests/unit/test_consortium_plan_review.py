from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from impact.domain.consortium import AgencyKey, Member
from impact.domain.plan import Strategy, Task
from impact.domain.review import ScoredCandidate
from impact.errors import (
    AlreadyExistsError,
    CandidateNotScoredError,
    NotAMemberError,
    NotFoundError,
    ReviewStateError,
    UnknownTaskError,
)
from tests import commands as cmd

AT = datetime(2019, 1, 1, tzinfo=UTC)
DIGEST = "0" * 64


def candidate(code: str, rank: int = 1) -> ScoredCandidate:
    return ScoredCandidate(
        program_code=code, rank=rank, score=Decimal(50), components={"performance": Decimal("0.5")}
    )


def test_the_consortium_is_founded_with_seven_agencies_and_busan_city(ledger):
    consortium = ledger.consortium()
    assert consortium.agencies_on(date(2018, 11, 28)) == [
        "BPA",
        "HF",
        "HUG",
        "KAMCO",
        "KIBO",
        "KOSPO",
        "KSD",
    ]
    assert consortium.members["BUSAN"].kind == "city"


def test_founding_twice_changes_nothing(ledger):
    version = ledger.consortium().version
    assert ledger.handle(cmd.found()) is False
    assert ledger.consortium().version == version


def test_a_member_joins_once_and_acts_only_from_its_joining_date(ledger):
    member = Member(
        code="BNK", name_ko="부산은행", name_en="BNK Busan Bank", joined_on=date(2019, 6, 1)
    )
    assert ledger.handle(cmd.admit_member(member, actor="BUSAN"))
    assert not ledger.handle(cmd.admit_member(member, actor="BUSAN")), "already recorded"
    with pytest.raises(AlreadyExistsError, match="BNK is already a member"):
        ledger.handle(cmd.admit_member(member.model_copy(update={"name_en": "BNK"}), actor="BUSAN"))
    with pytest.raises(
        NotAMemberError, match="BNK joined on 2019-06-01; it cannot act on 2019-05-31"
    ):
        ledger.consortium().check_active("BNK", on=date(2019, 5, 31))
    assert "BNK" in ledger.consortium().agencies_on(date(2019, 6, 1))


def test_keys_rotate_a_revoked_key_is_no_longer_valid_and_the_new_one_is(ledger):
    old = AgencyKey(agency="KAMCO", key_id="k1", public_key="AAAA", valid_from=AT)
    new = AgencyKey(
        agency="KAMCO", key_id="k2", public_key="BBBB", valid_from=datetime(2020, 1, 1, tzinfo=UTC)
    )
    ledger.handle(cmd.register_key(old, actor="secretariat"))
    ledger.handle(cmd.register_key(new, actor="secretariat"))
    consortium = ledger.consortium()
    consortium.revoke_key(
        "KAMCO", "k1", revoked_at=datetime(2020, 1, 1, tzinfo=UTC), occurred_at=AT, actor="s"
    )
    assert [
        k.key_id for k in consortium.keys_valid_at("KAMCO", datetime(2019, 6, 1, tzinfo=UTC))
    ] == ["k1"]
    assert [
        k.key_id for k in consortium.keys_valid_at("KAMCO", datetime(2020, 6, 1, tzinfo=UTC))
    ] == ["k2"]
    assert not ledger.handle(cmd.register_key(old, actor="secretariat")), "already recorded"
    with pytest.raises(AlreadyExistsError):
        ledger.handle(
            cmd.register_key(old.model_copy(update={"public_key": "CCCC"}), actor="secretariat")
        )
    with pytest.raises(NotFoundError, match="KAMCO has no key k9"):
        consortium.revoke_key("KAMCO", "k9", revoked_at=AT, occurred_at=AT, actor="s")


def test_a_key_is_registered_only_for_a_member(ledger):
    with pytest.raises(NotAMemberError):
        ledger.handle(
            cmd.register_key(
                AgencyKey(agency="NOPE", key_id="k", public_key="A", valid_from=AT), actor="s"
            )
        )


def test_the_plan_has_four_strategies_and_twelve_tasks_and_a_revision_keeps_the_old_version(ledger):
    plan = ledger.plan()
    first = plan.version_on(date(2019, 1, 1))
    assert (len(first.strategies), len(first.tasks)) == (4, 12)
    tasks = (
        *first.tasks,
        Task(code="S4-T4", strategy="S4", name_ko="탄소중립", name_en="Carbon neutrality"),
    )
    plan.revise(
        date(2021, 1, 1), first.strategies, tasks, "2021 revision", occurred_at=AT, actor="council"
    )
    ledger.save(plan)
    plan = ledger.plan()
    assert plan.task("S4-T4", on=date(2021, 2, 1)).name_en == "Carbon neutrality"
    with pytest.raises(UnknownTaskError, match="not in plan revision 1"):
        plan.task("S4-T4", on=date(2020, 12, 31))


def test_a_revision_cannot_name_a_strategy_the_plan_lacks(ledger):
    plan = ledger.plan()
    with pytest.raises(UnknownTaskError, match="names strategy S9"):
        plan.revise(
            date(2021, 1, 1),
            (Strategy(code="S1", name_ko="a", name_en="b"),),
            (Task(code="S9-T1", strategy="S9", name_ko="a", name_en="b"),),
            "x",
            occurred_at=AT,
            actor="c",
        )


def test_a_council_decision_needs_a_scored_candidate(ledger):
    ledger.handle(
        cmd.record_review_scores("2019Q1", 1, (candidate("P-BPA-01"),), DIGEST, occurred_at=AT)
    )
    with pytest.raises(CandidateNotScoredError, match="P-KAMCO-01 was not scored in review 2019Q1"):
        ledger.handle(
            cmd.decide("2019Q1", "P-KAMCO-01", "promote", "good", "council-2019-1", occurred_at=AT)
        )


def test_a_candidate_is_decided_once_and_a_closed_review_takes_no_more(ledger):
    ledger.handle(
        cmd.record_review_scores(
            "2019Q1", 1, (candidate("P-BPA-01"), candidate("P-KIBO-01", 2)), DIGEST, occurred_at=AT
        )
    )
    ledger.handle(
        cmd.decide(
            "2019Q1", "P-BPA-01", "defer", "one more quarter", "council-2019-1", occurred_at=AT
        )
    )
    with pytest.raises(ReviewStateError, match="already decided"):
        ledger.handle(
            cmd.decide("2019Q1", "P-BPA-01", "decline", "no", "council-2019-1", occurred_at=AT)
        )
    review = ledger.review("2019Q1")
    review.close(occurred_at=AT, actor="council")
    ledger.save(review)
    with pytest.raises(ReviewStateError, match="review 2019Q1 is closed"):
        ledger.handle(
            cmd.decide("2019Q1", "P-KIBO-01", "decline", "no", "council-2019-1", occurred_at=AT)
        )


def test_a_decision_without_a_reason_is_refused(ledger):
    ledger.handle(
        cmd.record_review_scores("2019Q1", 1, (candidate("P-BPA-01"),), DIGEST, occurred_at=AT)
    )
    with pytest.raises(ReviewStateError, match="needs a reason"):
        ledger.handle(cmd.decide("2019Q1", "P-BPA-01", "decline", " ", "m", occurred_at=AT))
