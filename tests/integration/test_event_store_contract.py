"""One contract for the event store, held by SQLite and by a real PostgreSQL server.

Every test runs twice: on a SQLite file of its own and on a PostgreSQL database of its
own (created on the project-local server through ``postgres_dsn`` and dropped after).
Each builds its ``Ledger`` the way production does, from ``Settings(event_store_dsn=...)``,
so moving the event store to PostgreSQL is a setting whose consequences are tested here.

What a reader of the notification log may rely on, on both stores: ids are unique and
increase in the order the events were saved; with every save succeeding they are dense
(1, 2, 3, ...). A refused save (a lost race) stores nothing, but on PostgreSQL the
sequence numbers it drew are not given back, so the ids after it skip a value: count
events, don't infer the count from ``max_notification_id()``.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from copy import deepcopy
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson
import pytest
from eventsourcing.persistence import StoredEvent

from impact.domain.consortium import AgencyKey, Consortium, Member
from impact.domain.plan import Plan
from impact.domain.program import Evidence, Partner, Program, Target
from impact.domain.proposal import Proposal, ReviewComment, SealedPersonalData
from impact.domain.review import PromotionReview, ScoredCandidate
from impact.errors import AlreadyExistsError, ConflictError
from impact.ledger import Ledger
from impact.settings import Settings
from tests import commands as cmd
from tests.integration.slice import record_programmes

pytestmark = pytest.mark.integration

KST = timezone(timedelta(hours=9), "KST")
TITLE_KO = '플라스틱 ZERO 캠페인 🐢🌊 — "해변" \\ 정화 👩‍👩‍👧'
BUDGET_KRW = 12_345_678_901  # beyond 32 bits
DIGEST = "0123456789abcdef" * 4
ALL = 1_000  # more than any test records; at most the ledger's log_section_size

OpenLedger = Callable[[], Ledger]


# -- the two stores ---------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgres"])
def event_store_dsn(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """EVENT_STORE_DSN of an empty store of this test's own."""
    if request.param == "sqlite":
        return f"sqlite://{tmp_path / 'events.sqlite'}"
    dsn: str = request.getfixturevalue("postgres_database")
    return dsn


@pytest.fixture
def open_ledger(event_store_dsn: str, tmp_path: Path) -> Iterator[OpenLedger]:
    """Opens a new Ledger instance on the store, as a new process would; closes them all."""
    opened: list[Ledger] = []

    def open_() -> Ledger:
        settings = Settings(event_store_dsn=event_store_dsn, state_dir=tmp_path / "state")
        ledger = Ledger(env=settings.event_store_env())
        opened.append(ledger)
        return ledger

    yield open_
    for ledger in opened:
        ledger.close()


def test_the_dsn_selects_the_recorder_of_its_store(open_ledger, event_store_dsn):
    """eventsourcing's recorder of that store, extended to write the store chain."""
    recorder = type(open_ledger().recorder)
    expected = (
        "eventsourcing.postgres"
        if event_store_dsn.startswith("postgresql")
        else "eventsourcing.sqlite"
    )
    assert recorder.__module__ == "impact.store_chain"
    assert [c.__module__ for c in recorder.__mro__[1:2]] == [expected]


def test_every_stored_row_is_linked_and_each_transaction_sealed(open_ledger, event_store_dsn):
    from impact.contract.chain import GENESIS, link
    from impact.store_chain import notification_digest

    ledger = open_ledger()
    ledger.handle(cmd.found())
    record_programmes(ledger, 2)
    rows = ledger.notifications(1, 100)
    links = ledger.store_chain(1, rows[-1].id)
    assert [x.notification_id for x in links] == [n.id for n in rows]
    head = GENESIS
    for row, entry in zip(rows, links, strict=True):
        head = link(head, notification_digest(row))
        assert entry.hash == head
    assert links[-1].signature is not None


# -- what the tests record ------------------------------------------------------------


def recording_saves(ledger: Ledger) -> list[Any]:
    """Keep every domain event the ledger stores, in order, exactly as stored."""
    saved: list[Any] = []
    store = ledger.store

    def store_and_keep(events: Any, tracking: Any = None) -> None:
        store(events, tracking)
        saved.extend(events)

    ledger.store = store_and_keep  # type: ignore[method-assign]
    return saved


def save(ledger: Ledger, *aggregates: Any) -> None:
    """Store the aggregates' new events in one transaction, as a unit of work does."""
    ledger.store([event for aggregate in aggregates for event in aggregate.collect_events()])


