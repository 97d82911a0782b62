"""The relay: the event store's notification log, published to ``impact.events`` exactly once.

How exactly-once holds, with no second store for the position:

* One transactional producer (a fixed ``transactional.id``) publishes a batch of
  notifications inside one Kafka transaction. Starting it fences any older relay
  with the same id and aborts the transaction a crashed one left open.
* Every record carries its notification id in a header. After ``init_transactions``
  the relay reads, with ``read_committed``, the tail of every partition and takes
  the highest notification id there: that is what the log already holds, so it
  resumes right after it. A batch either committed (and is seen) or not (and is
  sent again), so nothing is lost and nothing doubled.
* Records are keyed by aggregate id, so each aggregate's events stay in order in
  one partition.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from kafka import KafkaConsumer, TopicPartition

from impact.contract import envelope_for
from impact.errors import LogError
from impact.ingest.kafka import committed_reader, ensure_topics, kafka_errors, transactional_producer
from impact.ledger import Ledger
from impact.settings import Settings

log = logging.getLogger(__name__)

NOTIFICATION_HEADER = "notification_id"


@dataclass
class RelayStats:
    resumed_after: int = 0
    published: int = 0
    batches: int = 0
    last_notification_id: int = 0


def _tail_notification_id(consumer: KafkaConsumer, tp: TopicPartition, end: int, begin: int) -> int:
    """The highest notification id among committed records in the tail of one partition."""
    window = 64
    while True:
        start = max(begin, end - window)
        consumer.seek(tp, start)
        highest = 0
        deadline = time.monotonic() + 30
        while consumer.position(tp) < end:
            if time.monotonic() > deadline:
                raise LogError(f"reading the tail of {tp.topic}[{tp.partition}] timed out")
            for records in consumer.poll(timeout_ms=500).values():
                for record in records:
                    headers = dict(record.headers or [])
                    if NOTIFICATION_HEADER in headers:
                        highest = max(highest, int(headers[NOTIFICATION_HEADER]))
        if highest or start == begin:
            return highest
        window *= 8


def highest_published(settings: Settings) -> int:
    """The highest notification id committed to the events topic (0 when empty)."""
    consumer = committed_reader(settings, client_id="impact-relay-resume")
    try:
        with kafka_errors(f"reading the tail of {settings.events_topic}"):
            partitions = consumer.partitions_for_topic(settings.events_topic) or set()
            tps = [TopicPartition(settings.events_topic, p) for p in sorted(partitions)]
            consumer.assign(tps)
            ends = consumer.end_offsets(tps)
            begins = consumer.beginning_offsets(tps)
            return max(
                (_tail_notification_id(consumer, tp, ends[tp], begins[tp]) for tp in tps
                 if ends[tp] > begins[tp]),
                default=0,
            )
    finally:
        consumer.close()


class Relay:
    """Publishes every stored domain event to ``impact.events``, once, in order."""

    def __init__(self, ledger: Ledger, settings: Settings, batch_size: int = 500) -> None:
        self.ledger = ledger
        self.settings = settings
        self.batch_size = batch_size
        self.stats = RelayStats()

    def run(
        self,
        until_idle: bool = False,
        poll_interval: float = 0.5,
        on_batch: Callable[[RelayStats], None] | None = None,
        stop: Callable[[], bool] = lambda: False,
    ) -> RelayStats:
        ensure_topics(self.settings)
        producer = transactional_producer(self.settings, self.settings.relay_transactional_id)
        try:
            position = highest_published(self.settings)
            self.stats.resumed_after = self.stats.last_notification_id = position
            log.info("relay resumes after notification %d", position)
            while not stop():
                page = self.ledger.notifications(position + 1, self.batch_size)
                if not page:
                    if until_idle:
                        break
                    time.sleep(poll_interval)
                    continue
                with kafka_errors(f"publishing notifications {page[0].id}..{page[-1].id}"):
                    producer.begin_transaction()
                    try:
                        for notification in page:
                            event = self.ledger.mapper.to_domain_event(notification)
                            envelope = envelope_for(notification.id, event)
                            producer.send(
                                self.settings.events_topic,
                                key=str(envelope.aggregate_id).encode(),
                                value=envelope.to_bytes(),
                                headers=[
                                    (NOTIFICATION_HEADER, str(notification.id).encode()),
                                    ("type", envelope.type.encode()),
                                ],
                            )
                        producer.commit_transaction()
                    except BaseException:
                        _abort_quietly(producer)
                        raise
                position = page[-1].id
                self.stats.published += len(page)
                self.stats.batches += 1
                self.stats.last_notification_id = position
                if on_batch:
                    on_batch(self.stats)
            return self.stats
        finally:
            producer.close(timeout=5)


def _abort_quietly(producer: object) -> None:
    try:
        producer.abort_transaction()  # type: ignore[attr-defined]
    except Exception:  # the original error matters more than a failed abort
        log.warning("aborting the relay transaction failed", exc_info=True)
