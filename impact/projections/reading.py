"""The loader's reading of ``impact.events``: each record judged on its own (``read_record``).

What a record says of itself needs no state: whether it is an envelope at all
(``read_for_loading``), whether its hash covers its content, whether its payload is what its
event type's schema says. That is most of the loader's work per record, beside the Kafka
client's own decoding of the fetched batches; what the chain says of it (its neighbours,
the signed checkpoints) is the loader's to judge. ``RecordReader`` hands the loader each poll's
``Read``s, and pauses a partition the loader has too many records of waiting.

``ForkedRecordReader`` does the same work in child processes, each reading its share of the
topic's partitions on its own core, and hands the ``Read``s to the loader's process, which
only judges the chain and inserts. A child keeps nothing: it reads from the positions it was
given and dies with the loader (on Linux, killed when the loader's process dies however it
dies), so a crash anywhere costs a re-read, never a record.
"""

import contextlib
import ctypes
import gc
import multiprocessing
import signal
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from multiprocessing.connection import Connection, wait
from typing import Any, NamedTuple

import orjson

from impact.contract.chain import GENESIS, hash_covers
from impact.contract.events import read_for_loading
from impact.contract.payloads import payload_problem, prepare_screens
from impact.errors import ContractError, LogError
from impact.kafka import TopicReader
from impact.kafka.reader import IDLE_CHECK_MS, POLL_MS
from impact.settings import KafkaConnection

PARTITION_FETCH_BYTES = 512 * 1024
"""What the loader fetches of each partition at a time: the chain's records are spread over
the partitions, and a record is admitted once the records between it and a checkpoint are
read, so the partitions are read side by side, a little of each, not one after the other
(the reading is as fast, and admission and INSERTs start while it goes on). A record larger
than this still comes whole."""

UNREADABLE = -2
"""``Read.nid`` of a record that is not an envelope."""


class Read(NamedTuple):
    """One record as read on its own: where it is, its place in the chain, its JSON line for
    ``raw_events`` and what its own content says against it."""

    partition: int
    offset: int
    nid: int
    """Its notification id, or ``UNREADABLE``."""
    prev_hash: str
    hash: str
    line: bytes
    """Its ``raw_events`` JSON line (for an unreadable record: its bytes as text, and why)."""
    own_problem: str | None
    """Why it is not an envelope, or why its hash does not cover its content."""
    payload_problem: str | None
    skipped: bool = False
    """Recorded after the reading's ``recorded_until``: not loaded, only a link of the chain."""


def own_problem(content: dict[str, Any]) -> str | None:
    """What a record's own chain fields say against it (None without them)."""
    prev, own = content.get("prev_hash") or "", content.get("hash") or ""
    if not own or not prev:
        return None
    if not hash_covers(content, prev, own):
        return "its hash does not cover its content"
    if content["notification_id"] == 1 and prev != GENESIS:
        return "notification id 1 does not link to the chain's genesis"
    return None


def read_record(
    topic_json: bytes,
    partition: int,
    offset: int,
    value: bytes | None,
    recorded_until: datetime | None = None,
) -> Read:
    """``value``, the record at ``offset`` of ``partition`` (``topic_json``: the topic's name
    as JSON), judged on its own."""
    head = b'{"topic":%b,"partition":%d,"offset":%d,' % (topic_json, partition, offset)
    try:
        read = read_for_loading(value or b"")
    except ContractError as exc:
        raw = value.decode("utf-8", "backslashreplace") if value else ""
        why = str(exc)
        line = head + orjson.dumps({"payload": raw, "error": why[:2000] or "unreadable"})[1:]
        return Read(partition, offset, UNREADABLE, "", "", line, why, None)
    content = read.content
    skipped = recorded_until is not None and read.recorded_at > recorded_until
    return Read(
        partition,
        offset,
        content["notification_id"],
        content["prev_hash"] or "",
        content["hash"] or "",
        b"" if skipped else head + read.json[1:],
        own_problem(content),
        None
        if skipped
        else payload_problem(content["type"], content["schema_version"], content["payload"]),
        skipped,
    )


# -- a poll at a time ---------------------------------------------------------------

YOUNG_COLLECTION_EVERY = 50_000
"""Objects allocated (net) between two collections of the youngest generation while a topic is
read (Python's default: 700). Each record read makes tens of short-lived objects (the Kafka
client's, the envelope's) that reference counting frees; at the default the collector ran
thousands of times a replay, each time also walking the records waiting for a verdict: a
tenth of the reading's time."""


@contextlib.contextmanager
def collector_eased() -> Iterator[None]:
    """The garbage collector's youngest generation collected less often, for a reading."""
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], YOUNG_COLLECTION_EVERY), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