def record_everything(ledger: Ledger) -> None:
    """Events of every kind of aggregate, with Decimals, dates, Korean text and emoji."""
    ledger.handle(cmd.found())
    ledger.handle(
        cmd.admit_member(
            Member(
                code="BNK",
                name_ko="부산은행 🏦",
                name_en="BNK Busan Bank",
                joined_on=date(2019, 7, 1),
            ),
            actor="BUSAN",
            occurred_at=datetime(2019, 6, 30, 18, 0, tzinfo=KST),
        )
    )
    ledger.handle(
        cmd.register_key(
            AgencyKey(
                agency="BPA",
                key_id="bpa-2019",
                public_key="A" * 43 + "=",
                valid_from=datetime(2019, 1, 1, 9, 0, 0, 123456, tzinfo=KST),
            ),
            actor="BPA",
        )
    )
    ledger.handle(
        cmd.submit_proposal(
            "C-2018-0001",
            "해변 플라스틱 줍기 🐢",
            "바다가 깨끗해지면 좋겠습니다.\n둘째 줄 ✨",
            "환경",
            channel="forum",
            proposer=SealedPersonalData(
                subject_id="subject:C-2018-0001", key_id="k1", ciphertext="c2VhbGVk"
            ),
            occurred_at=datetime(2018, 12, 3, 10, 15, tzinfo=KST),
        )
    )
    ledger.handle(
        cmd.start_proposal_review("C-2018-0001", ("전문가-1", "expert-2"), actor="proposal-desk")
    )
    ledger.handle(
        cmd.record_proposal_review(
            "C-2018-0001",
            {"impact": Decimal("87.5"), "feasibility": Decimal("90.125")},
            (ReviewComment(reviewer="전문가-1", comment='좋아요 👍 "강력 추천"'),),
            actor="proposal-desk",
        )
    )
    ledger.handle(
        cmd.adopt_proposal(
            "C-2018-0001", "S4-T2", actor="council", occurred_at=datetime(2018, 12, 20, tzinfo=UTC)
        )
    )
    ledger.handle(
        cmd.register_program(
            "P-BPA-01",
            "BPA",
            "S4-T2",
            TITLE_KO,
            "Plastic ZERO campaign",
            BUDGET_KRW,
            date(2019, 1, 1),
            ends_on=date(2020, 12, 31),
            targets=(
                Target(metric="plastic_collected_kg", quarter="2019Q1", value=Decimal("5000.000")),
            ),
            origin_proposals=("C-2018-0001",),
            occurred_at=datetime(2018, 12, 21, 9, 30, tzinfo=KST),
        )
    )
    signed = ledger.unit_of_work(from_submissions=True)  # the event names its submission
    signed.decide(
        cmd.report_outcome(
            "P-BPA-01",
            "BPA",
            "r1",
            "plastic_collected_kg",
            "2019Q1",
            Decimal("6150.5"),
            evidence=Evidence(uri="https://example.org/증빙/사진-1.jpg", sha256="ab" * 32),
            submission_id="sub-1",
            occurred_at=datetime(2019, 4, 5, 9, 0, tzinfo=KST),
        )
    )
    signed.commit()
    ledger.handle(
        cmd.correct_outcome(
            "P-BPA-01",
            "BPA",
            "r2",
            "r1",
            Decimal("6150.50"),
            "계량 오류 정정 ✍️",
            occurred_at=datetime(2019, 4, 6, tzinfo=KST),
        )
    )
    ledger.handle(
        cmd.join_partner("P-BPA-01", "BPA", Partner(kind="civic", name="부산 환경운동연합 🌱"))
    )
    # The promotion review through the domain and the ledger's save, so that this contract
    # does not hang on how the review use cases choose their scoring policy.
    review = PromotionReview(
        quarter="2019Q1",
        policy_version=1,
        occurred_at=datetime(2019, 4, 15, tzinfo=UTC),
        actor="promotion-review",
    )
    review.record_scores(
        (
            ScoredCandidate(
                program_code="P-BPA-01",
                rank=1,
                score=Decimal("123.01"),
                components={"performance": Decimal("1.2301"), "ripple": Decimal("0.5")},
            ),
        ),
        DIGEST,
        occurred_at=datetime(2019, 4, 15, tzinfo=UTC),
        actor="promotion-review",
    )
    save(ledger, review)
    review, program = ledger.review("2019Q1"), ledger.program("P-BPA-01")
    decided_at = datetime(2019, 4, 20, 14, 0, tzinfo=KST)
    review.decide(
        "P-BPA-01",
        "promote",
        "우수 사업 🎉",
        "council-2019-04",
        occurred_at=decided_at,
        actor="council",
    )
    program.promote("2019Q1", ("BPA", "KAMCO"), occurred_at=decided_at, actor="council")
    save(ledger, review, program)
    ledger.handle(cmd.retire_member("BNK", date(2020, 1, 1), actor="BUSAN"))


