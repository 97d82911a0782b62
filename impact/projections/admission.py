"""Which records of ``impact.events`` belong to the platform's chain: what the loader admits.

Two sources of truth, neither of them a record's own say-so:

* ``ChainState``: the links admitted so far (notification id → ``prev_hash``, ``hash``),
  read back from ``raw_events`` when a loader starts. A record is checked against its own
  content and against its admitted neighbours.
* ``SignedCheckpoints``: the checkpoints on ``<events topic>.checkpoints`` whose Ed25519
  signature verifies with a trusted platform key. The relay commits each batch of events
  in the same Kafka transaction as the checkpoint naming the chain's hash at the batch's
  last notification id, so a genuine record is never visible without a checkpoint at or
  beyond its notification id.

From the checkpoints, ``signed_chain`` walks back: the record at a checkpoint's position
must have the checkpoint's hash, the record before it the ``prev_hash`` that one names,
and so on through the records at hand and the admitted ones, as far as they reach. A
record whose notification id the walk reached with another hash is not the platform's,
however well it links: it is quarantined, and the genuine record of that id is admitted
whichever of the two came first.
"""

import logging
import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import orjson

from impact.contract.chain import checkpoint_signature_valid
from impact.contract.events import Checkpoint
from impact.errors import LogError
from impact.kafka import TopicReader
from impact.projections.reading import UNREADABLE, Read
from impact.projections.store import ProjectionStore
from impact.settings import KafkaConnection

log = logging.getLogger(__name__)


WALKABLE_KEPT = 50_000
"""Links kept for walks to pass through that are not admitted (``ChainState.walkable``): more
than the records of five of the relay's largest transactions (10 000 each)."""


KEPT_BEHIND = 1_000
"""Links kept below the end of the admitted prefix (``ChainState.prefix``); older ones are
dropped, their ids known admitted by their place alone. (The checks need only the prefix's
last link; the rest is a margin.)"""