class RecordReader:
    """The events topic read a poll at a time, each record judged on its own, in the
    loader's process."""

    def __init__(
        self,
        kafka: KafkaConnection,
        topic: str,
        positions: Mapping[int, int],
        max_records: int,
        recorded_until: datetime | None,
        partitions: list[int] | None = None,
    ) -> None:
        self._topic_json = orjson.dumps(topic)
        self._recorded_until = recorded_until
        self.behind = True
        """Whether the last poll left records fetched, or known on the topic, unread."""
        self._reader = TopicReader(
            kafka,
            topic,
            "impact-loader",
            max_records=max_records,
            max_partition_fetch_bytes=PARTITION_FETCH_BYTES,
        )
        try:
            self._reader.assign(positions, partitions)
        except BaseException:
            self._reader.close()
            raise

    @property
    def partitions(self) -> list[int]:
        return [tp.partition for tp in self._reader.assigned]

    def pause(self, partition: int, paused: bool) -> None:
        """Stop (or go on) fetching ``partition``'s records."""
        self._reader.pause(partition, paused)

    def run(
        self,
        handle: Callable[[list[Read]], None],
        *,
        until_idle: bool,
        stop: Callable[[], bool],
        max_idle_polls: int,
        busy: Callable[[], bool],
        hurry: Callable[[], bool] = lambda: False,
    ) -> bool:
        """Poll and hand each poll's ``Read``s (none after an empty poll: records may be
        waiting for a verdict) to ``handle``, until ``stop()``; with ``until_idle``, until
        the reading found the topic read to its end ``max_idle_polls`` times in a row
        (``Idleness``) with nothing ``busy``. While ``hurry()``, polls wait ``IDLE_CHECK_MS``
        at most (``handle`` has something to report soon). Returns whether it ended so."""
        idleness = Idleness(self, max_idle_polls if until_idle else None)
        while not stop():
            reads = self.poll(IDLE_CHECK_MS if hurry() else idleness.poll_ms)
            self.behind = idleness.after(reads)
            handle(reads)
            if until_idle and busy():
                idleness.reset()
            elif idleness.done:
                return True
        return False

    def poll(self, timeout_ms: int = POLL_MS) -> list[Read]:
        """The next poll's records, each judged on its own."""
        return [
            read_record(self._topic_json, r.partition, r.offset, r.value, self._recorded_until)
            for records in self._reader.poll(timeout_ms=timeout_ms).values()
            for r in records
        ]

    def caught_up(self) -> bool:
        return self._reader.caught_up()

    def lag_hint(self) -> int | None:
        return self._reader.lag_hint()

    def close(self) -> None:
        self._reader.close()


class Idleness:
    """Whether a reading is at the topic's end: once ``max_idle_polls`` empty polls in a row
    found it there (``caught_up``). Its first poll, and polls right after records came, wait
    ``IDLE_CHECK_MS`` only (records at hand come at once, however long a poll may wait), so
    a reading to the end (a replay, an auditor's) stops a moment after its last record, not
    a second.
    ``max_idle_polls`` None: a reading that never stops (its polls wait as long as usual)."""

    def __init__(self, reader: "RecordReader", max_idle_polls: int | None) -> None:
        self._reader = reader
        self._max = max_idle_polls
        self._came = max_idle_polls is not None
        self.count = 0

    @property
    def done(self) -> bool:
        return self._max is not None and self.count >= self._max

    @property
    def poll_ms(self) -> int:
        if self._max is None or self.done or not (self._came or self.count):
            return POLL_MS
        return IDLE_CHECK_MS

    def reset(self) -> None:
        self.count = 0

    def after(self, reads: list[Read]) -> bool:
        """Count what a poll found; return whether the reading is behind: more records are
        fetched, or known on the topic, than a commit marker's worth."""
        self._came = bool(reads)
        if reads:
            self.count = 0
            lag = self._reader.lag_hint()
            return lag is None or lag > 1
        if self._max is not None:
            self.count = self.count + 1 if self._reader.caught_up() else 0
        return False


# -- the reading in child processes -------------------------------------------------

_PR_SET_PDEATHSIG = 1
CHILD_POLL = 1_000
"""Records a child sends at a time at most: small enough that the loader's process judges and
inserts the first records while the children read on."""