def register(ledger: Ledger, code: str = "P-BPA-01", agency: str = "BPA", budget: int = 5) -> UUID:
    ledger.handle(
        cmd.register_program(
            code,
            agency,
            "S4-T2",
            TITLE_KO,
            "Plastic ZERO",
            budget,
            date(2019, 1, 1),
            targets=(
                Target(metric="plastic_collected_kg", quarter="2019Q1", value=Decimal("0.1")),
            ),
            occurred_at=datetime(2018, 12, 1, tzinfo=UTC),
        )
    )
    return Program.create_id(code=code)


def report(program: Program, report_id: str, quarter: str, value: str) -> None:
    """Change a loaded copy of a programme without saving it."""
    program.report_outcome(
        report_id=report_id,
        metric="plastic_collected_kg",
        quarter=quarter,
        value=Decimal(value),
        evidence=None,
        submission_id=None,
        occurred_at=datetime(2019, 7, 1, tzinfo=UTC),
        actor="BPA",
    )


def log_ids(ledger: Ledger) -> list[int]:
    return [notification.id for notification in ledger.notifications(1, ALL)]


# -- storing and reading back ---------------------------------------------------------


def test_every_kind_of_aggregate_reads_back_with_decimals_dates_hangul_and_emoji_intact(
    open_ledger,
):
    writer = open_ledger()
    saved = recording_saves(writer)
    record_everything(writer)

    reader = open_ledger()
    read = [reader.mapper.to_domain_event(n) for n in reader.notifications(1, ALL)]
    assert read == saved
    assert [e.model_dump(mode="json") for e in read] == [e.model_dump(mode="json") for e in saved]
    kinds = {type(e).__qualname__.split(".")[0] for e in read}
    assert kinds == {"Consortium", "Plan", "Proposal", "Program", "PromotionReview"}

    program = reader.program("P-BPA-01")
    assert program.title_ko == TITLE_KO
    assert program.budget_krw == BUDGET_KRW
    assert (program.starts_on, program.ends_on) == (date(2019, 1, 1), date(2020, 12, 31))
    assert str(program.targets[0].value) == "5000.000"
    assert str(program.current_value("plastic_collected_kg", "2019Q1")) == "6150.50"
    assert program.partners[0].name == "부산 환경운동연합 🌱"
    assert program.joint_participants == ("BPA", "KAMCO")
    registered = next(e for e in read if isinstance(e, Program.Registered))
    assert registered.occurred_at == datetime(2018, 12, 21, 9, 30, tzinfo=KST)
    assert registered.occurred_at.utcoffset() == timedelta(hours=9)

    proposal = reader.proposal("C-2018-0001")
    assert proposal.title == "해변 플라스틱 줍기 🐢"
    assert proposal.scores == {"impact": Decimal("87.5"), "feasibility": Decimal("90.125")}
    assert proposal.proposer == SealedPersonalData(
        subject_id="subject:C-2018-0001", key_id="k1", ciphertext="c2VhbGVk"
    )
    assert str(reader.review("2019Q1").candidates["P-BPA-01"].components["performance"]) == "1.2301"
    assert reader.review("2019Q1").decisions == {"P-BPA-01": "promote"}
    consortium = reader.consortium()
    assert consortium.members["BNK"].name_ko == "부산은행 🏦"
    assert consortium.members["BNK"].left_on == date(2020, 1, 1)
    key = consortium.keys[("BPA", "bpa-2019")]
    assert key.valid_from == datetime(2019, 1, 1, 9, 0, 0, 123456, tzinfo=KST)
    assert reader.plan().title_ko == "사회적 가치 혁신사업 기본계획"


