"""The loader: ``impact.events`` into ClickHouse ``raw_events``, each record once.

Each row keeps its partition and offset. The loader resumes from the highest
offset stored per partition (the position lives with the data, so a crash between
the INSERT and anything else can neither lose nor double a record), and each
INSERT carries a deduplication token naming its partition and offset range, so a
retried INSERT is stored once (one INSERT per poll, all its partitions: one part). A
record that is not a valid envelope goes to ``raw_events`` with ``error`` set and its
bytes as text, and loading goes on. Each row keeps the envelope's hash-chain fields
(``prev_hash``, ``hash``).

Every record is judged by the contract (``read_for_loading``: the rules of
``EventEnvelope``, read once, by msgspec, into the fields the chain is checked on) and handed to
ClickHouse as one JSONEachRow line (the envelope behind its topic, partition and
offset, each field once, so what ClickHouse stores is what the contract read even of a
record whose keys repeat); ClickHouse parses the fields and its materialized views fill
the typed tables, in C++. (A payload is written again from what was read: should its
own keys repeat, ClickHouse gets the value the hash covers, once.) INSERTs run on one
thread of their own, strictly in order (a batch is only sent after the one before it is
stored, and nothing is sent after a failure), while the next batch is read and checked;
so the resume point stays exact, and the INSERT (which releases the GIL) overlaps the
reading. ``on_batch`` is called on the caller's thread once a batch is stored.

Quarantine: a record is kept in ``raw_events`` with ``error`` saying why, and never
reaches the typed tables or the views (which read ``error = ''`` only), when

- it is not an envelope (``read_for_loading``);
- its payload is not what its event type's schema says, or carries a quantity no
  ``Decimal128(6)`` holds (``impact.contract.payloads.payload_problem``);
- its ``hash`` is not ``link(prev_hash, content_digest(envelope))``: it does not cover
  its own content;
- its notification id is one an admitted record already has (the first admitted wins);
- its ``prev_hash`` is not the ``hash`` of the admitted record with the notification id
  before it, or the admitted record after it does not name its ``hash`` as its
  ``prev_hash`` (notification id 1 must link to ``GENESIS``);
- it has no chain fields and an admitted chained record has a lower notification id
  (records without them are only the log's prefix published before the chain);
- it is not the record the signed chain holds for its notification id, or no signed
  checkpoint covers it, or no walk from one reaches it (below).

What the loader verifies of the chain (``impact.projections.admission``): a chained record
is admitted only once a walk back from a checkpoint signed by a trusted platform key reaches
its notification id with its hash, through the records read and those admitted before
(their links are kept in memory and read back from ``raw_events`` when a loader starts).
Until then it waits, in memory: the records between it and the checkpoint may be on a
partition read later, or its checkpoint not committed yet. Whatever order the partitions
are read in, a forgery of a notification id, however well it links, never takes the
genuine record's place. A record no checkpoint covers is refused once held
``hold_seconds`` with the checkpoints topic settled (no transaction open on it), or after
``max_hold_seconds``; a covered record no walk reaches in ``max_hold_seconds`` is refused
too. Only each partition's decided prefix is inserted, so the resume point stays exact;
a partition with ``WAITING_LIMIT`` records waiting pauses. Records of the ClickHouse
guard (a value the typed tables cannot cast) are listed by the ``quarantine`` view too.

``recorded_until`` makes a loader for auditors' replays: it keeps only the events
recorded by that time (the log as it stood then) and skips the rest.
"""

import gc
import logging
import queue
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime

import orjson

from impact.contract.chain import platform_trust
from impact.contract.payloads import prepare_screens
from impact.errors import ConfigurationError
from impact.projections.admission import (
    ADMITTED,
    SKIPPED,
    Admission,
    ChainState,
    SignedCheckpoints,
)
from impact.projections.reading import (
    UNREADABLE,
    Read,
    collector_eased,
    record_reader,
)
from impact.projections.schema import ensure_schema
from impact.projections.store import ProjectionStore
from impact.settings import KafkaConnection, Settings