class ChainState:
    """The chain as admitted so far: notification id → (prev_hash, hash) ('' when absent).

    Every id up to ``prefix`` is admitted, and only the links near its end (``KEPT_BEHIND``)
    and beyond it are kept: a record of an id at or below ``prefix`` is a second record of
    it, whatever its links, and every check of links and every walk concerns ids beyond
    ``prefix`` (a record waits only while its id is not admitted), with their neighbours. So a
    replay of a million events holds about as many links as one of a hundred thousand.
    """

    def __init__(self, admitted: dict[int, tuple[str, str]] | None = None) -> None:
        self.links = admitted or {}
        self.walkable: dict[int, list[tuple[str, str]]] = {}
        """Links not admitted that a walk may pass through: records of the chain not loaded
        (skipped by a replay's moment, refused for their payload); the newest
        ``WALKABLE_KEPT`` kept. (A forgery among them is harmless: a walk follows hashes.)"""
        chained = [nid for nid, (_, h) in self.links.items() if h]
        self.first_chained = min(chained) if chained else None
        self.prefix = 0
        """Every notification id from 1 to this one is admitted."""
        self.dropped_to = 0
        """The links of ids up to this one are no longer kept (all admitted)."""
        self._advance()

    def admitted(self, nid: int) -> bool:
        return nid <= self.dropped_to or nid in self.links

    def _advance(self) -> None:
        links = self.links
        while self.prefix + 1 in links:
            self.prefix += 1
        if self.prefix - self.dropped_to > 2 * KEPT_BEHIND:
            keep_from = self.prefix - KEPT_BEHIND
            for nid in range(self.dropped_to + 1, keep_from):
                del links[nid]
            self.dropped_to = keep_from - 1

    @classmethod
    def stored(cls, store: ProjectionStore, topic: str) -> "ChainState":
        rows = store.rows(
            "SELECT notification_id, any(prev_hash), any(hash) FROM {db}.raw_events"
            " WHERE topic = {t:String} AND error = '' GROUP BY notification_id",
            t=topic,
        )
        return cls({int(n): (str(p), str(h)) for n, p, h in rows})

    def link_problem(self, nid: int, prev: str, own: str) -> str | None:
        """What the admitted chain says against the record of ``nid`` with these chain
        fields ('' when absent); None when nothing does. Admits nothing."""
        if self.admitted(nid):
            return f"a second record for notification id {nid}"
        if not own or not prev:
            if self.first_chained is not None and nid > self.first_chained:
                return (
                    f"no hash chain fields, after the chain began at notification id "
                    f"{self.first_chained}"
                )
            return None
        before = self.links.get(nid - 1)
        if before is not None and before[1] and prev != before[1]:
            return f"its prev_hash does not link to notification id {nid - 1}"
        after = self.links.get(nid + 1)
        if after is not None and after[0] and after[0] != own:
            return f"the record of notification id {nid + 1} does not link to it"
        return None

    def admit_if_linked(self, nid: int, prev: str, own: str) -> str | None:
        """``link_problem`` (its own hash already checked), and when there is none the record
        is admitted."""
        reason = self.link_problem(nid, prev, own)
        if reason is None:
            self.admit(nid, prev, own)
        return reason

    def admit(self, nid: int, prev: str, own: str) -> None:
        if own and prev and (self.first_chained is None or nid < self.first_chained):
            self.first_chained = nid
        self.links[nid] = (prev, own)
        if nid == self.prefix + 1:
            self._advance()

    def walk_through(self, nid: int, prev: str, own: str) -> None:
        if not (prev and own):
            return
        self.walkable.setdefault(nid, []).append((prev, own))
        if len(self.walkable) > WALKABLE_KEPT:
            del self.walkable[next(iter(self.walkable))]

    def signed_chain(
        self, checkpoints: Mapping[int, str], at_hand: Mapping[int, Iterable[tuple[str, str]]]
    ) -> dict[int, tuple[int, str]]:
        """Notification id → (checkpoint position, the hash the signed chain holds there), for
        every id from ``at_hand``'s lowest up that a walk back from a signed checkpoint
        reaches through ``at_hand`` (id → its records' (prev_hash, hash)), the admitted
        links and the walkable ones."""
        if not at_hand:
            return {}
        low = min(at_hand)
        wanted: dict[int, tuple[int, str]] = {}
        for position in sorted((p for p in checkpoints if p >= low), reverse=True):
            nid, expected = position, checkpoints[position]
            while nid >= low and nid not in wanted:
                wanted[nid] = (position, expected)
                before = next((p for p, h in at_hand.get(nid, ()) if h == expected), None)
                if before is None and nid in self.walkable:
                    before = next((p for p, h in self.walkable[nid] if h == expected), None)
                if before is None:
                    admitted = self.links.get(nid)
                    before = admitted[0] if admitted and admitted[1] == expected else None
                if not before:
                    break
                nid, expected = nid - 1, before
        return wanted


class SignedCheckpoints:
    """The checkpoints of one events topic signed by a trusted platform key, read as they come:
    notification id → the chain's hash there."""

    def __init__(
        self, kafka: KafkaConnection, topic: str, events_topic: str, trusted: Mapping[str, str]
    ) -> None:
        self.topic = topic
        self.events_topic = events_topic
        self.trusted = dict(trusted)
        self.signed: dict[int, str] = {}
        self.newest = 0
        self.refused = 0
        self._reader = TopicReader(kafka, topic, "impact-loader-checkpoints")

    def close(self) -> None:
        self._reader.close()

    def refresh(self) -> None:
        """Read every checkpoint committed since the last refresh."""
        if self._assigned():
            self._read_to(self._reader.end_offsets(), timeout=60)

    def _assigned(self) -> bool:
        """Whether the topic's partitions are read (False while it has none: nothing
        published yet)."""
        if not self._reader.assigned:
            if not self._reader.partitions():
                return False
            self._reader.assign()
        return True

    def _read_to(self, ends: Mapping[int, int], timeout: float) -> None:
        for record in self._reader.read_to(ends, timeout=timeout):
            self._take(record)

    def settled(self) -> bool:
        """Whether every checkpoint written so far is committed and read: no transaction
        writing to the topic is open (its last stable offsets are its high watermarks), and
        the reading reached them. False when the cluster cannot say (a partition without a
        leader, a timeout): a checkpoint may then still be on its way.

        A genuine record is visible once the commit marker reached its own partition; the
        marker on the checkpoints partition may come later (seconds, when that partition's
        leader is failing over), but the checkpoint itself was written before the commit
        began. So once the topic is settled after a record was read, a checkpoint that
        covers it is either read by now or was never written."""
        try:
            if not self._assigned():
                return True  # nothing was ever published: nothing can be on its way
            stable = self._reader.end_offsets()
            if self._reader.high_watermarks() != stable:
                return False  # a transaction is open on the topic
            self._read_to(stable, timeout=30)
        except LogError as exc:
            log.warning("the checkpoints of %s cannot be settled now: %s", self.events_topic, exc)
            return False
        return True

    def _take(self, record: Any) -> None:
        where = f"{self.topic}[{record.partition}]@{record.offset}"
        try:
            raw = orjson.loads(record.value)
            checkpoint = Checkpoint.model_validate(raw)
        except ValueError:
            self._refuse(where, "not a checkpoint")
            return
        if checkpoint.events_topic != self.events_topic:
            return
        public = self.trusted.get(checkpoint.key_id)
        if public is None:
            self._refuse(where, f"signed by {checkpoint.key_id[:16]!r}, not a trusted platform key")
            return
        if not checkpoint_signature_valid(raw, public):
            self._refuse(where, "its signature does not verify")
            return
        position, chain_hash = checkpoint.up_to_notification_id, checkpoint.hash
        known = self.signed.setdefault(position, chain_hash)
        if known != chain_hash:
            log.error("%s: a second signed checkpoint at %d names another hash", where, position)
        self.newest = max(self.newest, position)

    def _refuse(self, where: str, why: str) -> None:
        self.refused += 1
        log.warning("%s is ignored: %s", where, why)