def test_every_stored_event_encodes_again_to_the_very_bytes_that_were_stored(open_ledger):
    ledger = open_ledger()
    record_everything(ledger)
    notifications = ledger.notifications(1, ALL)
    assert notifications
    for notification in notifications:
        event = ledger.mapper.to_domain_event(notification)
        again = ledger.mapper.to_stored_event(event)
        assert (again.topic, again.state) == (notification.topic, notification.state)


# -- optimistic concurrency -------------------------------------------------------------


def test_the_second_of_two_changes_made_to_copies_of_one_aggregate_is_refused(open_ledger):
    first_process, second_process = open_ledger(), open_ledger()
    first_process.handle(cmd.found())
    register(first_process)
    first = first_process.program("P-BPA-01")
    second = second_process.program("P-BPA-01")
    report(first, "r1", "2019Q1", "1")
    report(second, "r2", "2019Q2", "2")

    save(first_process, first)
    events_before = log_ids(first_process)
    with pytest.raises(ConflictError):
        save(second_process, second)

    assert log_ids(second_process) == events_before
    stored = open_ledger().program("P-BPA-01")
    assert stored.version == first.version == 2
    assert set(stored.reports) == {"r1"}


def test_a_refused_save_of_two_aggregates_stores_neither(open_ledger):
    first_process, second_process = open_ledger(), open_ledger()
    record_everything(first_process)
    opened = PromotionReview(
        quarter="2019Q2",
        policy_version=1,
        occurred_at=datetime(2019, 7, 15, tzinfo=UTC),
        actor="promotion-review",
    )
    candidate = ScoredCandidate(program_code="P-BPA-01", rank=1, score=Decimal(1), components={})
    opened.record_scores(
        (candidate,),
        DIGEST,
        occurred_at=datetime(2019, 7, 15, tzinfo=UTC),
        actor="promotion-review",
    )
    save(first_process, opened)
    review = second_process.review("2019Q2")
    stale_program = second_process.program("P-BPA-01")
    first_process.handle(
        cmd.join_partner("P-BPA-01", "BPA", Partner(kind="enterprise", name="해양 스타트업"))
    )
    review.decide(
        "P-BPA-01",
        "decline",
        "already joint",
        "council-2019-07",
        occurred_at=datetime(2019, 7, 20, tzinfo=UTC),
        actor="council",
    )
    stale_program.suspend("점검", occurred_at=datetime(2019, 7, 20, tzinfo=UTC), actor="BPA")
    events_before = log_ids(first_process)

    with pytest.raises(ConflictError):
        save(second_process, review, stale_program)

    assert log_ids(first_process) == events_before
    assert first_process.review("2019Q2").decisions == {}
    assert first_process.program("P-BPA-01").status == "active"


@pytest.mark.parametrize("checked_first", [True, False], ids=["after", "racing"])
def test_creating_an_aggregate_another_instance_created_is_refused_as_already_existing(
    open_ledger, monkeypatch, checked_first
):
    first_process, second_process = open_ledger(), open_ledger()
    first_process.handle(cmd.found())
    program_id = Program.create_id(code="P-BPA-01")
    if not checked_first:  # both looked before either saved: the store itself must refuse
        looked = second_process.exists
        monkeypatch.setattr(second_process, "exists", lambda i: i != program_id and looked(i))
    register(first_process)
    with pytest.raises(AlreadyExistsError, match="programme P-BPA-01 already exists"):
        register(second_process, budget=6)  # the same again would be already recorded
    stored = open_ledger().repository.event_store.get(program_id)
    assert [e.originator_version for e in stored] == [1]


def test_a_use_case_that_loses_a_race_to_another_process_raises_a_ledger_error(
    open_ledger, monkeypatch
):
    first_process, second_process = open_ledger(), open_ledger()
    first_process.handle(cmd.found())
    register(first_process)
    stale = second_process.program("P-BPA-01")  # read before the other process writes
    first_process.handle(
        cmd.report_outcome("P-BPA-01", "BPA", "r1", "plastic_collected_kg", "2019Q1", Decimal(1))
    )
    load = second_process.load
    monkeypatch.setattr(
        second_process,
        "load",
        lambda aggregate_id, copy=True: (
            deepcopy(stale) if aggregate_id == stale.id else load(aggregate_id, copy)
        ),
    )
    with pytest.raises(ConflictError, match="changed meanwhile"):
        second_process.handle(
            cmd.report_outcome(
                "P-BPA-01", "BPA", "r2", "plastic_collected_kg", "2019Q2", Decimal(2)
            )
        )


# -- the notification log -------------------------------------------------------------