log = logging.getLogger(__name__)

RAW_COLUMNS = (
    "topic",
    "partition",
    "offset",
    "event_id",
    "notification_id",
    "type",
    "schema_version",
    "aggregate_type",
    "aggregate_id",
    "aggregate_version",
    "occurred_at",
    "recorded_at",
    "actor",
    "payload",
    "error",
    "prev_hash",
    "hash",
)
BATCH_SIZE = 5_000
"""Records per poll, and so per INSERT, at most: parts big enough to keep ClickHouse's merging
cheap, small enough that the INSERT of one poll overlaps the preparing of the next (with
20 000, a 20 000-event replay prepared everything, then waited for one INSERT)."""
BACKLOG_BATCHES = 2
"""Batches of decided records waiting for the INSERT under way, at most, before the reading
waits (bounds memory)."""
HOLD_SECONDS = 5.0
"""How long a well-formed record no signed checkpoint covers is held (read again) at least
before it is quarantined as not the platform's. A genuine record's checkpoint is written in
its transaction; its commit marker may reach the checkpoints topic later than the record's
(when that topic's leader fails over): a record is refused as uncovered only once the
checkpoints topic is settled, no transaction open on it (``SignedCheckpoints.settled``)."""
MAX_HOLD_SECONDS = 300.0
"""How long a record is held at most while the checkpoints topic is not settled (Kafka aborts
a transaction left open longer than its timeout, 60 s by default)."""
COMMIT_LAG_SECONDS = 1.0
"""How long a poll waits for the checkpoint of records it read (the two topics' commit
markers are written one after the other)."""
WAITING_LIMIT = 50_000
"""Records of a partition waiting for a verdict (behind an undecided one) beyond which its
reading pauses (bounds memory while a record waits for its checkpoint)."""


@dataclass
class LoadStats:
    loaded: int = 0
    unreadable: int = 0
    quarantined: int = 0
    skipped: int = 0
    batches: int = 0


def loaded_positions(store: ProjectionStore, topic: str) -> dict[int, int]:
    """Next offset to read per partition, from what is already stored."""
    rows = store.rows(
        "SELECT partition, max(offset) FROM {db}.raw_events WHERE topic = {t:String}"
        " GROUP BY partition",
        t=topic,
    )
    return {int(p): int(o) + 1 for p, o in rows}


@dataclass
class _Batch:
    """One poll's records, read and rendered as JSON lines."""

    token: str
    lines: list[bytes] = field(default_factory=list)


