"""Where the relay resumes: only from what it can vouch for.

A record on a topic proves nothing by being there (DESIGN §6b): anyone who may write
to the topic could otherwise move the relay's position (a far-ahead ``notification_id``
header) or its chain head (a forged record that links). So, at start:

* The base is the relay's last checkpoint on the checkpoints topic whose signature
  verifies with the platform key, whose notification id is in the event store, and
  whose hash is the chain recomputed from the event store since the checkpoint before
  it (one batch of work). Without one, the base is the chain's start.
* Records on the topic after the base are read from each partition's tail, back to the
  first record the relay wrote at or before the base (checkpoints come with every
  batch, so this is a window of a few records). Each is accepted only if it is, byte for byte, the record the relay
  would write from the event store for the next notification id on the chain (a
  transaction that committed after the base). Anything else (not an envelope, a wrong
  hash, an unknown or repeated notification id) is *foreign*: logged with its place,
  counted, never adopted.

A route without a chain (rejections) has no checkpoints: its tail's records are each
checked against the event store alone, and the highest that matches is the position.
"""

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from eventsourcing.persistence import Notification

from impact.contract.chain import GENESIS, PlatformKey, checkpoint_signature_valid
from impact.contract.events import HEX64, notification_id_in
from impact.errors import LogError
from impact.kafka import TopicReader
from impact.ledger import Ledger
from impact.settings import KafkaConnection

log = logging.getLogger(__name__)
_HEX64 = re.compile(HEX64)

Record = tuple[bytes, bytes, list[tuple[str, bytes]]]
ToRecord = Callable[[Notification, Any, str], tuple[Record, str]]


@dataclass(frozen=True)
class TopicRecord:
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    notification_id: int | None

    @property
    def place(self) -> str:
        return f"[{self.partition}]@{self.offset}"


@dataclass
class Resumed:
    position: int = 0
    head: str = GENESIS
    foreign: list[TopicRecord] = field(default_factory=list)


@dataclass(frozen=True)
class Vouched:
    """What the relay knows about its route: where its records go and how it makes them."""

    ledger: Ledger
    kafka: KafkaConnection
    topic: str
    to_record: ToRecord
    event_topics: tuple[str, ...]
    checkpoints_topic: str | None
    signer: PlatformKey | None

    def resume(self) -> Resumed:
        if self.checkpoints_topic and self.signer is not None:
            return self._resume_chained()
        return self._resume_unchained()

    # -- a chained route ------------------------------------------------------------

    def _resume_chained(self) -> Resumed:
        checkpoints = self._signed_checkpoints()
        base = Resumed()
        if checkpoints:
            base.position, base.head = checkpoints[-1]
            if len(checkpoints) > 1:
                self._check_against_store(checkpoints[-2], checkpoints[-1])
            elif base.position > 0 and not self._stored(base.position):
                raise LogError(f"checkpoint at {base.position} is beyond the event store")
        tail = sorted(
            self._tail_after(base.position),
            key=lambda r: (r.notification_id or 0, r.partition, r.offset),
        )
        legacy = not checkpoints
        for record in tail:
            expected = self._expected(base.position + 1, base.head)
            if (
                expected is not None
                and record.notification_id == base.position + 1
                and _same(record, expected[0], legacy)
            ):
                base.position, base.head = base.position + 1, expected[1]
            else:
                base.foreign.append(record)
        return base

    def _expected(self, notification_id: int, head: str) -> tuple[Record, str] | None:
        page = self.ledger.notifications(notification_id, 1, self.event_topics)
        if not page or page[0].id != notification_id:
            return None
        notification = page[0]
        return self.to_record(notification, self.ledger.mapper.to_domain_event(notification), head)

    def _stored(self, notification_id: int) -> bool:
        page = self.ledger.notifications(notification_id, 1, self.event_topics)
        return bool(page) and page[0].id == notification_id

    def _check_against_store(self, before: tuple[int, str], last: tuple[int, str]) -> None:
        """The last checkpoint's hash is the chain computed from the event store since the
        checkpoint before it (a relay never signs a chain the store does not hold)."""
        position, head = before
        while position < last[0]:
            page = self.ledger.notifications(position + 1, 1000, self.event_topics)
            page = [n for n in page if n.id <= last[0]]
            if not page:
                break
            for notification in page:
                event = self.ledger.mapper.to_domain_event(notification)
                _, head = self.to_record(notification, event, head)
            position = page[-1].id
        if (position, head) != last:
            raise LogError(
                f"the signed checkpoint at notification {last[0]} of {self.topic} does not "
                "match the event store's chain; the store or the key has been tampered with"
            )

    def _signed_checkpoints(self) -> list[tuple[int, str]]:
        """The last two checkpoints of this topic signed by the platform key, oldest first."""
        assert self.checkpoints_topic and self.signer
        public = self.signer.public_text
        found: list[tuple[int, str]] = []
        for record in _tail(self.kafka, self.checkpoints_topic, enough=lambda got: len(got) >= 2):
            content = _json(record.value)
            if (
                content.get("events_topic") == self.topic
                and isinstance(content.get("up_to_notification_id"), int)
                and isinstance(content.get("hash"), str)
                and checkpoint_signature_valid(content, public)
            ):
                found.append((content["up_to_notification_id"], content["hash"]))
                if len(found) >= 2:
                    break
            else:
                log.warning(
                    "%s%s is not a checkpoint signed by the platform key; ignored",
                    self.checkpoints_topic,
                    record.place,
                )
        return sorted(found)

    def _tail_after(self, position: int) -> list[TopicRecord]:
        """The records of each partition's tail after ``position``: read back to a record
        the relay wrote for ``position`` or before (its content is what the event store
        gives for its notification id; a header alone does not stop the reading)."""

        def written_at_or_before(record: TopicRecord) -> bool:
            nid = record.notification_id
            if nid is None or not 0 < nid <= position:
                return False
            prev_hash = _json(record.value).get("prev_hash")
            if not (isinstance(prev_hash, str) and _HEX64.match(prev_hash)):
                prev_hash = GENESIS
            expected = self._expected(nid, prev_hash)
            return expected is not None and _same(record, expected[0], legacy=True)

        return list(_tail(self.kafka, self.topic, stop=written_at_or_before))

    # -- a route without a chain ----------------------------------------------------

    def _resume_unchained(self) -> Resumed:
        genuine: list[TopicRecord] = []

        def matches(record: TopicRecord) -> bool:
            if record.notification_id is None or record.notification_id <= 0:
                return False
            expected = self._expected(record.notification_id, GENESIS)
            if expected is not None and _same(record, expected[0], legacy=False):
                genuine.append(record)
                return True
            return False

        tail = list(_tail(self.kafka, self.topic, stop=matches))
        position = max((r.notification_id or 0 for r in genuine), default=0)
        foreign = [r for r in tail if r not in genuine and (r.notification_id or 0) > position]
        return Resumed(position, GENESIS, foreign)


