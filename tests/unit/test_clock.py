"""The recorded time comes from the ledger's clock: the system's, unless a world of its own
(the scenario) records under another."""

from datetime import UTC, datetime

from impact import clock
from tests import commands as cmd
from tests.unit.fake_event_store import FakeLedger


def recorded_times(ledger) -> list[datetime]:
    return [e.timestamp for events, _ in ledger.event_store.batches for e in events]


def test_events_are_recorded_at_the_system_time_by_default():
    ledger = FakeLedger()
    before = datetime.now(tz=UTC)
    ledger.handle(cmd.found())
    assert all(before <= t <= datetime.now(tz=UTC) for t in recorded_times(ledger))


def test_a_world_of_its_own_records_under_its_clock_and_only_inside():
    ledger = FakeLedger()
    then = datetime(2018, 11, 28, 9, 0, tzinfo=UTC)
    with clock.recording_at(lambda: then):
        ledger.handle(cmd.found())
        assert clock.now() == then
    assert set(recorded_times(ledger)) == {then}
    assert clock.now() > then


def test_a_message_being_decided_is_known_to_the_clock_while_it_is():
    assert clock.message_deciding() is None
    with clock.deciding(b"message"):
        assert clock.message_deciding() == b"message"
    assert clock.message_deciding() is None
