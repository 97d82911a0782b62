"""The ingest decides one partition's poll as a batch, without a broker or a database.

The rule under test: each message is decided on what the ones before it in the batch
decided, a refused message leaves nothing behind, and the batch is stored in one
transaction with its position; should that transaction be refused, each message is
decided again in a transaction of its own.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from kafka import TopicPartition

from impact.application.handlers import HANDLERS
from impact.contract.submissions import ReportOutcome
from impact.domain.program import Program
from impact.ingest.ingest import Ingest
from impact.settings import Settings
from tests import commands as cmd
from tests.submissions import registered_key, registration, report, signed
from tests.unit.fake_event_store import FakeLedger

TP = TopicPartition("impact.submissions", 0)
ARRIVAL = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class Record:
    """What the ingest reads of a Kafka record."""

    offset: int
    value: bytes
    timestamp: int = int(ARRIVAL.timestamp() * 1000)
    timestamp_type: int = 1  # LogAppendTime: the broker stamped it


@pytest.fixture
def fake() -> FakeLedger:
    ledger = FakeLedger()
    ledger.handle(cmd.found())
    return ledger


def decided(fake: FakeLedger, *messages: bytes, first_offset: int = 10) -> list[str]:
    """Decide the messages as one poll; the verdict code of each, in order."""
    settings = Settings()
    ingest = Ingest(fake, settings.kafka, settings.topics, settings.relay)  # type: ignore[arg-type]
    codes: list[str] = []
    records = [Record(first_offset + i, m) for i, m in enumerate(messages)]
    ingest.decide_batch(TP, records, lambda code, _: codes.append(code))
    return codes


def test_a_message_sees_what_the_messages_before_it_in_the_batch_decided(fake):
    bpa = registered_key(fake, "BPA")
    batches_before = len(fake.event_store.batches)
    codes = decided(
        fake,
        signed(bpa, registration("BPA", "P-BPA-02")),
        signed(bpa, report("BPA", "P-BPA-02")),  # the programme exists only in this batch
        signed(bpa, report("BPA", "P-BPA-02")),  # the same submission again
    )
    assert codes == ["accepted", "accepted", "duplicate"]
    assert len(fake.event_store.batches) == batches_before + 1, "the batch was not stored as one"
    events, tracking = fake.event_store.batches[-1]
    assert tracking is not None and tracking.notification_id == 13
    kinds = [type(e).__qualname__ for e in events]
    assert kinds == [
        "Program.Registered",
        "Submission.Accepted",
        "Program.OutcomeReported",
        "Submission.Accepted",
        "Rejection.Recorded",
    ]


def test_a_refused_message_leaves_nothing_of_itself_in_the_batch(fake):
    bpa = registered_key(fake, "BPA")
    codes = decided(
        fake,
        signed(bpa, registration("BPA", "P-BPA-02")),
        signed(bpa, report("BPA", "P-BPA-02", value="-5", sid="negative")),
        b"{not json",
        signed(bpa, report("BPA", "P-BPA-02", value="7")),
    )
    assert codes == ["accepted", "value_out_of_range", "malformed_json", "accepted"]
    program = fake.event_store.load(Program.create_id(code="P-BPA-02"))
    assert [str(r.value) for r in program.reports.values()] == ["7"]


def test_a_batch_refused_as_a_whole_is_decided_again_one_message_at_a_time(fake):
    bpa = registered_key(fake, "BPA")
    fake.event_store.refuse_next = 1
    batches_before = len(fake.event_store.batches)
    codes = decided(
        fake,
        signed(bpa, registration("BPA", "P-BPA-02")),
        signed(bpa, report("BPA", "P-BPA-02")),
    )
    assert codes == ["accepted", "accepted"]
    stored = fake.event_store.batches[batches_before:]
    assert [t.notification_id for _, t in stored if t] == [11, 12], "one transaction per message"


def test_a_position_already_stored_is_skipped_not_applied_twice(fake):
    bpa = registered_key(fake, "BPA")
    message = signed(bpa, registration("BPA", "P-BPA-02"))
    assert decided(fake, message) == ["accepted"]
    settings = Settings()
    ingest = Ingest(fake, settings.kafka, settings.topics, settings.relay)  # type: ignore[arg-type]
    fake.event_store.refuse_next = 1  # the batch is refused, then its one message is found stored
    ingest.decide_batch(TP, [Record(10, message)], None)
    assert (ingest.stats.applied, ingest.stats.skipped) == (0, 1)


def test_an_unexpected_error_stores_nothing_of_the_poll_and_the_message_is_decided_again(
    fake, monkeypatch
):
    bpa = registered_key(fake, "BPA")
    poll = (signed(bpa, registration("BPA", "P-BPA-02")), signed(bpa, report("BPA", "P-BPA-02")))
    batches_before = len(fake.event_store.batches)

    def broken(uow, submission):
        raise RuntimeError("a bug in the handler")

    monkeypatch.setitem(HANDLERS, ReportOutcome, broken)
    with pytest.raises(RuntimeError, match="a bug in the handler"):
        decided(fake, *poll)
    assert len(fake.event_store.batches) == batches_before, "part of the poll was stored"

    monkeypatch.undo()
    assert decided(fake, *poll) == ["accepted", "accepted"]
    events = [e for batch, _ in fake.event_store.batches[batches_before:] for e in batch]
    assert not any(type(e).__qualname__ == "Rejection.Recorded" for e in events)
    program = fake.event_store.load(Program.create_id(code="P-BPA-02"))
    assert [str(r.value) for r in program.reports.values()] == ["12"]
