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
* Envelopes on ``impact.events`` are links of a hash chain in notification-id order,
  and each batch's transaction also carries a checkpoint signed by the platform key
  (``impact.contract.chain`` explains both). The chain's head is the ``hash`` of the
  record the relay resumes after, so it survives restarts and crashes with the position.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic

from impact.contract.chain import GENESIS, PlatformKey, chained
from impact.contract.events import NOTIFICATION_HEADER, envelope_for, notification_id_in
from impact.domain.submission import Rejection
from impact.kafka import TopicReader, ensure_topics, kafka_errors, transactional_producer
from impact.ledger import Ledger
from impact.settings import KafkaConnection, RelayOptions, Topics

log = logging.getLogger(__name__)


@dataclass
class RelayStats:
    resumed_after: int = 0
    published: int = 0
    batches: int = 0
    last_notification_id: int = 0


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


def chain_head_of(value: bytes | None) -> str | None:
    """The ``hash`` a published envelope carries (None for one published before the chain)."""
    try:
        found = orjson.loads(value or b"null")
    except orjson.JSONDecodeError:
        return None
    head = found.get("hash") if isinstance(found, dict) else None
    return head if isinstance(head, str) else None


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

    def start(self) -> None:
        """Create topics, fence older relays with the same id, find where to resume."""
        ensure_topics(self.kafka, self.topics)
        self._signer = (
            PlatformKey.load_or_create(self.options.platform_key_path)
            if self.route.checkpoints_topic
            else None
        )
        self._producer = transactional_producer(self.kafka, self.route.transactional_id)
        try:
            self._position, tail = published_head(self.kafka, self.route.topic)
            self._head = chain_head_of(tail) or self._head_from_store(self._position)
        except BaseException:
            self.close()
            raise
        self.stats.resumed_after = self.stats.last_notification_id = self._position
        log.info("relay to %s resumes after notification %d", self.route.topic, self._position)

    def _head_from_store(self, position: int) -> str:
        """The chain's head after ``position``, computed from the event store.

        Only for a log whose last record predates the chain: its records are linked
        by their content, as a verifier links them.
        """
        head = GENESIS
        if not self.route.checkpoints_topic or position == 0:
            return head
        log.info(
            "the tail of %s carries no chain hash; linking 1..%d from the event store",
            self.route.topic,
            position,
        )
        start = 1
        while start <= position:
            page = self.ledger.notifications(start, 1000, self.route.event_topics)
            for notification in page:
                if notification.id > position:
                    return head
                _, head = self.route.to_record(
                    notification, self.ledger.mapper.to_domain_event(notification), head
                )
            if not page:
                break
            start = page[-1].id + 1
        return head

    def close(self) -> None:
        producer, self._producer = getattr(self, "_producer", None), None
        if producer is not None:
            producer.close(timeout=5)

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
            try:
                for notification in page:
                    event = self.ledger.mapper.to_domain_event(notification)
                    (key, value, headers), head = route.to_record(notification, event, head)
                    producer.send(
                        route.topic,
                        key=key,
                        value=value,
                        headers=[(NOTIFICATION_HEADER, str(notification.id).encode()), *headers],
                    )
                if route.checkpoints_topic and self._signer is not None:
                    checkpoint = self._signer.sign_checkpoint(route.topic, page[-1].id, head)
                    producer.send(
                        route.checkpoints_topic,
                        key=route.topic.encode(),
                        value=checkpoint.to_bytes(),
                        headers=[(NOTIFICATION_HEADER, str(page[-1].id).encode())],
                    )
                producer.commit_transaction()
            except BaseException:
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


def _abort_quietly(producer: object) -> None:
    try:
        producer.abort_transaction()  # type: ignore[attr-defined]
    except Exception:  # the original error matters more than a failed abort
        log.warning("aborting the relay transaction failed", exc_info=True)
