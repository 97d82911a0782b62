"""Reading a topic of the ledger end to end, as an auditor does: committed records only."""

import time
from collections.abc import Iterator
from dataclasses import dataclass

from kafka import TopicPartition

from impact.errors import LogError
from impact.ingest.kafka import committed_reader, kafka_errors
from impact.settings import Settings

NOTIFICATION_HEADER = "notification_id"


@dataclass(frozen=True)
class LogRecord:
    topic: str
    partition: int
    offset: int
    notification_id: int | None
    value: bytes

    @property
    def where(self) -> str:
        return f"{self.topic}[{self.partition}]@{self.offset}"


def _notification_id(headers: list[tuple[str, bytes]] | None) -> int | None:
    for name, value in headers or []:
        if name == NOTIFICATION_HEADER:
            try:
                return int(value)
            except ValueError:
                return None
    return None


def read_topic(settings: Settings, topic: str, timeout: float = 120.0) -> Iterator[LogRecord]:
    """Every committed record of ``topic`` up to its end when reading began, partition by
    partition in offset order. A missing topic reads as empty."""
    consumer = committed_reader(settings, client_id="impact-audit")
    try:
        with kafka_errors(f"reading {topic}"):
            partitions = sorted(consumer.partitions_for_topic(topic) or set())
            for partition in partitions:
                tp = TopicPartition(topic, partition)
                consumer.assign([tp])
                consumer.seek_to_beginning(tp)
                end = consumer.end_offsets([tp])[tp]
                deadline = time.monotonic() + timeout
                while consumer.position(tp) < end:
                    if time.monotonic() > deadline:
                        raise LogError(f"reading {topic}[{partition}] timed out at offset "
                                       f"{consumer.position(tp)} of {end}")
                    for records in consumer.poll(timeout_ms=500, max_records=5000).values():
                        for r in records:
                            yield LogRecord(topic, r.partition, r.offset,
                                            _notification_id(r.headers), r.value or b"")
    finally:
        consumer.close()


def fetch_record(settings: Settings, topic: str, partition: int, offset: int) -> LogRecord | None:
    """The committed record at one position, or None."""
    consumer = committed_reader(settings, client_id="impact-audit-fetch")
    try:
        with kafka_errors(f"reading {topic}[{partition}]@{offset}"):
            tp = TopicPartition(topic, partition)
            consumer.assign([tp])
            consumer.seek(tp, offset)
            end = consumer.end_offsets([tp])[tp]
            deadline = time.monotonic() + 30
            while consumer.position(tp) < end and time.monotonic() < deadline:
                for records in consumer.poll(timeout_ms=500, max_records=1).values():
                    for r in records:
                        if r.offset == offset:
                            return LogRecord(topic, r.partition, r.offset,
                                             _notification_id(r.headers), r.value or b"")
                        if r.offset > offset:
                            return None
            return None
    finally:
        consumer.close()
