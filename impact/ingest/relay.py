"""The relay: the event store's notification log, published to ``impact.events`` exactly once.

How exactly-once holds, with no second store for the position:

* One transactional producer (a fixed ``transactional.id``) publishes a batch of
  notifications inside one Kafka transaction. Starting it fences any older relay
  with the same id and aborts the transaction a crashed one left open.
* Every record carries its notification id in a header, but the relay resumes only
  from what it can vouch for (``impact.ingest.resume``): its last checkpoint signed by
  the platform key and checked against the event store, then the records after it that
  are byte for byte what it would write from the store. A batch either committed (with
  its checkpoint) or not (and is sent again), so nothing is lost and nothing doubled;
  a record someone else wrote is reported as foreign and never moves the position.
* A batch is committed only once every one of its records is acknowledged by its
  partition's in-sync replicas (acks=all): kafka-python would otherwise commit a
  transaction a record of which failed (its partition's leader killed mid-send), and the
  position would move past records the log never got. A record not acknowledged in
  ``RECORD_ACK_SECONDS`` stops the producer; the relay starts again from what it can vouch
  for (tests/integration/test_cluster.py kills a leader of a three-node cluster for this).
* Records are keyed by aggregate id, so each aggregate's events stay in order in
  one partition.
* Envelopes on ``impact.events`` are links of a hash chain in notification-id order,
  and each batch's transaction also carries a checkpoint signed by the platform key
  (``impact.contract.chain`` explains both). The chain's head comes from the same
  signed checkpoint, so it survives restarts and crashes with the position.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic
from kafka import KafkaProducer

from impact.contract.chain import PlatformKey, chained
from impact.contract.events import NOTIFICATION_HEADER, envelope_for, notification_id_in
from impact.domain.submission import Rejection
from impact.ingest.resume import Vouched
from impact.kafka import (
    TopicReader,
    close_producer,
    end_transaction,
    ensure_topics,
    kafka_errors,
    transactional_producer,
)
from impact.ledger import Ledger
from impact.settings import KafkaConnection, RelayOptions, Topics

log = logging.getLogger(__name__)


@dataclass
class RelayStats:
    resumed_after: int = 0
    published: int = 0
    batches: int = 0
    last_notification_id: int = 0
    foreign: int = 0
    """Records found on the topic after the relay's last checkpoint that it did not write."""


def highest_published(kafka: KafkaConnection, topic: str) -> int:
    """The highest notification id committed to a topic (0 when empty)."""
    return published_head(kafka, topic)[0]


def published_head(kafka: KafkaConnection, topic: str) -> tuple[int, bytes | None]:
    """The highest notification id committed to a topic, and the value of its record."""
    with TopicReader(kafka, topic, "impact-relay-resume") as reader:
        partitions = reader.partitions()
        ends, begins = reader.end_offsets(partitions), reader.beginning_offsets(partitions)
        return max(
            (_tail_head(reader, p, ends[p], begins[p]) for p in partitions if ends[p] > begins[p]),
            default=(0, None),
            key=lambda head: head[0],
        )


def _tail_head(
    reader: TopicReader, partition: int, end: int, begin: int
) -> tuple[int, bytes | None]:
    """The highest notification id among committed records in the tail of one partition, and
    that record's value."""
    reader.assign(partitions=[partition])
    window = 64
    while True:
        start = max(begin, end - window)
        reader.seek(partition, start)
        highest, value = 0, None
        for record in reader.read_to({partition: end}, timeout=30):
            notification_id = notification_id_in(record.headers) or 0
            if notification_id > highest:
                highest, value = notification_id, record.value
        if highest or start == begin:
            return highest, value
        window *= 8


Record = tuple[bytes, bytes, list[tuple[str, bytes]]]


@dataclass(frozen=True)
class Route:
    """Which stored events go to which topic, and as what record.

    ``to_record`` gets the hash of the link before (for a chained route) and returns
    the record and the new link's hash. A route with a ``checkpoints_topic`` publishes
    a signed checkpoint of its chain with every batch.
    """

    topic: str
    transactional_id: str
    to_record: Callable[[Notification, Any, str], tuple[Record, str]]
    event_topics: tuple[str, ...] = ()
    checkpoints_topic: str | None = None


def envelope_record(notification: Notification, event: Any, prev_hash: str) -> tuple[Record, str]:
    envelope = chained(envelope_for(notification.id, event), prev_hash)
    record = (
        str(envelope.aggregate_id).encode(),
        envelope.to_bytes(),
        [("type", envelope.type.encode())],
    )
    return record, envelope.hash or prev_hash


def rejection_record(notification: Notification, event: Any, prev_hash: str) -> tuple[Record, str]:
    """A rejection as agencies read it on ``impact.submissions.rejected``."""
    message = {
        "rejection_id": str(event.originator_id),
        "code": event.code,
        "message": event.message,
        "source": {
            "topic": event.source_topic,
            "partition": event.source_partition,
            "offset": event.source_offset,
        },
        "submission_id": event.submission_id,
        "agency": event.agency,
        "original_base64": event.original,
        "original_size": event.original_size,
        "recorded_at": event.timestamp.isoformat(),
    }
    key = f"{event.source_topic}:{event.source_partition}:{event.source_offset}".encode()
    return (key, orjson.dumps(message), [("code", event.code.encode())]), prev_hash


def events_route(topics: Topics, options: RelayOptions) -> Route:
    return Route(
        topics.events,
        options.transactional_id,
        envelope_record,
        checkpoints_topic=topics.checkpoints,
    )


def rejections_route(topics: Topics, options: RelayOptions) -> Route:
    return Route(
        topics.rejections,
        f"{options.transactional_id}-rejections",
        rejection_record,
        event_topics=(get_topic(Rejection.Recorded),),
    )


