"""The loader: ``impact.events`` into ClickHouse ``raw_events``, each record once.

Each row keeps its partition and offset. The loader resumes from the highest
offset stored per partition (the position lives with the data, so a crash between
the INSERT and anything else can neither lose nor double a record), and each
INSERT carries a deduplication token naming its partition and offset range, so a
retried INSERT is stored once. A record that is not a valid envelope goes to
``raw_events`` with ``error`` set and its bytes as text, and loading goes on.
Each row keeps the envelope's hash-chain fields (``prev_hash``, ``hash``).

``recorded_until`` makes a loader for auditors' replays: it keeps only the events
recorded by that time (the log as it stood then) and skips the rest.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import orjson
from kafka import TopicPartition

from impact.contract.events import EventEnvelope
from impact.errors import ContractError
from impact.ingest.kafka import committed_reader, kafka_errors
from impact.projections.schema import create_schema
from impact.projections.store import ProjectionStore
from impact.settings import Settings

log = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

RAW_COLUMNS = (
    "topic", "partition", "offset", "event_id", "notification_id", "type", "schema_version",
    "aggregate_type", "aggregate_id", "aggregate_version", "occurred_at", "recorded_at",
    "actor", "payload", "error", "prev_hash", "hash",
)


@dataclass
class LoadStats:
    loaded: int = 0
    unreadable: int = 0
    skipped: int = 0
    batches: int = 0
    caught_up: bool = False


def loaded_positions(store: ProjectionStore, topic: str) -> dict[int, int]:
    """Next offset to read per partition, from what is already stored."""
    rows = store.rows(
        "SELECT partition, max(offset) FROM {db}.raw_events WHERE topic = {t:String}"
        " GROUP BY partition",
        t=topic,
    )
    return {int(p): int(o) + 1 for p, o in rows}


def _row(topic: str, record: Any, envelope: EventEnvelope) -> list[Any]:
    return [
        topic, record.partition, record.offset, envelope.event_id, envelope.notification_id,
        envelope.type, envelope.schema_version, envelope.aggregate_type, envelope.aggregate_id,
        envelope.aggregate_version, envelope.occurred_at, envelope.recorded_at, envelope.actor,
        orjson.dumps(envelope.payload).decode(), "", envelope.prev_hash or "", envelope.hash or "",
    ]


def _unreadable_row(topic: str, record: Any, error: str) -> list[Any]:
    raw = record.value.decode("utf-8", "backslashreplace") if record.value else ""
    return [
        topic, record.partition, record.offset, UUID(int=0), 0, "", 0, "", UUID(int=0), 0,
        EPOCH, EPOCH, "", raw, error[:2000] or "unreadable", "", "",
    ]


class Loader:
    def __init__(
        self, store: ProjectionStore, settings: Settings, batch_size: int = 5000,
        recorded_until: datetime | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.topic = settings.events_topic
        self.batch_size = batch_size
        self.recorded_until = recorded_until
        self.stats = LoadStats()

    def run(
        self,
        until_idle: bool = True,
        on_batch: Callable[[LoadStats], None] | None = None,
        stop: Callable[[], bool] = lambda: False,
        max_idle_polls: int = 2,
    ) -> LoadStats:
        create_schema(self.store)
        consumer = committed_reader(self.settings, client_id="impact-loader")
        try:
            with kafka_errors(f"assigning {self.topic}"):
                partitions = consumer.partitions_for_topic(self.topic) or set()
                tps = [TopicPartition(self.topic, p) for p in sorted(partitions)]
                consumer.assign(tps)
                positions = loaded_positions(self.store, self.topic)
                for tp in tps:
                    if tp.partition in positions:
                        consumer.seek(tp, positions[tp.partition])
                    else:
                        consumer.seek_to_beginning(tp)
            idle = 0
            while not stop():
                with kafka_errors(f"reading {self.topic}"):
                    fetched = consumer.poll(timeout_ms=500, max_records=self.batch_size)
                if not fetched:
                    if until_idle and self._caught_up(consumer, tps):
                        idle += 1
                        if idle >= max_idle_polls:
                            self.stats.caught_up = True
                            break
                    continue
                idle = 0
                for tp, records in sorted(fetched.items()):
                    self._store_batch(tp, records)
                self.stats.batches += 1
                if on_batch:
                    on_batch(self.stats)
            return self.stats
        finally:
            consumer.close()

    def _caught_up(self, consumer: Any, tps: list[TopicPartition]) -> bool:
        with kafka_errors(f"reading the end of {self.topic}"):
            ends = consumer.end_offsets(tps)
            return all(consumer.position(tp) >= ends[tp] for tp in tps)

    def _store_batch(self, tp: TopicPartition, records: list[Any]) -> None:
        rows: list[list[Any]] = []
        for record in records:
            try:
                envelope = EventEnvelope.from_bytes(record.value)
                if self.recorded_until is not None and envelope.recorded_at > self.recorded_until:
                    self.stats.skipped += 1
                    continue
                rows.append(_row(self.topic, record, envelope))
                self.stats.loaded += 1
            except ContractError as exc:
                log.warning("unreadable record %s[%d]@%d: %s", tp.topic, tp.partition, record.offset, exc)
                rows.append(_unreadable_row(self.topic, record, str(exc)))
                self.stats.unreadable += 1
        if not rows:
            return
        token = f"{self.topic}:{tp.partition}:{records[0].offset}-{records[-1].offset}"
        self.store.insert("raw_events", rows, RAW_COLUMNS, token)


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
