"""The relay commits a batch only once Kafka acknowledged every record of it.

A three-node cluster showed why (tests/integration/test_cluster.py): with a partition's
leader killed mid-send, kafka-python committed a transaction whose records never reached
the log, and a relay trusting the commit moved past them. Here a fake producer plays that
producer, so the rule is checked without a broker.
"""

from pathlib import Path

import pytest
from kafka.errors import KafkaTimeoutError
from kafka.producer.transaction_manager import TransactionalRequestResult

from impact.contract.chain import GENESIS
from impact.errors import LogError
from impact.ingest import relay as relay_module
from impact.ingest.relay import Relay
from impact.settings import KafkaConnection, RelayOptions
from tests.unit.test_broker_access import TOPICS


class Record:
    def __init__(self, acknowledged: bool) -> None:
        self.acknowledged = acknowledged

    def get(self, timeout: float | None = None) -> None:
        if not self.acknowledged:
            raise KafkaTimeoutError(f"Timeout after waiting for {timeout} secs.")


class Producer:
    """A transactional producer whose records are acknowledged, or not, as told."""

    def __init__(self, acknowledged: bool, coordinator_answers: bool = True) -> None:
        self.acknowledged = acknowledged
        self.coordinator_answers = coordinator_answers
        self.sent = 0
        self.commits = 0
        self.aborts = 0
        # What ``end_transaction`` reaches for: kafka-python's transaction manager and sender.
        self._transaction_manager = self
        self._sender = self

    def begin_transaction(self) -> None:
        pass

    def send(self, topic: str, **_: object) -> Record:
        self.sent += 1
        return Record(self.acknowledged)

    def _answer(self) -> TransactionalRequestResult:
        result = TransactionalRequestResult()
        if self.coordinator_answers:
            result.done()
        return result

    def begin_commit(self) -> TransactionalRequestResult:
        self.commits += 1
        return self._answer()

    def begin_abort(self) -> TransactionalRequestResult:
        self.aborts += 1
        return self._answer()

    def wakeup(self) -> None:
        pass


def relay_with(ledger, producer: Producer, tmp_path: Path) -> Relay:
    relay = Relay(
        ledger,
        KafkaConnection(bootstrap_servers="127.0.0.1:1"),
        TOPICS,
        RelayOptions(transactional_id="relay", batch_size=10, platform_key_path=tmp_path / "k"),
    )
    # What start() sets from the log: a fresh one, and this producer.
    relay._producer, relay._signer = producer, None
    relay._position, relay._head = 0, GENESIS
    return relay


def test_a_batch_whose_records_were_all_acknowledged_is_committed(ledger, tmp_path):
    producer = Producer(acknowledged=True)
    relay = relay_with(ledger, producer, tmp_path)
    assert relay.publish_available() == ledger.max_notification_id() == producer.sent
    assert producer.commits == 1
    assert relay.stats.last_notification_id == ledger.max_notification_id()


def test_a_record_never_acknowledged_stops_the_relay_before_the_commit(ledger, tmp_path):
    producer = Producer(acknowledged=False)
    relay = relay_with(ledger, producer, tmp_path)
    with pytest.raises(LogError, match=r"publishing notifications 1\.\."):
        relay.publish_available()
    assert producer.commits == 0, "a commit would vouch for records the log never got"
    assert producer.aborts == 0, "aborting would wait on the same records; the next start fences"
    assert relay.stats.last_notification_id == 0


def test_a_commit_the_coordinator_never_answers_stops_the_relay(ledger, tmp_path, monkeypatch):
    """kafka-python would wait for ever; the relay gives its producer up, aborts nothing (an
    abort would wait on the same coordinator) and keeps its position, so the next start
    fences the producer and settles the transaction before reading where to resume."""
    monkeypatch.setattr(relay_module, "end_transaction", _impatient(relay_module.end_transaction))
    producer = Producer(acknowledged=True, coordinator_answers=False)
    relay = relay_with(ledger, producer, tmp_path)
    with pytest.raises(LogError, match="commit had no answer"):
        relay.publish_available()
    assert (producer.commits, producer.aborts) == (1, 0)
    assert relay.stats.last_notification_id == 0 and relay._position == 0


def _impatient(end_transaction):
    return lambda producer, commit: end_transaction(producer, commit, seconds=0.1)
