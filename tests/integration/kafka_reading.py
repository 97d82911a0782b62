"""Reading a whole topic back, for assertions."""

from kafka import TopicPartition

from impact.contract import EventEnvelope
from impact.ingest.kafka import committed_reader
from impact.settings import Settings


def read_envelopes(settings: Settings) -> list[tuple[int, int, EventEnvelope]]:
    """Every committed record of the events topic as (partition, offset, envelope)."""
    consumer = committed_reader(settings, client_id="test-reader")
    try:
        parts = consumer.partitions_for_topic(settings.events_topic) or set()
        tps = [TopicPartition(settings.events_topic, p) for p in sorted(parts)]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        found: list[tuple[int, int, EventEnvelope]] = []
        while any(consumer.position(tp) < ends[tp] for tp in tps):
            for records in consumer.poll(timeout_ms=1000).values():
                found.extend((r.partition, r.offset, EventEnvelope.from_bytes(r.value)) for r in records)
        return found
    finally:
        consumer.close()
