"""The ingest: ``impact.submissions`` → the submissions desk → the event store, exactly once.

How nothing is lost or applied twice:

* The results of the messages of one partition in one poll (the events each caused
  and a ``Submission.Accepted``, or a ``Rejection.Recorded``) are stored in one
  transaction with a tracking record "partition P consumed up to offset O"
  (eventsourcing's process recorder). Each message is decided in the batch's unit of
  work, on what the messages before it decided, so the batch stores what deciding
  them one by one would. After a crash the ingest resumes from the tracking records, so a
  message is applied once whatever happened to the consumer. Should the batch's
  transaction be refused (another process moved an aggregate or the position on),
  its messages are decided again one by one, each in its own transaction.
* Kafka consumer-group offsets are committed after the store, for monitoring only;
  the tracking records are the truth.
* Rejections are facts in the event store, then published to
  ``impact.submissions.rejected`` by a relay (once, in order), so an agency reads
  every rejection with its reason, the first 4 KiB of the original with its size and
  sha256, and nothing is dropped.
* A message that cannot be decided now (the event store is down, or an error the
  desk did not expect: a bug is never a fact about the input) stops the ingest
  before anything of its poll is stored; it is decided again on restart. A malformed message is a
  rejection, never a blocked partition.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from eventsourcing.persistence import Tracking

from impact.errors import AlreadyExistsError
from impact.ingest.desk import Source, SubmissionDesk, Verdict
from impact.ingest.relay import Relay, rejections_route
from impact.kafka import Fetched, TopicPartition, TopicReader, ensure_topics
from impact.ledger import Ledger
from impact.settings import KafkaConnection, RelayOptions, Topics

log = logging.getLogger(__name__)


@dataclass
class IngestStats:
    applied: int = 0
    rejected: int = 0
    skipped: int = 0
    codes: dict[str, int] = field(default_factory=dict)


def tracking_name(topic: str, partition: int) -> str:
    return f"{topic}:{partition}"


def _source(tp: TopicPartition, record: Any) -> Source:
    return Source(
        tp.topic,
        tp.partition,
        record.offset,
        datetime.fromtimestamp(record.timestamp / 1000, tz=UTC),
        record.timestamp_type,
    )


class Ingest:
    """Decides the submissions on ``topics.submissions`` into ``ledger``; a relay with the
    ``relay`` options publishes the rejections."""

    def __init__(
        self,
        ledger: Ledger,
        kafka: KafkaConnection,
        topics: Topics,
        relay: RelayOptions,
        batch_size: int = 500,
    ) -> None:
        self.ledger = ledger
        self.kafka = kafka
        self.topics = topics
        self.relay = relay
        self.topic = topics.submissions
        self.batch_size = batch_size
        self.desk = SubmissionDesk()
        self.stats = IngestStats()

    def run(
        self,
        until_idle: bool = False,
        on_message: Callable[[str, Any], None] | None = None,
        stop: Callable[[], bool] = lambda: False,
        max_idle_polls: int = 2,
    ) -> IngestStats:
        ensure_topics(self.kafka, self.topics, self.relay.transactional_id, refuse_unstamped=True)
        self._rejections = Relay(
            self.ledger,
            self.kafka,
            self.topics,
            self.relay,
            route=rejections_route(self.topics, self.relay),
        )
        self._rejections.start()
        reader = TopicReader(
            self.kafka,
            self.topic,
            "impact-ingest",
            group_id="impact-ingest",
            max_records=self.batch_size,
        )
        try:
            reader.assign(
                {
                    p: self.ledger.tracked_position(tracking_name(self.topic, p))
                    for p in reader.partitions()
                }
            )
            reader.run(
                lambda fetched: self._handle_poll(fetched, on_message),
                until_idle=until_idle,
                stop=stop,
                max_idle_polls=max_idle_polls,
                commit=True,
                after_poll=self._publish_rejections,
            )
            return self.stats
        finally:
            reader.close()
            self._rejections.close()

    def _handle_poll(self, fetched: Fetched, on_message: Callable[[str, Any], None] | None) -> None:
        for tp, records in sorted(fetched.items()):
            self.decide_batch(tp, records, on_message)

    def decide_batch(
        self, tp: TopicPartition, records: list[Any], on_message: Callable[[str, Any], None] | None
    ) -> None:
        """One partition's records of a poll: decided in turn, stored in one transaction."""
        uow = self.ledger.unit_of_work(from_submissions=True)
        decided: list[tuple[Source, Verdict]] = []
        for record in records:
            source = _source(tp, record)
            decided.append((source, self.desk.process(record.value, source, uow)))
        tracking = Tracking(
            application_name=tracking_name(tp.topic, tp.partition),
            notification_id=records[-1].offset + 1,
        )
        try:
            uow.commit(tracking)
        except AlreadyExistsError:
            log.info(
                "the batch %s..%d was refused as a whole; deciding its messages one by one",
                decided[0][0],
                records[-1].offset,
            )
            for record in records:
                self._handle(tp, record, on_message)
            return
        for source, verdict in decided:
            self._count(source, verdict, on_message)

    def _handle(
        self, tp: TopicPartition, record: Any, on_message: Callable[[str, Any], None] | None
    ) -> None:
        source = _source(tp, record)
        uow = self.ledger.unit_of_work(from_submissions=True)
        verdict = self.desk.process(record.value, source, uow)
        tracking = Tracking(
            application_name=tracking_name(tp.topic, tp.partition),
            notification_id=record.offset + 1,
        )
        try:
            uow.commit(tracking)
        except AlreadyExistsError:
            # Another ingest stored this position first (or an aggregate moved on):
            # read the position again rather than apply anything twice.
            if (
                self.ledger.tracked_position(tracking.application_name) or 0
            ) >= tracking.notification_id:
                self.stats.skipped += 1
                return
            raise
        self._count(source, verdict, on_message)

    def _count(
        self, source: Source, verdict: Verdict, on_message: Callable[[str, Any], None] | None
    ) -> None:
        if verdict.rejected:
            self.stats.rejected += 1
            self.stats.codes[verdict.code] = self.stats.codes.get(verdict.code, 0) + 1
            log.info("rejected %s: %s %s", source, verdict.code, verdict.message)
        else:
            self.stats.applied += 1
        if on_message:
            on_message(verdict.code, verdict)

    def _publish_rejections(self) -> None:
        self._rejections.publish_available()