def test_notification_ids_are_gap_free_and_in_the_order_events_were_saved(open_ledger):
    ledger = open_ledger()
    saved = recording_saves(ledger)
    record_everything(ledger)
    notifications = ledger.notifications(1, ALL)
    assert [n.id for n in notifications] == list(range(1, len(saved) + 1))
    assert [(n.originator_id, n.originator_version) for n in notifications] == [
        (e.originator_id, e.originator_version) for e in saved
    ]


def test_after_a_refused_save_the_ids_still_increase_and_each_event_is_listed_once(open_ledger):
    ledger, rival = open_ledger(), open_ledger()
    ledger.handle(cmd.found())
    register(ledger)
    stored_before_the_race = len(log_ids(ledger))
    mine, theirs = ledger.program("P-BPA-01"), rival.program("P-BPA-01")
    report(mine, "r1", "2019Q1", "1")
    report(theirs, "r2", "2019Q2", "2")
    save(ledger, mine)
    with pytest.raises(ConflictError):
        save(rival, theirs)
    highest_before = ledger.max_notification_id()
    ledger.handle(
        cmd.report_outcome("P-BPA-01", "BPA", "r3", "plastic_collected_kg", "2019Q3", Decimal(3))
    )

    listed = list(ledger.iter_events(batch=2))
    ids = [notification.id for notification, _ in listed]
    assert ids == sorted(set(ids))
    assert ids[-1] > highest_before  # PostgreSQL may skip the id the refused save drew
    assert [e.originator_version for _, e in listed if e.originator_id == mine.id] == [1, 2, 3]
    assert ledger.max_notification_id() == ids[-1]
    assert len(listed) == stored_before_the_race + 2  # r1 and r3; nothing of the refused save


