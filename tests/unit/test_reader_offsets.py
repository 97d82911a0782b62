"""``TopicReader`` reads a partition's ends again, with the metadata refreshed, when the
client's attempt timed out (kafka-python asks a stale leader until its timeout)."""

import pytest
from kafka import TopicPartition
from kafka.errors import KafkaTimeoutError

from impact.errors import LogError
from impact.kafka import reader as reader_module
from impact.kafka.reader import TopicReader


class StaleCluster:
    def __init__(self) -> None:
        self.updates = 0

    def request_update(self) -> None:
        self.updates += 1


class Consumer:
    """Times out until the metadata was refreshed ``stale`` times."""

    def __init__(self, stale: int) -> None:
        self._cluster = StaleCluster()
        self.stale = stale
        self.timeouts_ms: list[int] = []

    def end_offsets(self, tps: list[TopicPartition], timeout_ms: int) -> dict[TopicPartition, int]:
        self.timeouts_ms.append(timeout_ms)
        if self._cluster.updates < self.stale:
            raise KafkaTimeoutError("Failed to get offsets by timestamps")
        return {tp: 7 for tp in tps}


def reader_over(consumer: Consumer) -> TopicReader:
    reader = TopicReader.__new__(TopicReader)
    reader.topic = "impact.events"
    reader._consumer = consumer  # type: ignore[assignment]
    reader._polled = False  # the ends are asked on the reading consumer until it polled
    reader.assigned = [TopicPartition("impact.events", 0), TopicPartition("impact.events", 1)]
    return reader


def test_a_timed_out_attempt_is_asked_again_after_a_metadata_refresh() -> None:
    consumer = Consumer(stale=2)
    assert reader_over(consumer).end_offsets() == {0: 7, 1: 7}
    assert consumer._cluster.updates == 2
    assert consumer.timeouts_ms == [int(reader_module.OFFSETS_ATTEMPT_S * 1000)] * 3


def test_past_the_deadline_it_is_a_log_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader_module, "OFFSETS_TIMEOUT_S", 0.0)
    consumer = Consumer(stale=10)
    with pytest.raises(LogError, match=r"reading the end of impact\.events: KafkaTimeoutError"):
        reader_over(consumer).end_offsets()
    assert len(consumer.timeouts_ms) == 1


class NoPosition(Consumer):
    def position(self, tp: TopicPartition, timeout_ms: int) -> None:
        self.timeouts_ms.append(timeout_ms)
        return None


def test_a_position_still_unknown_at_the_deadline_is_a_log_error_not_a_hang() -> None:
    consumer = NoPosition(stale=0)
    with pytest.raises(LogError, match=r"position in impact\.events\[0\] was still unknown"):
        reader_over(consumer).caught_up({0: 7, 1: 7})
    assert consumer.timeouts_ms == [int(reader_module.OFFSETS_TIMEOUT_S * 1000)]
