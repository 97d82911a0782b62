"""Reading a topic of the ledger end to end, as an auditor does: committed records only."""

from collections.abc import Iterator
from dataclasses import dataclass

from impact.contract.events import notification_id_in
from impact.kafka import ConsumerRecord, TopicReader, read_topic_records
from impact.settings import KafkaConnection


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


def _log_record(topic: str, r: ConsumerRecord) -> LogRecord:
    return LogRecord(topic, r.partition, r.offset, notification_id_in(r.headers), r.value or b"")


def read_topic(kafka: KafkaConnection, topic: str, timeout: float = 120.0) -> Iterator[LogRecord]:
    """Every committed record of ``topic`` up to its end when reading began, partition by
    partition in offset order. A missing topic reads as empty."""
    for record in read_topic_records(kafka, topic, "impact-audit", timeout, max_records=5000):
        yield _log_record(topic, record)


def fetch_record(
    kafka: KafkaConnection, topic: str, partition: int, offset: int
) -> LogRecord | None:
    """The committed record at one position, or None."""
    with TopicReader(kafka, topic, "impact-audit-fetch", max_records=1) as reader:
        reader.assign({partition: offset}, partitions=[partition])
        for record in reader.read_to(reader.end_offsets(), timeout=30):
            if record.offset == offset:
                return _log_record(topic, record)
            if record.offset > offset:
                return None
        return None