def _die_with_parent() -> None:
    """Have Linux kill this process when the process that forked it dies (a ``kill -9`` of the
    loader leaves no reader behind); elsewhere a child ends at its next send."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _read_in_child(
    conn: Connection, open_reader: Callable[[], RecordReader], max_idle_polls: int | None
) -> None:
    """A child's loop: poll, send the ``Read``s, whether the reading is at the end (the
    ``Idleness`` count) and whether it is behind; between polls, take the parent's pause
    orders ((partition, paused); None ends it)."""
    _die_with_parent()
    gc.set_threshold(YOUNG_COLLECTION_EVERY, *gc.get_threshold()[1:])
    try:
        prepare_screens()
        reader = open_reader()
        idleness = Idleness(reader, max_idle_polls)
        while True:
            while conn.poll():
                order = conn.recv()
                if order is None:
                    return
                reader.pause(*order)
            reads = reader.poll(idleness.poll_ms)
            behind = idleness.after(reads)
            conn.send((reads, idleness.count, behind))
    except (BrokenPipeError, EOFError, KeyboardInterrupt):
        return  # the loader is gone or ends
    except BaseException as exc:
        with contextlib.suppress(OSError):
            conn.send(f"{type(exc).__name__}: {exc}")


class _Child:
    def __init__(self, partitions: list[int], process: Any, conn: Connection) -> None:
        self.partitions = partitions
        self.process = process
        self.conn = conn
        self.idle = 0
        self.behind = True
        self.paused: set[int] = set()


class ForkedRecordReader:
    """``RecordReader``'s work (the Kafka client's decoding and ``read_record``, most of a
    replay's time) in ``readers`` forked child processes, the topic's partitions shared
    between them; the ``Read``s come back to this process, one message per child's poll.

    Forked, not started afresh: a child begins reading at once (a new interpreter would
    spend half a second importing). Only where cores are to spare (``Settings.loader_readers``,
    1 by default): on 2 cores three children replayed 100,000 events in 0.95x the time of one
    process (0.82-1.11x) for 1.23x its CPU time, the loader's work being CPU-bound there.
    Nothing a child holds outlives it: it only reads, from the positions the loader gave it."""

    def __init__(
        self,
        kafka: KafkaConnection,
        topic: str,
        positions: Mapping[int, int],
        max_records: int,
        recorded_until: datetime | None,
        readers: int,
    ) -> None:
        with TopicReader(kafka, topic, "impact-loader") as probe:
            self._partitions = probe.partitions()
        self._readers = max(readers, 1)

        def opener(share: list[int]) -> Callable[[], RecordReader]:
            return lambda: RecordReader(
                kafka, topic, positions, min(max_records, CHILD_POLL), recorded_until, share
            )

        self._openers = [
            (share, opener(share))
            for share in (self._partitions[i :: self._readers] for i in range(self._readers))
            if share
        ]
        self._children: list[_Child] = []
        self._owner: dict[int, _Child] = {}
        self._paused: set[int] = set()

    @property
    def partitions(self) -> list[int]:
        return list(self._partitions)

    @property
    def behind(self) -> bool:
        return any(child.behind for child in self._children)

    def pause(self, partition: int, paused: bool) -> None:
        if paused == (partition in self._paused):
            return
        (self._paused.add if paused else self._paused.discard)(partition)
        child = self._owner.get(partition)
        if child is not None:
            with contextlib.suppress(OSError):  # a child that died says so when next read
                child.conn.send((partition, paused))

    def _start(self, max_idle_polls: int | None) -> None:
        context = multiprocessing.get_context("fork")
        for share, open_reader in self._openers:
            ours, theirs = context.Pipe(duplex=True)
            process = context.Process(
                target=_read_in_child,
                args=(theirs, open_reader, max_idle_polls),
                name=f"impact-loader-read-{'-'.join(map(str, share))}",
                daemon=True,
            )
            process.start()
            theirs.close()
            child = _Child(share, process, ours)
            self._children.append(child)
            for partition in share:
                self._owner[partition] = child
                if partition in self._paused:
                    ours.send((partition, True))

    def run(
        self,
        handle: Callable[[list[Read]], None],
        *,
        until_idle: bool,
        stop: Callable[[], bool],
        max_idle_polls: int,
        busy: Callable[[], bool],
        hurry: Callable[[], bool] = lambda: False,
    ) -> bool:
        """As ``RecordReader.run``, the children's ``Idleness`` counted each on its own: the
        topic is read to its end when every child found its partitions there
        ``max_idle_polls`` times in a row."""
        self._start(max_idle_polls if until_idle else None)
        by_conn = {child.conn: child for child in self._children}
        while not stop():
            reads: list[Read] = []
            waited = (IDLE_CHECK_MS if hurry() else POLL_MS) / 1000
            for conn in wait(list(by_conn), timeout=waited):
                reads.extend(self._receive(by_conn[conn]))  # type: ignore[index]
            handle(reads)
            if (
                until_idle
                and not reads
                and all(child.idle >= max_idle_polls for child in self._children)
                and not busy()
            ):
                return True
        return False

    def _receive(self, child: _Child) -> list[Read]:
        where = f"reading {child.process.name}"
        try:
            message = child.conn.recv()
        except (EOFError, OSError):
            child.process.join(1)
            code = child.process.exitcode
            raise LogError(f"{where}: the reading process ended (exit code {code})") from None
        if isinstance(message, str):
            raise LogError(f"{where}: {message}")
        reads, child.idle, child.behind = message
        return reads

    def close(self) -> None:
        for child in self._children:
            if child.process.is_alive():
                child.process.kill()  # it holds nothing: no need to wait for a poll to end
        for child in self._children:
            child.process.join()
            child.conn.close()
        self._children = []


def record_reader(
    kafka: KafkaConnection,
    topic: str,
    positions: Mapping[int, int],
    max_records: int,
    recorded_until: datetime | None,
    readers: int,
) -> "RecordReader | ForkedRecordReader":
    """The reading a loader with ``readers`` processes of its own uses (1: in its process)."""
    if readers <= 1:
        return RecordReader(kafka, topic, positions, max_records, recorded_until)
    return ForkedRecordReader(kafka, topic, positions, max_records, recorded_until, readers)
