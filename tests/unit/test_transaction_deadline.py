"""Ending a transaction waits for the coordinator's answer, but not for ever.

kafka-python's ``commit_transaction()`` waits without a deadline; on the three-node cluster a
coordinator killed at the wrong moment left the relay and the ingest waiting for good.
``end_transaction`` makes the same request and gives up after its deadline, so the relay
starts again with a new producer (which fences the old one)."""

import time

import pytest
from kafka.errors import KafkaTimeoutError, ProducerFencedError
from kafka.producer.transaction_manager import TransactionalRequestResult

from impact.kafka import end_transaction


class Sender:
    def __init__(self) -> None:
        self.woken = 0

    def wakeup(self) -> None:
        self.woken += 1


class Coordinator:
    """Stands in for kafka-python's transaction manager: hands out the real result object,
    answered (or not) as the test says."""

    def __init__(self, answer=None, answered: bool = True) -> None:
        self.answer, self.answered, self.asked = answer, answered, []

    def _result(self, kind: str) -> TransactionalRequestResult:
        self.asked.append(kind)
        result = TransactionalRequestResult()
        if self.answered:
            result.done(self.answer)
        return result

    def begin_commit(self) -> TransactionalRequestResult:
        return self._result("commit")

    def begin_abort(self) -> TransactionalRequestResult:
        return self._result("abort")


class Producer:
    def __init__(self, coordinator: Coordinator | None) -> None:
        self._transaction_manager = coordinator
        self._sender = Sender()


@pytest.mark.parametrize("commit", [True, False])
def test_an_answered_request_returns_at_once(commit):
    coordinator = Coordinator()
    producer = Producer(coordinator)
    end_transaction(producer, commit=commit)
    assert coordinator.asked == ["commit" if commit else "abort"]
    assert producer._sender.woken == 1


def test_a_commit_without_an_answer_gives_up_after_its_deadline():
    producer = Producer(Coordinator(answered=False))
    started = time.monotonic()
    with pytest.raises(KafkaTimeoutError, match=r"commit had no answer in 0 s"):
        end_transaction(producer, commit=True, seconds=0.2)
    assert 0.15 < time.monotonic() - started < 5


def test_the_coordinators_refusal_is_raised():
    producer = Producer(Coordinator(answer=ProducerFencedError()))
    with pytest.raises(ProducerFencedError):
        end_transaction(producer, commit=True)


def test_a_producer_without_transactions_is_refused():
    with pytest.raises(Exception, match=r"no transactional\.id"):
        end_transaction(Producer(None), commit=True)
