"""Does ClickHouse hold what Kafka holds, and Kafka what the event store holds?

Offsets of a transactional topic are not dense: every commit (and abort) writes a
control record that takes an offset but is never handed to a consumer. So "the loaded
offsets are contiguous" means: no offset is stored twice, and every gap between the
stored offsets of a partition holds no committed data record in Kafka. A gap is
checked by seeking a ``read_committed`` reader into it: the first record it hands
out must lie at or beyond the gap's end.
"""

from dataclasses import dataclass
from itertools import pairwise

from impact.kafka import TopicReader
from impact.projections.store import ProjectionStore
from impact.settings import KafkaConnection


@dataclass(frozen=True)
class PartitionSpan:
    partition: int
    first: int
    last: int
    rows: int
    distinct_offsets: int
    gaps: tuple[tuple[int, int], ...]
    """Half-open ranges of offsets [start, end) that no stored row has, between first and last."""

    @property
    def doubled(self) -> int:
        return self.rows - self.distinct_offsets

    @property
    def dense(self) -> bool:
        return self.rows == self.last - self.first + 1


def loaded_spans(store: ProjectionStore, topic: str) -> list[PartitionSpan]:
    rows = store.rows(
        "SELECT partition, min(offset), max(offset), count(), uniqExact(offset),"
        " arraySort(groupUniqArray(offset)) FROM {db}.raw_events WHERE topic = {t:String}"
        " GROUP BY partition ORDER BY partition",
        t=topic,
    )
    spans = []
    for partition, first, last, count, distinct, offsets in rows:
        gaps = tuple((int(a) + 1, int(b)) for a, b in pairwise(offsets) if b - a > 1)
        spans.append(
            PartitionSpan(int(partition), int(first), int(last), int(count), int(distinct), gaps)
        )
    return spans


PROBES_AT_MOST = 16
"""Gaps of one partition probed one by one at most; beyond that, one sequential read of the
partition across them is cheaper (each probe is a seek and a fetch: small transactions make
a gap every few records)."""


def records_in(
    kafka: KafkaConnection, topic: str, ranges: dict[int, list[tuple[int, int]]]
) -> dict[int, list[int]]:
    """For each partition of ``topic``, the offsets of committed data records inside the given
    ranges (half-open, sorted, not overlapping)."""
    found: dict[int, list[int]] = {}
    if not any(ranges.values()):
        return found
    with TopicReader(kafka, topic, "impact-reconcile", max_records=1) as reader:
        for partition, spans in sorted(ranges.items()):
            if not spans:
                continue
            reader.assign(partitions=[partition])
            if len(spans) > PROBES_AT_MOST:
                inside = _records_read_across(reader, partition, sorted(spans))
            else:
                inside = []
                for start, end in spans:
                    offset = _first_record_from(reader, partition, start, end)
                    if offset is not None and offset < end:
                        inside.append(offset)
            if inside:
                found[partition] = inside
    return found


def _records_read_across(
    reader: TopicReader, partition: int, spans: list[tuple[int, int]]
) -> list[int]:
    """The offsets of the records inside ``spans``, read in one pass from the first span's
    start to the last one's end."""
    start, end = spans[0][0], spans[-1][1]
    reader.seek(partition, start)
    inside: list[int] = []
    at, idle = 0, 0
    while reader.position(partition) < end and idle < 6:
        fetched = reader.poll(max_records=10_000)
        idle = 0 if fetched else idle + 1
        for records in fetched.values():
            for record in records:
                offset = record.offset
                while at < len(spans) and spans[at][1] <= offset:
                    at += 1
                if at == len(spans):
                    return inside
                if spans[at][0] <= offset:
                    inside.append(int(offset))
    return inside


def _first_record_from(reader: TopicReader, partition: int, start: int, end: int) -> int | None:
    reader.seek(partition, start)
    for _ in range(6):
        for records in reader.poll().values():
            if records:
                return int(records[0].offset)
        if reader.position(partition) >= end:
            return None
    return None


def kafka_end_offsets(kafka: KafkaConnection, topic: str) -> dict[int, int]:
    with TopicReader(kafka, topic, "impact-reconcile-ends") as reader:
        return reader.end_offsets(reader.partitions())


def unloaded_records(
    kafka: KafkaConnection, topic: str, next_positions: dict[int, int]
) -> dict[int, list[int]]:
    """Committed records of ``topic`` at or after the position ClickHouse would load next."""
    ends = kafka_end_offsets(kafka, topic)
    return records_in(
        kafka,
        topic,
        {
            p: [(next_positions.get(p, 0), end)]
            for p, end in ends.items()
            if end > next_positions.get(p, 0)
        },
    )


def quarantined(
    store: ProjectionStore, limit: int = 20
) -> tuple[int, list[tuple[int, int, str, str]]]:
    """How many records the quarantine view lists, and the first ``limit`` of them
    (partition, offset, type, reason)."""
    total = int(store.rows("SELECT count() FROM {db}.quarantine")[0][0])
    rows = store.rows(
        "SELECT partition, offset, type, reason FROM {db}.quarantine"
        " ORDER BY partition, offset LIMIT {n:UInt32}",
        n=limit,
    )
    return total, [(int(p), int(o), str(t), str(r)) for p, o, t, r in rows]
