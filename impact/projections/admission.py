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
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from impact.contract.chain import checkpoint_signature_valid
from impact.contract.events import Checkpoint
from impact.errors import LogError
from impact.kafka import TopicReader
from impact.projections.store import ProjectionStore
from impact.settings import KafkaConnection

log = logging.getLogger(__name__)


class ChainState:
    """The chain as admitted so far: notification id → (prev_hash, hash) ('' when absent)."""

    def __init__(self, admitted: dict[int, tuple[str, str]] | None = None) -> None:
        self.links = admitted or {}
        chained = [nid for nid, (_, h) in self.links.items() if h]
        self.first_chained = min(chained) if chained else None

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
        if nid in self.links:
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

    def signed_chain(
        self, checkpoints: Mapping[int, str], at_hand: Mapping[int, Iterable[tuple[str, str]]]
    ) -> dict[int, tuple[int, str]]:
        """Notification id → (checkpoint position, the hash the signed chain holds there), for
        every id from ``at_hand``'s lowest up that a walk back from a signed checkpoint
        reaches through ``at_hand`` (id → its records' (prev_hash, hash)) and the admitted
        links."""
        if not at_hand:
            return {}
        low = min(at_hand)
        wanted: dict[int, tuple[int, str]] = {}
        for position in sorted((p for p in checkpoints if p >= low), reverse=True):
            nid, expected = position, checkpoints[position]
            while nid >= low and nid not in wanted:
                wanted[nid] = (position, expected)
                before = next((p for p, h in at_hand.get(nid, ()) if h == expected), None)
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
        if not self._reader.assigned:
            if not self._reader.partitions():
                return  # nothing published yet
            self._reader.assign()
        for record in self._reader.read_to(self._reader.end_offsets(), timeout=60):
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
            if not self._reader.assigned and not self._reader.partitions():
                return True  # nothing was ever published: nothing can be on its way
            self.refresh()
            stable = self._reader.end_offsets()
            if self._reader.high_watermarks() != stable:
                return False  # a transaction is open on the topic
            for record in self._reader.read_to(stable, timeout=30):
                self._take(record)
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
