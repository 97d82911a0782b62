"""The loader's reading of ``impact.events``: each record judged on its own (``read_record``).

What a record says of itself needs no state: whether it is an envelope at all
(``read_for_loading``), whether its hash covers its content, whether its payload is what its
event type's schema says. That is most of the loader's work per record, beside the Kafka
client's own decoding of the fetched batches; what the chain says of it (its neighbours,
the signed checkpoints) is the loader's to judge. ``RecordReader`` hands the loader each poll's
``Read``s, and pauses a partition the loader has too many records of waiting.
"""

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, NamedTuple

import orjson

from impact.contract.chain import GENESIS, hash_covers
from impact.contract.events import read_for_loading
from impact.contract.payloads import payload_problem
from impact.errors import ContractError
from impact.kafka import TopicReader
from impact.settings import KafkaConnection

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
    ) -> None:
        self._topic_json = orjson.dumps(topic)
        self._recorded_until = recorded_until
        self._reader = TopicReader(kafka, topic, "impact-loader", max_records=max_records)
        try:
            self._reader.assign(positions)
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
    ) -> bool:
        """Poll and hand each poll's ``Read``s (none after an empty poll: records may be
        waiting for a verdict) to ``handle``, until ``stop()``; with ``until_idle``, until
        ``max_idle_polls`` empty polls in a row found the topic read to its end and nothing
        ``busy``. Returns whether it ended so."""
        idle = 0
        while not stop():
            reads = [
                read_record(self._topic_json, r.partition, r.offset, r.value, self._recorded_until)
                for records in self._reader.poll().values()
                for r in records
            ]
            handle(reads)
            if reads or not until_idle or busy() or not self._reader.caught_up():
                idle = 0
                continue
            idle += 1
            if idle >= max_idle_polls:
                return True
        return False

    def close(self) -> None:
        self._reader.close()