def _same(record: TopicRecord, expected: Record, legacy: bool) -> bool:
    key, value, _ = expected
    if record.key != key or record.value is None:
        return False
    if record.value == value:
        return True
    # A log published before the chain: the same envelope without its chain fields.
    if legacy:
        content = _json(value)
        return bool(content) and _json(record.value) == {
            k: v for k, v in content.items() if k not in ("prev_hash", "hash")
        }
    return False


def _json(value: bytes | None) -> dict[str, Any]:
    try:
        found = orjson.loads(value or b"null")
    except orjson.JSONDecodeError:
        return {}
    return found if isinstance(found, dict) else {}


def _tail(
    kafka: KafkaConnection,
    topic: str,
    stop: Callable[[TopicRecord], bool] = lambda _: False,
    enough: Callable[[list[TopicRecord]], bool] = lambda _: False,
) -> Iterator[TopicRecord]:
    """Committed records from the end of each partition backwards (newest first per
    partition), in growing windows, until a window holds a record ``stop`` accepts (those
    before it are not read) or ``enough`` holds, or the partition's start."""
    with TopicReader(kafka, topic, "impact-relay-resume") as reader:
        partitions = reader.partitions()
        ends, begins = reader.end_offsets(partitions), reader.beginning_offsets(partitions)
        for partition in partitions:
            end, window = ends[partition], 64
            got: list[TopicRecord] = []
            reader.assign(partitions=[partition])
            while end > begins[partition]:
                start = max(begins[partition], end - window)
                reader.seek(partition, start)
                records = [
                    TopicRecord(
                        r.partition,
                        r.offset,
                        r.key,
                        r.value,
                        notification_id_in(r.headers),
                    )
                    for r in reader.read_to({partition: end}, timeout=30)
                ]
                stopped = False
                for record in reversed(records):  # newest first; stop() may ask the store
                    if stop(record):
                        stopped = True
                        break
                    got.append(record)
                    yield record
                if stopped or enough(got) or start == begins[partition]:
                    break
                end, window = start, window * 8