def test_concurrent_writers_get_unique_ordered_gap_free_ids(open_ledger):
    writers = [open_ledger(), open_ledger()]
    writers[0].handle(cmd.found())
    founded = len(log_ids(writers[0]))
    errors: list[BaseException] = []

    def write(ledger: Ledger, agency: str) -> None:
        try:
            for i in range(10):
                register(ledger, code=f"P-{agency}-{i:02d}", agency=agency)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [
        threading.Thread(target=write, args=(w, a))
        for w, a in zip(writers, ("BPA", "HUG"), strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    ids = log_ids(open_ledger())
    assert ids == list(range(1, founded + 20 + 1))


def test_notifications_page_through_the_log_in_order_from_any_start(open_ledger):
    ledger = open_ledger()
    record_everything(ledger)
    everything = ledger.notifications(1, ALL)
    total = len(everything)
    assert total > 10

    pages, start = [], 1
    while page := ledger.notifications(start, 3):
        assert len(page) <= 3
        pages.append(page)
        start = page[-1].id + 1
    assert [n.id for page in pages for n in page] == [n.id for n in everything]
    assert all(len(page) == 3 for page in pages[:-1])
    assert [n.id for n in ledger.notifications(5, 4)] == [5, 6, 7, 8]
    assert [n.id for n in ledger.notifications(total, 10)] == [total]
    assert ledger.notifications(total + 1, 10) == []
    assert [n.id for n in ledger.notifications(1, 1)] == [1]
    assert ledger.notifications(4, 1)[0].state == everything[3].state


def test_max_notification_id_is_zero_on_an_empty_store_and_then_the_last_id(open_ledger):
    ledger = open_ledger()
    assert ledger.max_notification_id() == 0
    ledger.handle(cmd.found())
    assert ledger.max_notification_id() == len(ledger.notifications(1, ALL)) >= 2
    record_everything(ledger)
    assert ledger.max_notification_id() == ledger.notifications(1, ALL)[-1].id
    assert open_ledger().max_notification_id() == ledger.max_notification_id()


# -- durability across instances --------------------------------------------------------


def test_a_new_ledger_on_the_same_store_sees_everything_and_carries_on(open_ledger):
    first = open_ledger()
    record_everything(first)
    written = [
        (n.id, n.originator_id, n.originator_version, n.topic, n.state)
        for n in first.notifications(1, ALL)
    ]
    first.close()

    second = open_ledger()
    assert [
        (n.id, n.originator_id, n.originator_version, n.topic, n.state)
        for n in second.notifications(1, ALL)
    ] == written
    assert second.program("P-BPA-01").version == 5
    assert second.exists(Consortium.create_id()) and second.exists(Plan.create_id())
    assert second.exists(Proposal.create_id(code="C-2018-0001"))
    assert second.exists(PromotionReview.create_id(quarter="2019Q1"))
    assert second.handle(cmd.found()) is False
    second.handle(
        cmd.report_outcome("P-BPA-01", "BPA", "r3", "plastic_collected_kg", "2019Q2", Decimal("7"))
    )

    third = open_ledger()
    assert third.max_notification_id() == written[-1][0] + 1
    assert third.program("P-BPA-01").current_value("plastic_collected_kg", "2019Q2") == Decimal(7)


# -- upcasting through the real recorder ------------------------------------------------


def test_a_stored_v1_outcome_report_reads_as_v2_through_the_recorder_and_stays_v1_on_disk(
    open_ledger,
):
    ledger = open_ledger()
    ledger.handle(cmd.found())
    program_id = register(ledger)
    v1_state = {
        "timestamp": "2019-04-01T00:00:00+00:00",
        "occurred_at": "2019-04-01T09:00:00+09:00",
        "actor": "BPA",
        "report_id": "r1",
        "metric": "plastic_collected_kg",
        "quarter": "2019Q1",
        "value": "10.50",
        "evidence": None,
        "submission_id": None,
    }
    v1_bytes = orjson.dumps(v1_state)
    ledger.recorder.insert_events(
        [
            StoredEvent(
                originator_id=program_id,
                originator_version=2,
                topic="impact.domain.program:Program.OutcomeReported",
                state=v1_bytes,
            )
        ]
    )

    reader = open_ledger()
    notification = reader.notifications(1, ALL)[-1]
    event = reader.mapper.to_domain_event(notification)
    assert isinstance(event, Program.OutcomeReported)
    assert (event.unit, event.value, event.originator_version) == ("kg", Decimal("10.50"), 2)
    assert event.occurred_at == datetime(2019, 4, 1, tzinfo=UTC)
    assert reader.program("P-BPA-01").current_value("plastic_collected_kg", "2019Q1") == Decimal(
        "10.5"
    )

    reader.handle(cmd.correct_outcome("P-BPA-01", "BPA", "r2", "r1", Decimal(11), "재계량"))
    stored = reader.recorder.select_events(program_id)
    assert [s.originator_version for s in stored] == [1, 2, 3]
    assert stored[1].state == v1_bytes  # the log is never rewritten
    assert b'"class_version"' not in stored[1].state
    assert reader.program("P-BPA-01").current_value("plastic_collected_kg", "2019Q1") == Decimal(11)


def test_a_stored_v1_rejection_reads_as_v2_with_the_size_and_digest_of_its_original(open_ledger):
    import base64
    import hashlib

    from impact.domain.submission import Rejection

    ledger = open_ledger()
    ledger.handle(cmd.found())
    whole = b'{"submission": {"agency": "BPA"}, "padding": "' + b"x" * 10_000 + b'"}'
    v1_state = {
        "timestamp": "2019-04-01T00:00:00+00:00",
        "occurred_at": "2019-04-01T09:00:00+00:00",
        "actor": "submissions-desk",
        "originator_topic": "impact.domain.submission:Rejection",
        "source_topic": "impact.submissions",
        "source_partition": 0,
        "source_offset": 7,
        "code": "missing_signature",
        "message": "the submission is not signed",
        "submission_id": None,
        "agency": "BPA",
        "original": base64.b64encode(whole).decode(),
        "original_size": len(whole),
    }
    v1_bytes = orjson.dumps(v1_state)
    rejection_id = Rejection.create_id("impact.submissions", 0, 7)
    ledger.recorder.insert_events(
        [
            StoredEvent(
                originator_id=rejection_id,
                originator_version=1,
                topic="impact.domain.submission:Rejection.Recorded",
                state=v1_bytes,
            )
        ]
    )

    reader = open_ledger()
    event = reader.mapper.to_domain_event(reader.notifications(1, ALL)[-1])
    assert isinstance(event, Rejection.Recorded) and isinstance(event.originator_id, uuid.UUID)
    assert event.original_sha256 == hashlib.sha256(whole).hexdigest()
    assert (event.original_size, event.agency, event.claimed_agency) == (len(whole), "BPA", None)
    assert base64.b64decode(event.original) == whole  # v1 kept it all; it is read as it is
    assert reader.recorder.select_events(rejection_id)[0].state == v1_bytes
