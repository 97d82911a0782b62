"""``TopicReader``: the one way the ledger reads a topic.

Every reader of the ledger (ingest, loader, the relay's resume, auditors,
reconciliation) works the same way, so it is written once here:

* partitions are assigned by hand, never by a consumer group's rebalancing: each
  reader keeps its own position with its data (tracking records, ClickHouse rows, the
  log itself) and says where each partition starts (``assign``), else at its beginning;
* it reads ``read_committed``: records of aborted or open transactions are never seen,
  and end offsets are the last stable offsets, which a position does reach;
* it never commits by itself (kafka-python's auto-commit commits what was handed out,
  not what was processed); a reader with a group may ``commit`` what it has stored;
* "caught up" means every assigned partition's position is at its end offset: the
  ends as they are now (``caught_up()``), or as captured earlier (``caught_up(ends)``,
  ``read_to``), for a reading that must stop at the log as it stood when it began;
* ``run`` is the loop of a consumer that keeps going: poll, hand the batch to
  ``handle`` (which stores it with its position, or has it stored in order), commit,
  then ``after_poll``, until ``stop()`` or, with ``until_idle``, until it stays
  caught up.

Every call translates kafka-python's errors into ``LogError``, saying what it was doing.
"""

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import TracebackType
from typing import Any, Self

from kafka import KafkaConsumer, OffsetAndMetadata, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaTimeoutError

from impact.errors import LogError
from impact.kafka.clients import committed_consumer, kafka_errors
from impact.settings import KafkaConnection

Fetched = dict[TopicPartition, list[ConsumerRecord]]
"""One poll's records, per partition, each partition's in offset order."""

POLL_MS = 500
IDLE_CHECK_MS = 50
"""How long a poll waits, in a reading to the end, at its start and right after records came:
long enough to see the end (the poll that passes the last commit marker), and a reading
that found it stops a tenth of a second later, not a second."""
OFFSETS_ATTEMPT_S = 2.0
OFFSETS_TIMEOUT_S = 30.0


