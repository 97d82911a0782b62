"""Reading a whole topic back, for assertions."""

from typing import Any

import orjson
from kafka import TopicPartition

from impact.contract import EventEnvelope
from impact.ingest.kafka import committed_reader
from impact.settings import Settings


def read_records(settings: Settings, topic: str) -> list[Any]:
    """Every committed record of a topic, in partition and offset order."""
    consumer = committed_reader(settings, client_id="test-reader")
    try:
        parts = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        found: list[Any] = []
        while any(consumer.position(tp) < ends[tp] for tp in tps):
            for records in consumer.poll(timeout_ms=1000).values():
                found.extend(records)
        return sorted(found, key=lambda r: (r.partition, r.offset))
    finally:
        consumer.close()


def read_envelopes(settings: Settings) -> list[tuple[int, int, EventEnvelope]]:
    """Every committed record of the events topic as (partition, offset, envelope)."""
    return [
        (r.partition, r.offset, EventEnvelope.from_bytes(r.value))
        for r in read_records(settings, settings.events_topic)
    ]


def read_rejections(settings: Settings) -> list[dict[str, Any]]:
    return [orjson.loads(r.value) for r in read_records(settings, settings.rejections_topic)]