# -- records waiting for the chain's verdict ----------------------------------------------

UNDECIDED, ADMITTED, REFUSED, SKIPPED = range(4)


class Waiting:
    """A record read and not yet handed to ClickHouse, with the verdict on it so far."""

    __slots__ = ("read", "reason", "since", "state")

    def __init__(self, read: Read, since: float) -> None:
        self.read = read
        self.since = since
        self.state = UNDECIDED
        self.reason = ""
        if read.nid == UNREADABLE:
            self.refuse(read.own_problem or "unreadable")
        elif read.skipped:
            self.state = SKIPPED

    def refuse(self, reason: str) -> None:
        self.state, self.reason = REFUSED, reason


class Admission:
    """The records read and not yet loaded, per partition in offset order, and the verdict on
    each: admitted, refused (and why), skipped, or undecided yet.

    A chained record no other rule refuses is admitted only when a walk back from a signed
    checkpoint (``ChainState.signed_chain``) reaches its notification id with its hash. A
    record the walk cannot reach yet waits: the records between it and the checkpoint may
    be in a partition read later. A record no checkpoint covers yet waits for one
    (``hold_seconds`` at least; refused once the checkpoints topic is settled without one,
    or after ``max_hold_seconds``). Records wait in memory, not read again, and only a
    partition's decided prefix is handed on (``decided``): what ClickHouse holds of each
    partition stays a prefix, so the resume point stays exact.
    """

    def __init__(
        self,
        chain: ChainState,
        checkpoints: SignedCheckpoints,
        hold_seconds: float,
        max_hold_seconds: float,
        commit_lag_seconds: float,
    ) -> None:
        self.chain = chain
        self.checkpoints = checkpoints
        self.hold_seconds = hold_seconds
        self.max_hold_seconds = max(max_hold_seconds, hold_seconds)
        self.commit_lag_seconds = commit_lag_seconds
        self.partitions: dict[int, deque[Waiting]] = {}
        self._undecided: list[Waiting] = []
        self.held = 0
        """Records taken and not yet handed on."""
        self._newest_taken = 0
        """The highest notification id taken since the last walk (its checkpoint may be a
        moment behind it: the walk waits ``commit_lag_seconds`` for it)."""

    @property
    def undecided(self) -> int:
        return len(self._undecided)

    def waiting(self, partition: int) -> int:
        queue = self.partitions.get(partition)
        return len(queue) if queue else 0

    def take(self, reads: Iterable[Read]) -> None:
        now = time.monotonic()
        for read in reads:
            waiting = Waiting(read, now)
            self.partitions.setdefault(read.partition, deque()).append(waiting)
            self.held += 1
            if waiting.state == UNDECIDED:
                self._undecided.append(waiting)
                self._newest_taken = max(self._newest_taken, read.nid)
            elif waiting.state == SKIPPED and read.own_problem is None:
                self.chain.walk_through(read.nid, read.prev_hash, read.hash)

    def decide(self) -> None:
        """Judge every undecided record (in notification-id order) with what is known now."""
        if not self._undecided:
            return
        chain, now = self.chain, time.monotonic()
        pending = sorted(
            self._undecided, key=lambda w: (w.read.nid, w.read.partition, w.read.offset)
        )
        links: list[Waiting] = []
        for waiting in pending:
            read = waiting.read
            reason = read.own_problem or chain.link_problem(read.nid, read.prev_hash, read.hash)
            if reason is not None:
                waiting.refuse(reason)
            elif not (read.hash and read.prev_hash):  # before the chain began
                if read.payload_problem:
                    waiting.refuse(read.payload_problem)
                else:
                    chain.admit(read.nid, read.prev_hash, read.hash)
                    waiting.state = ADMITTED
            else:
                links.append(waiting)
        if links:
            self._walk(links, now)
        self._undecided = [w for w in self._undecided if w.state == UNDECIDED]

    def _walk(self, links: list[Waiting], now: float) -> None:
        checkpoints = self.checkpoints
        checkpoints.refresh()
        fresh, self._newest_taken = self._newest_taken, 0
        waited_until = now + self.commit_lag_seconds
        while fresh > checkpoints.newest and time.monotonic() < waited_until:
            time.sleep(0.05)  # its checkpoint commits with it: wait for the marker
            checkpoints.refresh()
        at_hand: dict[int, list[tuple[str, str]]] = {}
        for waiting in links:
            if waiting.read.nid <= checkpoints.newest:
                at_hand.setdefault(waiting.read.nid, []).append(
                    (waiting.read.prev_hash, waiting.read.hash)
                )
        wanted = self.chain.signed_chain(checkpoints.signed, at_hand)
        uncovered = [w for w in links if w.read.nid > checkpoints.newest and w.state == UNDECIDED]
        settled = (
            any(now - w.since >= self.hold_seconds for w in uncovered) and checkpoints.settled()
        )
        for waiting in links:
            read = waiting.read
            signed = wanted.get(read.nid)
            if signed is not None:
                position, expected = signed
                if expected == read.hash:
                    if read.payload_problem:  # refused, and still a link of the chain
                        waiting.refuse(read.payload_problem)
                        self.chain.walk_through(read.nid, read.prev_hash, read.hash)
                    else:
                        self.chain.admit(read.nid, read.prev_hash, read.hash)
                        waiting.state = ADMITTED
                else:
                    which = (
                        f"a second record for notification id {read.nid}, not the one"
                        if len(at_hand[read.nid]) > 1
                        else f"not the record of notification id {read.nid}"
                    )
                    waiting.refuse(
                        f"{which} on the chain the platform key signed (checkpoint at {position})"
                    )
                continue
            waited = now - waiting.since
            if read.nid <= checkpoints.newest:
                if waited >= self.max_hold_seconds:
                    waiting.refuse(
                        f"no walk back from a checkpoint signed by the platform key reached "
                        f"notification id {read.nid} in {self.max_hold_seconds:.0f} s"
                    )
            elif read.payload_problem:
                waiting.refuse(read.payload_problem)
            elif waited >= self.max_hold_seconds or (waited >= self.hold_seconds and settled):
                waiting.refuse(
                    f"no checkpoint signed by the platform key covers notification id "
                    f"{read.nid} (the newest covers {checkpoints.newest})"
                )
        if (
            uncovered
            and not settled
            and any(self.hold_seconds <= now - w.since < self.hold_seconds + 1.0 for w in uncovered)
        ):
            log.info(
                "%d record(s) no signed checkpoint covers yet wait longer: a transaction is "
                "open on %s (or its leader cannot be reached)",
                len(uncovered),
                checkpoints.topic,
            )

    def decided(self, limit: int | None = None) -> Iterator[Waiting]:
        """Each partition's decided records from its first on (``limit`` at most), taken out
        of the waiting."""
        left = limit
        for queue in self.partitions.values():
            while queue and queue[0].state != UNDECIDED:
                if left is not None:
                    if left <= 0:
                        return
                    left -= 1
                self.held -= 1
                yield queue.popleft()
