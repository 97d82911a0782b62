"""The loader's reading of ``impact.events``: each record judged on its own (``read_record``),
in the loader's process or ahead of it in a process of its own (``ReadAhead``).

What a record says of itself needs no state: whether it is an envelope at all
(``read_for_loading``), whether its hash covers its content, whether its payload is what its
event type's schema says. That is most of the loader's work per record, with the Kafka
client's own decoding of the fetched batches. ``ReadAhead`` does both in a child process,
on the machine's other core, while the loader judges the chain and ClickHouse inserts: the
child consumes the topic and hands over each poll's ``Read``s; the loader says when to read
a partition again (a held record) and when to stop.

The child is forked from the loader's process (it has every module loaded already; it
touches nothing of the parent but the one pipe) before the loader opens anything else.
"""

import contextlib
import multiprocessing
from collections.abc import Callable, Mapping
from datetime import datetime
from multiprocessing.connection import Connection
from typing import Any, NamedTuple

import orjson

from impact.contract.chain import GENESIS, hash_covers
from impact.contract.events import read_for_loading
from impact.contract.payloads import payload_problem
from impact.errors import ContractError, LogError
from impact.kafka import Fetched, TopicReader
from impact.settings import KafkaConnection

UNREADABLE = -2
"""``Read.nid`` of a record that is not an envelope."""
SKIPPED = -1
"""``Read.nid`` of an envelope recorded after the reading's ``recorded_until``."""

IN_FLIGHT = 2
"""Polls the child may hand over before the loader took the first of them (bounds memory)."""


class Read(NamedTuple):
    """One record as read on its own: where it is, its place in the chain, its JSON line for
    ``raw_events`` and what its own content says against it."""

    partition: int
    offset: int
    nid: int
    """Its notification id, or ``UNREADABLE``, or ``SKIPPED``."""
    prev_hash: str
    hash: str
    line: bytes
    """Its ``raw_events`` JSON line (for an unreadable record: its bytes as text, and why)."""
    own_problem: str | None
    """Why it is not an envelope, or why its hash does not cover its content."""
    payload_problem: str | None


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
    if recorded_until is not None and read.recorded_at > recorded_until:
        return Read(partition, offset, SKIPPED, "", "", b"", None, None)
    content = read.content
    return Read(
        partition,
        offset,
        content["notification_id"],
        content["prev_hash"] or "",
        content["hash"] or "",
        head + read.json[1:],
        own_problem(content),
        payload_problem(content["type"], content["schema_version"], content["payload"]),
    )


# -- where the reading runs ------------------------------------------------------------


class ReadHere:
    """``ReadAhead``'s work done in the loader's own process."""

    def __init__(
        self,
        kafka: KafkaConnection,
        topic: str,
        positions: Mapping[int, int],
        max_records: int,
        recorded_until: datetime | None,
    ) -> None:
        self._topic_json = orjson.dumps(topic)
        self._recorded_until = recorded_until
        self._reader = TopicReader(kafka, topic, "impact-loader", max_records=max_records)
        try:
            self._reader.assign(positions)
        except BaseException:
            self._reader.close()
            raise

    def rewind(self, offsets: Mapping[int, int]) -> None:
        for partition, offset in offsets.items():
            self._reader.seek(partition, offset)

    def run(
        self,
        handle: Callable[[list[Read]], None],
        *,
        until_idle: bool,
        stop: Callable[[], bool],
        max_idle_polls: int,
        after_poll: Callable[[], None],
    ) -> bool:
        def judged(fetched: Fetched) -> None:
            handle(
                [
                    read_record(
                        self._topic_json, r.partition, r.offset, r.value, self._recorded_until
                    )
                    for records in fetched.values()
                    for r in records
                ]
            )

        return self._reader.run(
            judged,
            until_idle=until_idle,
            stop=stop,
            max_idle_polls=max_idle_polls,
            after_poll=after_poll,
        )

    def close(self) -> None:
        self._reader.close()


