"""What the cluster trials share: the three-node cluster on free ports, a ledger's settings on
it, waiting for a condition while nodes come and go, reading the events topic's ends."""

import time
import uuid
from collections.abc import Callable
from pathlib import Path

from impact.kafka import TopicReader
from impact.settings import Settings
from impact_dev.cluster import LocalCluster


def wait_for(predicate: Callable[[], object], timeout: float, what: str) -> float:
    """Seconds until ``predicate()`` holds; a predicate that raises (a node away) is asked again."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if predicate():
                return time.monotonic() - started
        except Exception:
            pass
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def ledger_settings(cluster: LocalCluster, state: Path, **more: object) -> Settings:
    """A ledger of its own on the cluster: state folder, topics at three replicas."""
    tag = uuid.uuid4().hex[:8]
    return Settings(
        **more,  # type: ignore[arg-type]  # by the fields' names
        state_dir=state,
        kafka_bootstrap_servers=cluster.bootstrap,
        kafka_credentials=cluster.settings.kafka_credentials_dir,
        replication_factor=3,
        events_topic=f"cluster.events.{tag}",
        submissions_topic=f"cluster.submissions.{tag}",
        rejections_topic=f"cluster.rejected.{tag}",
        relay_transactional_id=f"cluster-relay-{tag}",
    )


def published_ids(settings: Settings, isolation: str) -> set[int]:
    """The notification ids on the events topic, read committed or not."""
    from kafka import KafkaConsumer, TopicPartition

    from impact.contract.events import NOTIFICATION_HEADER
    from impact.kafka import client_config

    consumer = KafkaConsumer(
        **client_config(settings.kafka), isolation_level=isolation, enable_auto_commit=False
    )
    try:
        partitions = [
            TopicPartition(settings.events_topic, p)
            for p in consumer.partitions_for_topic(settings.events_topic) or ()
        ]
        consumer.assign(partitions)
        consumer.seek_to_beginning()
        ends = consumer.end_offsets(partitions)
        ids: set[int] = set()
        deadline = time.monotonic() + 60
        while any(consumer.position(p) < ends[p] for p in partitions):
            assert time.monotonic() < deadline, "reading the events topic took over 60 s"
            for records in consumer.poll(timeout_ms=500).values():
                for record in records:
                    headers = dict(record.headers or [])
                    if NOTIFICATION_HEADER in headers:
                        ids.add(int(headers[NOTIFICATION_HEADER]))
        return ids
    finally:
        consumer.close()


def end_offsets(settings: Settings, topic: str | None = None) -> dict[int, int]:
    """The end offset of each partition of ``topic`` (the events topic by default)."""
    with TopicReader(settings.kafka, topic or settings.events_topic, "cluster-test") as reader:
        ends = reader.end_offsets(reader.partitions())
    return {int(partition): int(end) for partition, end in ends.items()}