RECORD_ACK_SECONDS = 30.0
"""How long a batch's records may take to be acknowledged (acks=all) before the relay gives
up on its producer and starts again from what the log holds."""


class Relay:
    """Publishes stored domain events to a topic (``impact.events`` by default), once, in order."""

    def __init__(
        self,
        ledger: Ledger,
        kafka: KafkaConnection,
        topics: Topics,
        options: RelayOptions,
        batch_size: int | None = None,
        route: Route | None = None,
    ) -> None:
        self.ledger = ledger
        self.kafka = kafka
        self.topics = topics
        self.options = options
        self.batch_size = batch_size or options.batch_size
        self.route = route or events_route(topics, options)
        self.stats = RelayStats()

    def _vouched(self) -> Vouched:
        self._signer = (
            PlatformKey.load_or_create(self.options.platform_key_path)
            if self.route.checkpoints_topic
            else None
        )
        return Vouched(
            self.ledger,
            self.kafka,
            self.route.topic,
            self.route.to_record,
            self.route.event_topics,
            self.route.checkpoints_topic,
            self._signer,
        )

    def published_position(self) -> int:
        """The highest notification id the relay can vouch is published (its signed chain,
        checked against the event store); never a record's unverified header. Publishes
        nothing."""
        ensure_topics(self.kafka, self.topics)
        return self._vouched().resume().position

    def start(self) -> None:
        """Create topics, fence older relays with the same id, find where to resume."""
        ensure_topics(self.kafka, self.topics, self.options.transactional_id)
        vouched = self._vouched()
        self._producer = transactional_producer(self.kafka, self.route.transactional_id)
        try:
            resumed = vouched.resume()
        except BaseException:
            self.close()
            raise
        self._position, self._head = resumed.position, resumed.head
        for record in resumed.foreign:
            log.warning(
                "%s%s is not a record of the platform's chain (notification_id header %s); "
                "reported and not adopted",
                self.route.topic,
                record.place,
                record.notification_id,
            )
        self.stats.foreign = len(resumed.foreign)
        self.stats.resumed_after = self.stats.last_notification_id = self._position
        log.info("relay to %s resumes after notification %d", self.route.topic, self._position)

    def close(self) -> None:
        producer, self._producer = getattr(self, "_producer", None), None
        if producer is None:
            return
        try:
            close_producer(producer)  # records it could not deliver: fenced by the next one
        except Exception:
            log.warning("closing the relay's producer failed", exc_info=True)

    def publish_available(self, on_batch: Callable[[RelayStats], None] | None = None) -> int:
        """Publish everything stored after the position; return how many were published."""
        published = 0
        while True:
            page = self.ledger.notifications(
                self._position + 1, self.batch_size, self.route.event_topics
            )
            if not page:
                return published
            self._publish(page)
            published += len(page)
            if on_batch:
                on_batch(self.stats)

    def _publish(self, page: list[Notification]) -> None:
        producer, route = self._producer, self.route
        with kafka_errors(f"publishing notifications {page[0].id}..{page[-1].id} to {route.topic}"):
            producer.begin_transaction()
            head = self._head
            sent = []
            acknowledged, committing = True, False
            try:
                for notification in page:
                    event = self.ledger.mapper.to_domain_event(notification)
                    (key, value, headers), head = route.to_record(notification, event, head)
                    sent.append(
                        producer.send(
                            route.topic,
                            key=key,
                            value=value,
                            headers=[
                                (NOTIFICATION_HEADER, str(notification.id).encode()),
                                *headers,
                            ],
                        )
                    )
                if route.checkpoints_topic and self._signer is not None:
                    checkpoint = self._signer.sign_checkpoint(route.topic, page[-1].id, head)
                    sent.append(
                        producer.send(
                            route.checkpoints_topic,
                            key=route.topic.encode(),
                            value=checkpoint.to_bytes(),
                            headers=[(NOTIFICATION_HEADER, str(page[-1].id).encode())],
                        )
                    )
                # Every record acknowledged before the commit: kafka-python commits a
                # transaction even when a record of it failed (its partition's leader died
                # mid-send), and the commit would vouch for records the log never got. A
                # record that is not acknowledged in time stops this producer: aborting
                # would wait on it too; the next producer's start fences the transaction.
                acknowledged = False
                for record in sent:
                    record.get(timeout=RECORD_ACK_SECONDS)
                acknowledged = True
                committing = True
                end_transaction(producer, commit=True)
            except BaseException:
                # A commit that had no answer in time cannot be aborted either: the next
                # producer's start fences this one and settles the transaction.
                if acknowledged and not committing:
                    _abort_quietly(producer)
                raise
        self._head = head
        self._position = page[-1].id
        self.stats.published += len(page)
        self.stats.batches += 1
        self.stats.last_notification_id = self._position

    def run(
        self,
        until_idle: bool = False,
        poll_interval: float = 0.1,
        on_batch: Callable[[RelayStats], None] | None = None,
        stop: Callable[[], bool] = lambda: False,
    ) -> RelayStats:
        self.start()
        try:
            while not stop():
                if not self.publish_available(on_batch) and until_idle:
                    break
                if not until_idle:
                    # Looking for new notifications is one indexed query: every 0.1 s keeps
                    # a submission's way to the projections short (see `impact bench`).
                    time.sleep(poll_interval)
            return self.stats
        finally:
            self.close()


def _abort_quietly(producer: KafkaProducer) -> None:
    try:
        end_transaction(producer, commit=False)
    except Exception:  # the original error matters more than a failed abort
        log.warning("aborting the relay transaction failed", exc_info=True)