class ReadAhead:
    """The topic read and judged record by record in a child process, a poll at a time.

    ``run`` hands each poll's ``Read``s to ``handle``, in each partition's offset order,
    like ``TopicReader.run``. ``handle`` may ``rewind`` partitions (to read held records
    again): polls the child read before it heard that are dropped, and it reads on from
    the offsets given.
    """

    def __init__(
        self,
        kafka: KafkaConnection,
        topic: str,
        positions: Mapping[int, int],
        max_records: int,
        recorded_until: datetime | None,
    ) -> None:
        self.topic = topic
        context = multiprocessing.get_context("fork")
        self._pipe, child = context.Pipe()
        self._process = context.Process(
            target=_child,
            args=(child, self._pipe, kafka, topic, dict(positions), max_records, recorded_until),
            name="impact-loader-read-ahead",
            daemon=True,
        )
        self._process.start()
        child.close()
        self._epoch = 0
        self._next: dict[int, int] = {}
        """Per partition: the offset after the last record handed to the loader (a partition
        none came from yet starts again where it started)."""

    def rewind(self, offsets: Mapping[int, int]) -> None:
        """Read these partitions again from these offsets (every other from where it was)."""
        self._next.update(offsets)
        self._epoch += 1
        self._pipe.send(("seek", self._epoch, dict(self._next)))

    def run(
        self,
        handle: Callable[[list[Read]], None],
        *,
        until_idle: bool,
        stop: Callable[[], bool],
        max_idle_polls: int,
        after_poll: Callable[[], None],
    ) -> bool:
        """As ``TopicReader.run``: until ``stop()``, or with ``until_idle`` until
        ``max_idle_polls`` empty polls in a row found the topic read to its end."""
        idle = 0
        while not stop():
            message = self._receive()
            if message is None:
                after_poll()
                continue
            _, epoch, reads = message
            self._pipe.send(("more", 0, None))
            if epoch != self._epoch:
                continue  # read before a rewind: read again from the rewound offsets
            if reads:
                idle = 0
                for read in reads:
                    self._next[read.partition] = read.offset + 1
                handle(reads)
            elif until_idle:  # an empty poll comes only when the topic was read to its end
                idle += 1
                if idle >= max_idle_polls:
                    return True
            after_poll()
        return False

    def _receive(self) -> tuple[str, int, Any] | None:
        if not self._pipe.poll(0.5):
            if not self._process.is_alive():
                raise LogError(
                    f"the loader's reading of {self.topic} ended (exit code "
                    f"{self._process.exitcode})"
                )
            return None
        try:
            message = self._pipe.recv()
        except EOFError:
            self._process.join(5)
            raise LogError(
                f"the loader's reading of {self.topic} ended (exit code {self._process.exitcode})"
            ) from None
        if message[0] == "failed":
            _, kafka_failure, text = message
            if kafka_failure:
                raise LogError(text)
            raise RuntimeError(f"the loader's reading of {self.topic} failed: {text}")
        return message

    def close(self) -> None:
        """End the child: its end of the pipe closes with ours (it may be sending a poll
        nobody reads: that fails, and it stops)."""
        self._pipe.close()
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(5)


def _child(
    pipe: Connection,
    parents_end: Connection,
    kafka: KafkaConnection,
    topic: str,
    positions: dict[int, int],
    max_records: int,
    recorded_until: datetime | None,
) -> None:
    """The child: poll, judge each record, hand the poll over (an empty poll says whether the
    topic was read to its end: only caught-up empty polls are handed over), obey ``seek``,
    and stop when the loader closed its end of the pipe."""
    parents_end.close()  # forked with it: held here, the loader's closing it would not show
    try:
        topic_json = orjson.dumps(topic)
        epoch, credit = 0, IN_FLIGHT
        with TopicReader(kafka, topic, "impact-loader", max_records=max_records) as reader:
            reader.assign(positions)
            while True:
                while credit == 0 or pipe.poll(0):
                    kind, at, body = pipe.recv()
                    if kind == "more":
                        credit += 1
                    elif kind == "seek":  # every partition: polls read since are dropped
                        epoch = at
                        reader.assign({**positions, **body})
                fetched = reader.poll()
                reads = [
                    read_record(topic_json, r.partition, r.offset, r.value, recorded_until)
                    for records in fetched.values()
                    for r in records
                ]
                if reads or reader.caught_up():
                    pipe.send(("poll", epoch, reads))
                    credit -= 1
    except (EOFError, BrokenPipeError):
        return  # the loader is gone
    except LogError as exc:
        _say_failure(pipe, True, str(exc))
    except BaseException as exc:  # the loader raises it in its own process
        _say_failure(pipe, False, f"{type(exc).__name__}: {exc}")


def _say_failure(pipe: Connection, kafka_failure: bool, text: str) -> None:
    with contextlib.suppress(OSError):
        pipe.send(("failed", kafka_failure, text))
