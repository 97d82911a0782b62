"""Reading a whole topic back, for assertions."""

from typing import Any

import orjson

from impact.contract import EventEnvelope
from impact.kafka import read_topic_records
from impact.settings import Settings


def read_records(settings: Settings, topic: str) -> list[Any]:
    """Every committed record of a topic, in partition and offset order."""
    return list(read_topic_records(settings.kafka, topic, "test-reader"))


def read_envelopes(settings: Settings) -> list[tuple[int, int, EventEnvelope]]:
    """Every committed record of the events topic as (partition, offset, envelope)."""
    return [
        (r.partition, r.offset, EventEnvelope.from_bytes(r.value))
        for r in read_records(settings, settings.events_topic)
    ]


def read_rejections(settings: Settings) -> list[dict[str, Any]]:
    return [orjson.loads(r.value) for r in read_records(settings, settings.rejections_topic)]