def _quarantined_line(json: bytes, reason: str) -> bytes:
    return json[:-1] + b',"error":' + orjson.dumps(reason[:2000]) + b"}"


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a poll is judged. Its records, read, are kept
    until they are sorted into notification-id order: thousands of objects that would make
    the collector run, and traverse them all, again and again. Nothing a poll makes is
    cyclic, so reference counting frees it all; the collector runs again after it."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class _Inserter:
    """One thread sending what the admission has decided to ClickHouse, in order; stops at the
    first failure.

    It pulls: when it is free and ``ready()`` (a batch's worth is decided, or the reading
    has nothing more at hand), it takes what is decided (``batch_size`` at most:
    ``prepare``), so while one INSERT runs the next one gathers what the reading decides
    meanwhile, however small each poll was: an INSERT has a fixed cost of tens of
    milliseconds, whatever its size. The reading thread waits (``decided``) while it is
    inserting and ``limit`` records are decided and not yet taken (``backlog()``), so
    memory stays bounded by a few INSERTs. Everything that touches the admission runs
    under ``lock``."""

    def __init__(
        self,
        store: ProjectionStore,
        prepare: Callable[[], _Batch | None],
        ready: Callable[[], bool],
        backlog: Callable[[], int],
        limit: int,
    ) -> None:
        self.store = store
        self.lock = threading.Condition()
        self._prepare, self._ready = prepare, ready
        self._backlog, self._limit = backlog, limit
        self._stored: queue.Queue[_Batch] = queue.Queue()
        self._failure: BaseException | None = None
        self._closing = False
        self._busy = False
        self._thread = threading.Thread(target=self._work, name="impact-loader-insert", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while True:
            with self.lock:
                while (batch := self._next()) is None and not self._closing:
                    self._busy = False
                    self.lock.notify_all()
                    self.lock.wait()
                self._busy = batch is not None
                self.lock.notify_all()
            if batch is None:
                return  # closing, and nothing decided is left
            try:
                self._insert(batch)
            except BaseException as exc:  # handed to the caller's thread
                with self.lock:
                    self._failure, self._busy = exc, False
                    self.lock.notify_all()
                return  # nothing after a failed batch: the resume point must stay exact
            self._stored.put(batch)

    def _next(self) -> _Batch | None:
        return self._prepare() if self._closing or self._ready() else None

    def _insert(self, batch: _Batch) -> None:
        if not batch.lines:
            return  # skipped records only: nothing to store
        block = b"\n".join(batch.lines)
        batch.lines.clear()  # the block holds them now; nothing else needs them
        self.store.insert_json("raw_events", block, batch.token)

    def decided(self) -> None:
        """Tell the thread records were decided (called under ``lock``), and wait while it is
        inserting and more than ``limit`` records wait for it."""
        self.lock.notify_all()
        while self._busy and self._failure is None and self._backlog() >= self._limit:
            self.lock.wait()
        self.raise_failure()

    def unreported(self) -> bool:
        """Whether a batch is being inserted, or was stored and not yet taken (``stored``)."""
        return self._busy or not self._stored.empty()

    def stored(self) -> list[_Batch]:
        done = []
        while True:
            try:
                done.append(self._stored.get_nowait())
            except queue.Empty:
                return done

    def raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure

    def close(self) -> None:
        """Insert everything decided, then end."""
        with self.lock:
            self._closing = True
            self.lock.notify_all()
        self._thread.join()


@dataclass(frozen=True)
class SignedLog:
    """The events topic, where its checkpoints are, and the platform keys trusted to sign them
    (key id → public key)."""

    kafka: KafkaConnection
    events_topic: str
    checkpoints_topic: str
    trusted: Mapping[str, str]

    @classmethod
    def of(
        cls, settings: Settings, trusted: Mapping[str, str] | None = None, role: str = "loader"
    ) -> "SignedLog":
        """This platform's log, read as ``role`` (the loader, or an auditor), trusting its own
        platform key unless ``trusted`` is given."""
        return cls(
            settings.kafka_for(role),
            settings.events_topic,
            settings.checkpoints_topic,
            trusted or platform_trust(settings.platform_key_path),
        )


class Loader:
    """Loads ``log``'s events topic into ``store``'s ``raw_events``, admitting into the
    projections only the chain its trusted platform keys signed."""

    def __init__(
        self,
        store: ProjectionStore,
        log: SignedLog,
        batch_size: int = BATCH_SIZE,
        recorded_until: datetime | None = None,
        hold_seconds: float = HOLD_SECONDS,
        max_hold_seconds: float = MAX_HOLD_SECONDS,
        readers: int = 1,
    ) -> None:
        if not log.trusted:
            raise ConfigurationError(
                "the loader needs the platform's public key to know its chain "
                "(platform-key.pub beside the platform key)"
            )
        prepare_screens()
        self.store = store
        self.kafka = log.kafka
        self.topic = log.events_topic
        self.checkpoints_topic = log.checkpoints_topic
        self.trusted = dict(log.trusted)
        self.batch_size = batch_size
        self.recorded_until = recorded_until
        self.hold_seconds = hold_seconds
        self.max_hold_seconds = max_hold_seconds
        self.readers = readers
        """Processes reading the topic beside this one (1: the reading is done here)."""
        self.stats = LoadStats()
        self.chain = ChainState()

    def run(
        self,
        until_idle: bool = True,
        on_batch: Callable[[LoadStats], None] | None = None,
        stop: Callable[[], bool] = lambda: False,
        max_idle_polls: int = 2,
    ) -> LoadStats:
        # The checkpoints are read while the store is made ready: a process's first Kafka
        # client learns the brokers' version (a tenth of a second before it reads anything),
        # and a fresh store's schema takes longer than that.
        with ThreadPoolExecutor(1, thread_name_prefix="impact-loader-start") as start:
            reading = start.submit(self._read_checkpoints)
            try:
                ensure_schema(self.store)
                positions = loaded_positions(self.store, self.topic)
                self.chain = ChainState.stored(self.store, self.topic)
            except BaseException:
                with suppress(Exception):
                    reading.result().close()
                raise
            checkpoints = reading.result()
        try:
            source = record_reader(
                self.kafka,
                self.topic,
                positions,
                self.batch_size,
                self.recorded_until,
                self.readers,
            )
        except BaseException:
            checkpoints.close()
            raise
        inserter: _Inserter | None = None

        def report() -> None:
            for _ in inserter.stored() if inserter else ():
                if on_batch:
                    on_batch(self.stats)

        def handle(reads: list[Read]) -> None:
            report()
            with inserter.lock, _collector_paused():  # type: ignore[union-attr]
                admission.take(reads)
                admission.decide()
                inserter.decided()  # type: ignore[union-attr]
                for partition in source.partitions:
                    source.pause(partition, admission.waiting(partition) > WAITING_LIMIT)
            if reads:
                self.stats.batches += 1

        try:
            admission = Admission(
                self.chain,
                checkpoints,
                self.hold_seconds,
                self.max_hold_seconds,
                COMMIT_LAG_SECONDS,
            )
            inserter = _Inserter(
                self.store,
                lambda: self._prepare(admission),
                lambda: (
                    admission.held - admission.undecided >= self.batch_size or not source.behind
                ),
                lambda: admission.held - admission.undecided,
                BACKLOG_BATCHES * self.batch_size,
            )
            with collector_eased():
                source.run(
                    handle,
                    until_idle=until_idle,
                    stop=stop,
                    max_idle_polls=max_idle_polls,
                    busy=lambda: admission.undecided > 0,
                    hurry=inserter.unreported,
                )
            inserter.close()
            inserter.raise_failure()
            report()
            return self.stats
        finally:
            if inserter is not None:
                inserter.close()
            checkpoints.close()
            source.close()

    def _read_checkpoints(self) -> SignedCheckpoints:
        checkpoints = SignedCheckpoints(
            self.kafka, self.checkpoints_topic, self.topic, self.trusted
        )
        try:
            checkpoints.refresh()
        except BaseException:
            checkpoints.close()
            raise
        return checkpoints

    def _prepare(self, admission: Admission) -> _Batch | None:
        """What is decided of each partition's waiting records from its first on,
        ``batch_size`` records at most, as one INSERT (one part in ClickHouse); None when
        nothing is (a batch of skipped records only has no line)."""
        batch = _Batch("")
        ranges: dict[int, list[int]] = {}
        taken = 0
        for waiting in admission.decided(self.batch_size):
            taken += 1
            read = waiting.read
            span = ranges.setdefault(read.partition, [read.offset, read.offset])
            span[1] = read.offset
            if waiting.state == ADMITTED:
                batch.lines.append(read.line)
                self.stats.loaded += 1
            elif waiting.state == SKIPPED:
                self.stats.skipped += 1
            elif read.nid == UNREADABLE:
                self._quarantine(read, waiting.reason)
                batch.lines.append(read.line)  # its line says why already
                self.stats.unreadable += 1
            else:
                self._quarantine(read, waiting.reason)
                batch.lines.append(_quarantined_line(read.line, waiting.reason))
                self.stats.quarantined += 1
        if not taken:
            return None
        batch.token = f"{self.topic}:" + ",".join(
            f"{p}:{first}-{last}" for p, (first, last) in sorted(ranges.items())
        )
        return batch

    def _quarantine(self, read: Read, reason: str) -> None:
        log.warning(
            "quarantined record %s[%d]@%d: %s", self.topic, read.partition, read.offset, reason
        )