class TopicReader:
    """A ``read_committed`` consumer of one topic, its partitions assigned by hand."""

    def __init__(
        self,
        kafka: KafkaConnection,
        topic: str,
        client_id: str,
        *,
        group_id: str | None = None,
        max_records: int | None = None,
        **consumer_options: Any,
    ) -> None:
        self.topic = topic
        self.max_records = max_records
        """Records per poll at most (kafka-python's default, 500, when None)."""
        group = {"group_id": group_id} if group_id else {}
        self._kafka, self._client_id = kafka, client_id
        self._consumer = committed_consumer(kafka, client_id=client_id, **group, **consumer_options)
        self._uncommitted: KafkaConsumer | None = None
        self._ends: KafkaConsumer | None = None
        self._polled = False
        self.assigned: list[TopicPartition] = []

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._consumer.close()
        for other in (self._uncommitted, self._ends):
            if other is not None:
                other.close()

    # -- where to read ----------------------------------------------------------------

    def partitions(self) -> list[int]:
        """The topic's partitions (none when the topic does not exist)."""
        with kafka_errors(f"reading the partitions of {self.topic}"):
            return sorted(self._consumer.partitions_for_topic(self.topic) or ())

    def assign(
        self,
        positions: Mapping[int, int | None] | None = None,
        partitions: Iterable[int] | None = None,
    ) -> list[TopicPartition]:
        """Read ``partitions`` (every partition of the topic by default), each from its
        offset in ``positions`` or, when it has none there, from its beginning."""
        with kafka_errors(f"assigning {self.topic}"):
            wanted = self.partitions() if partitions is None else list(partitions)
            self.assigned = [TopicPartition(self.topic, p) for p in wanted]
            self._consumer.assign(self.assigned)
            for tp in self.assigned:
                position = (positions or {}).get(tp.partition)
                if position is None:
                    self._consumer.seek_to_beginning(tp)
                else:
                    self._consumer.seek(tp, position)
        return self.assigned

    def seek(self, partition: int, offset: int) -> None:
        with kafka_errors(f"seeking {self.topic}[{partition}] to {offset}"):
            self._consumer.seek(TopicPartition(self.topic, partition), offset)

    def pause(self, partition: int, paused: bool = True) -> None:
        """Stop fetching ``partition`` (``paused``), or fetch it again; its position stays."""
        tp = TopicPartition(self.topic, partition)
        if paused != (tp in self._consumer.paused()):
            (self._consumer.pause if paused else self._consumer.resume)(tp)

    def position(self, partition: int) -> int:
        """The offset of the next record this reader gets from ``partition``."""
        with kafka_errors(f"reading the position in {self.topic}[{partition}]"):
            return self._position(TopicPartition(self.topic, partition))

    def end_offsets(self, partitions: Iterable[int] | None = None) -> dict[int, int]:
        """Per partition (the assigned ones by default): the offset after its last
        committed record, now.

        Once this reader has polled, asked on a connection of its own: a broker answers a
        connection's requests in order, and the reading consumer's fetch may be waiting up to
        half a second for records (``fetch_max_wait_ms``); asked behind it, the ends of a
        topic read to its end took that long each time."""
        ends = self._consumer
        if self._polled:
            if self._ends is None:
                self._ends = committed_consumer(self._kafka, client_id=f"{self._client_id}-ends")
            ends = self._ends
        with kafka_errors(f"reading the end of {self.topic}"):
            return self._offsets(ends.end_offsets, partitions, ends)

    def high_watermarks(self, partitions: Iterable[int] | None = None) -> dict[int, int]:
        """Per partition (the assigned ones by default): the offset after its last record,
        committed or not. Beyond ``end_offsets`` while a transaction writing to it is open."""
        if self._uncommitted is None:
            self._uncommitted = committed_consumer(
                self._kafka,
                client_id=f"{self._client_id}-watermarks",
                isolation_level="read_uncommitted",
            )
        uncommitted = self._uncommitted
        with kafka_errors(f"reading the high watermarks of {self.topic}"):
            return self._offsets(uncommitted.end_offsets, partitions, uncommitted)

    def beginning_offsets(self, partitions: Iterable[int] | None = None) -> dict[int, int]:
        with kafka_errors(f"reading the beginning of {self.topic}"):
            return self._offsets(self._consumer.beginning_offsets, partitions)

    def _offsets(
        self,
        ask: Callable[..., dict[TopicPartition, int]],
        partitions: Iterable[int] | None,
        consumer: KafkaConsumer | None = None,
    ) -> dict[int, int]:
        """``ask`` (the consumer's ``end_offsets`` or ``beginning_offsets``) in attempts of
        ``OFFSETS_ATTEMPT_S``, the cluster's metadata refreshed between them, for at most
        ``OFFSETS_TIMEOUT_S``.

        kafka-python retries a ListOffsets answered "not the leader" against the same node
        until its timeout without refreshing its metadata, which it otherwise does every five
        minutes: once a partition's leadership moved (a node came back and the cluster gave
        it its preferred partitions again), a long-lived reader timed out on every call for
        up to five minutes. Asking for the metadata again after a short attempt ends that.
        """
        tps = self._tps(partitions)
        deadline = time.monotonic() + OFFSETS_TIMEOUT_S
        while True:
            attempt = min(OFFSETS_ATTEMPT_S, max(deadline - time.monotonic(), 0.1))
            try:
                return {tp.partition: int(o) for tp, o in ask(tps, int(attempt * 1000)).items()}
            except KafkaTimeoutError:
                if time.monotonic() >= deadline:
                    raise
                self._refresh_metadata(consumer)

    def lag_hint(self) -> int | None:
        """The most offsets any assigned partition's position is behind the high watermark its
        last fetch reported (None while one was never fetched). No network call: a hint
        (the end of a committed transaction is a marker, one offset no record is handed out
        for); ``caught_up`` says for sure."""
        consumer, lag = self._consumer, 0
        for tp in self.assigned:
            high = consumer.highwater(tp)
            if high is None:
                return None
            lag = max(lag, high - self._position(tp))
        return lag

    def caught_up(self, ends: Mapping[int, int] | None = None) -> bool:
        """Whether every assigned partition is at its end: in ``ends``, else as it is now."""
        ends = self.end_offsets() if ends is None else ends
        with kafka_errors(f"reading the end of {self.topic}"):
            return all(self._position(tp) >= ends[tp.partition] for tp in self.assigned)

    def _position(self, tp: TopicPartition) -> int:
        """The consumer's position in ``tp``, waited for ``OFFSETS_TIMEOUT_S`` at most:
        kafka-python's ``position()`` otherwise waits for an offset reset or a leader-epoch
        validation without a deadline of ours, and a reader could hang there for good."""
        position = self._consumer.position(tp, timeout_ms=int(OFFSETS_TIMEOUT_S * 1000))
        if position is None:
            raise LogError(
                f"the position in {tp.topic}[{tp.partition}] was still unknown after "
                f"{OFFSETS_TIMEOUT_S:.0f} s"
            )
        return int(position)

    def _refresh_metadata(self, consumer: KafkaConsumer | None = None) -> None:
        """Have the client ask the cluster who leads what (kafka-python has no public call
        that does not wait for the answer)."""
        (consumer or self._consumer)._cluster.request_update()

    def _tps(self, partitions: Iterable[int] | None) -> list[TopicPartition]:
        if partitions is None:
            return list(self.assigned)
        return [TopicPartition(self.topic, p) for p in partitions]

    # -- reading ----------------------------------------------------------------------

    def poll(self, max_records: int | None = None, timeout_ms: int = POLL_MS) -> Fetched:
        """The next records (none after ``timeout_ms``, half a second, without any)."""
        self._polled = True
        with kafka_errors(f"reading {self.topic}"):
            return self._consumer.poll(
                timeout_ms=timeout_ms, max_records=max_records or self.max_records
            )

    def read_to(self, ends: Mapping[int, int], timeout: float) -> Iterator[ConsumerRecord]:
        """Every record up to ``ends`` (captured before), in each partition's offset order;
        LogError when that takes longer than ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while not self.caught_up(ends):
            if time.monotonic() > deadline:
                at = {tp.partition: self.position(tp.partition) for tp in self.assigned}
                raise LogError(f"reading {self.topic} timed out at offsets {at} of {dict(ends)}")
            fetched = self.poll()
            if not fetched:
                # Short of the end and nothing came: the leader this client fetches from may
                # have moved (kafka-python kept fetching from the old one for a minute).
                self._refresh_metadata()
            for records in fetched.values():
                yield from records

    def commit(self, fetched: Fetched) -> None:
        """Commit the group's offsets after ``fetched`` (once it is stored: for monitoring)."""
        offsets = {
            tp: OffsetAndMetadata(records[-1].offset + 1, "", -1) for tp, records in fetched.items()
        }
        with kafka_errors(f"committing offsets of {self.topic}"):
            self._consumer.commit(offsets)

    def run(
        self,
        handle: Callable[[Fetched], None],
        *,
        until_idle: bool = False,
        stop: Callable[[], bool] = lambda: False,
        max_idle_polls: int = 2,
        commit: bool = False,
        after_poll: Callable[[], None] = lambda: None,
    ) -> bool:
        """Poll and hand every batch to ``handle`` until ``stop()``; with ``until_idle``,
        until ``max_idle_polls`` empty polls found the reader caught up with the end.

        After each batch is handled its offsets are committed (with ``commit``), and
        after every poll, empty or not, ``after_poll`` runs. Returns whether it ended
        caught up.
        """
        idle, came = 0, until_idle
        while not stop():
            short = until_idle and (came or idle > 0)
            fetched = self.poll(timeout_ms=IDLE_CHECK_MS if short else POLL_MS)
            came = bool(fetched)
            if fetched:
                idle = 0
                handle(fetched)
                if commit:
                    self.commit(fetched)
            after_poll()
            if not fetched and until_idle and self.caught_up():
                idle += 1
                if idle >= max_idle_polls:
                    return True
        return False


def read_topic_records(
    kafka: KafkaConnection,
    topic: str,
    client_id: str,
    timeout: float = 120.0,
    max_records: int | None = None,
) -> Iterator[ConsumerRecord]:
    """Every committed record of ``topic`` up to its end when each partition's reading
    began, partition by partition in offset order. A missing topic reads as empty."""
    with TopicReader(kafka, topic, client_id, max_records=max_records) as reader:
        for partition in reader.partitions():
            reader.assign(partitions=[partition])
            yield from reader.read_to(reader.end_offsets(), timeout)
