"""``impact audit verify``: the event store, ``impact.events`` and its checkpoints, end to end.

What is checked, each failure located (an event store row by notification id, a
Kafka record by ``topic[partition]@offset``, a field by its path):

* **log records**: every record on the events topic is an envelope whose
  ``notification_id`` header matches its body;
* **exactly once**: every event of the event store is on the log once, and the log
  holds nothing the store does not (events stored after the last published one are
  reported as not relayed yet, not as missing);
* **content**: each record equals the envelope rebuilt from the event store row,
  field by field (compared by the digest of their canonical JSON);
* **versions**: per aggregate, versions are 1..n in the store, and on the log in one
  partition, in order;
* **hash chain**: each record's ``prev_hash`` is its predecessor's ``hash`` and its
  ``hash`` covers its content (``impact.contract.chain``);
* **checkpoints**: each is signed by a trusted platform key and names the chain's
  hash at its notification id; every record is covered by one;
* **platform chain**: every record is the link the signed chain holds for its
  notification id; a second record of an id, an id the store does not have, or a
  record that is not an envelope was written by someone else and is named as foreign
  (where the store is silent, the record a signed checkpoint or the next link vouches
  for is the chain's, never one that merely links to its predecessor);
* **agency signatures**: ``impact.audit.signatures``;
* **sealed personal data**: each sealed record opens with its subject's key, or the
  key was destroyed (erased); one that does not open with its key was altered.

When a record and its event store row differ, the verdict says which side still
matches the signed chain, so it says which one was changed.
"""

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import orjson

from impact.audit.findings import CheckResult, differences, short
from impact.audit.log import LogRecord, fetch_record, read_topic
from impact.audit.signatures import SignatureCheck
from impact.contract.chain import GENESIS, checkpoint_signature_valid, content_digest, link
from impact.contract.events import CHAIN_FIELDS, Checkpoint, EventEnvelope, envelope_for
from impact.contract.payloads import payload_problem
from impact.domain.proposal import Proposal
from impact.errors import PrivacyError
from impact.ledger import Ledger
from impact.privacy import PersonalDataSealer
from impact.settings import KafkaConnection, Topics
from impact.store_chain import notification_digest, seal_valid


@dataclass(frozen=True)
class Published:
    """What verify keeps of one record of the events topic (not its bytes)."""

    partition: int
    offset: int
    topic: str
    notification_id: int
    digest: bytes
    prev_hash: str | None
    hash: str | None
    aggregate_id: str
    version: int
    type: str

    @property
    def where(self) -> str:
        return f"{self.topic}[{self.partition}]@{self.offset}"


@dataclass
class VerifyReport:
    events_topic: str
    checks: list[CheckResult]
    stored: int = 0
    published: int = 0
    checkpoints: int = 0

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def findings(self) -> list[Any]:
        return [f for c in self.checks for f in c.findings]

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "events_topic": self.events_topic,
            "stored_events": self.stored,
            "published_records": self.published,
            "checkpoints": self.checkpoints,
            "checks": [c.as_json() for c in self.checks],
        }


@dataclass
class _Mismatch:
    store_where: str
    entry: Published
    store_content: dict[str, Any]


@dataclass
class _State:
    by_nid: dict[int, list[Published]] = field(default_factory=lambda: defaultdict(list))
    store_digest: dict[int, bytes] = field(default_factory=dict)
    store_unreadable: set[int] = field(default_factory=set)
    labels: dict[str, str] = field(default_factory=dict)
    mismatches: list[_Mismatch] = field(default_factory=list)
    linked_ok: dict[int, bool] = field(default_factory=dict)
    covered_up_to: int = 0
    chosen: dict[int, "Published"] = field(default_factory=dict)
    not_envelopes: list[str] = field(default_factory=list)
    sealed: Counter[str] = field(default_factory=Counter)


MAX_DIFFS = 50


class Verifier:
    def __init__(
        self,
        kafka: KafkaConnection,
        topics: Topics,
        ledger: Ledger,
        trusted_keys: dict[str, str],
        sealer: PersonalDataSealer | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.kafka = kafka
        self.checkpoints_topic = topics.checkpoints
        self.ledger = ledger
        self.trusted = trusted_keys
        self.sealer = sealer
        self.progress = progress or (lambda _: None)
        self.topic = topics.events
        self.records = CheckResult("log-records", "every record on the log is an event envelope")
        self.once = CheckResult("exactly-once", "every stored event is on the log exactly once")
        self.content = CheckResult(
            "content", "every record equals the envelope rebuilt from its event store row"
        )
        self.versions = CheckResult(
            "versions", "per aggregate, versions are contiguous (store and log, one partition)"
        )
        self.chain = CheckResult("hash-chain", "each record links to the one before it")
        self.checkpoints = CheckResult(
            "checkpoints", "checkpoints are signed by a trusted platform key and match the chain"
        )
        self.platform_chain = CheckResult(
            "platform-chain", "every record on the log is a link of the platform's signed chain"
        )
        self.store_chain = CheckResult(
            "store-chain",
            "every event store row matches its link of the store chain, signed by a trusted "
            "platform key when it was stored",
        )
        self.signatures = SignatureCheck()
        self.sealed = CheckResult(
            "sealed-data", "sealed personal data opens with its subject's key, or was erased"
        )
        self.state = _State()
        self._diffs = 0

    def run(self) -> VerifyReport:
        report = VerifyReport(self.topic, [])
        self.progress(f"reading {self.topic}")
        report.published = self._read_log()
        self.progress("reading the event store")
        report.stored = self._walk_store()
        self._check_store_chain()
        self.progress(f"reading {self.checkpoints_topic}")
        signed = self._read_checkpoints()
        report.checkpoints = sum(len(v) for v in signed.values())
        self._follow_chain(signed)
        self._judge_mismatches()
        self._name_foreign_records()
        self.sealed.notes = [f"{n} {state}" for state, n in sorted(self.state.sealed.items())]
        report.checks = [
            self.records,
            self.once,
            self.content,
            self.versions,
            self.store_chain,
            self.chain,
            self.checkpoints,
            self.platform_chain,
            self.signatures.finish(),
            self.sealed,
        ]
        return report

    # -- the log ----------------------------------------------------------------

    def _read_log(self) -> int:
        count = 0
        placement: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
        for record in read_topic(self.kafka, self.topic):
            count += 1
            entry = self._entry(record)
            if entry is None:
                continue
            self.state.by_nid[entry.notification_id].append(entry)
            placement[entry.aggregate_id].append((entry.partition, entry.offset, entry.version))
        self.records.checked = count
        for aggregate_id, seen in placement.items():
            seen.sort()
            partitions = sorted({p for p, _, _ in seen})
            if len(partitions) > 1:
                self.versions.fail(
                    f"aggregate {aggregate_id}",
                    f"its events are in partitions {partitions} of {self.topic}",
                )
            expected = 1
            for partition, offset, version in seen:
                if version != expected:
                    self.versions.fail(
                        f"{self.topic}[{partition}]@{offset}",
                        f"aggregate {aggregate_id} has version {version} here where {expected} "
                        "comes next in log order",
                    )
                expected = max(expected, version + 1)
        return count

    def _entry(self, record: LogRecord) -> Published | None:
        try:
            raw = orjson.loads(record.value)
            envelope = EventEnvelope.model_validate(raw)
        except ValueError as exc:
            self.records.fail(record.where, f"not an event envelope: {short(str(exc), 160)}")
            self.state.not_envelopes.append(record.where)
            return None
        if record.notification_id != envelope.notification_id:
            self.records.fail(
                record.where,
                f"its notification_id header says {record.notification_id}, its body "
                f"{envelope.notification_id}",
            )
        self._judge_payload(record, envelope)
        return Published(
            record.partition,
            record.offset,
            record.topic,
            envelope.notification_id,
            content_digest(raw),
            envelope.prev_hash,
            envelope.hash,
            str(envelope.aggregate_id),
            envelope.aggregate_version,
            envelope.type,
        )

    def _judge_payload(self, record: LogRecord, envelope: EventEnvelope) -> None:
        """A payload its type's schema refuses (the loader quarantines that record)."""
        problem = payload_problem(envelope.type, envelope.schema_version, envelope.payload)
        if problem:
            self.records.fail(
                record.where, f"{envelope.type}: {problem} (quarantined by the loader)"
            )

    # -- the event store --------------------------------------------------------

    def _walk_store(self) -> int:
        versions: dict[UUID, int] = {}
        count, start, highest = 0, 1, 0
        published_up_to = max(self.state.by_nid, default=0)
        unpublished: list[int] = []
        while True:
            try:
                page = self.ledger.notifications(start, 500)
            except Exception as exc:  # a row so damaged the recorder cannot select it
                self.content.fail(
                    f"event store rows from notification {start}",
                    f"cannot be read: {short(str(exc), 200)}",
                )
                break
            if not page:
                break
            for notification in page:
                count += 1
                highest = notification.id
                self._store_row(notification, versions, published_up_to, unpublished)
            start = page[-1].id + 1
        self.content.checked = self.once.checked = count
        self.versions.checked = len(versions)
        if unpublished:
            self.once.notes.append(
                f"{len(unpublished)} events stored after the last published one "
                f"(notifications {unpublished[0]}..{unpublished[-1]}) are not relayed yet: "
                "run `impact relay --until-idle`"
            )
        for nid, entries in sorted(self.state.by_nid.items()):
            if nid > highest or (
                nid not in self.state.store_digest and nid not in self.state.store_unreadable
            ):
                for entry in entries:
                    self.once.fail(
                        entry.where,
                        f"holds notification {nid} ({entry.type}), which "
                        "the event store does not have",
                    )
        return count

    def _store_row(
        self,
        notification: Any,
        versions: dict[UUID, int],
        published_up_to: int,
        unpublished: list[int],
    ) -> None:
        nid = notification.id
        where = (
            f"event store row {nid} ({notification.topic.rpartition(':')[2]} "
            f"v{notification.originator_version} of {notification.originator_id})"
        )
        last = versions.get(notification.originator_id, 0)
        if notification.originator_version != last + 1:
            self.versions.fail(
                where,
                f"version {notification.originator_version} follows "
                f"version {last} of the same aggregate",
            )
        versions[notification.originator_id] = max(last, notification.originator_version)
        try:
            event = self.ledger.mapper.to_domain_event(notification)
            envelope = envelope_for(nid, event)
        except Exception as exc:
            self.state.store_unreadable.add(nid)
            self.content.fail(where, f"cannot be read: {short(str(exc), 240)}")
            return
        label = self._label(envelope)
        where = f"event store row {nid} ({envelope.type} v{envelope.aggregate_version} of {label})"
        content = envelope.content()
        digest = content_digest(content)
        self.state.store_digest[nid] = digest
        self.signatures.observe(nid, event)
        self._check_sealed(nid, event)
        entries = self.state.by_nid.get(nid, [])
        if not entries:
            if nid > published_up_to:
                unpublished.append(nid)
            else:
                self.once.fail(where, f"is missing from {self.topic}")
            return
        same = [e for e in entries if e.digest == digest]
        for extra in same[1:]:
            self.once.fail(
                extra.where, f"notification {nid} is published again (first at {same[0].where})"
            )
        others = [e for e in entries if e.digest != digest]
        if same:
            for other in others:
                self.once.fail(
                    other.where,
                    f"a second, different record of notification {nid} "
                    f"(the one matching the event store is {same[0].where})"
                    f": {self._diff(other, content)}",
                )
        else:
            for other in others:
                self.state.mismatches.append(_Mismatch(where, other, content))

    def _label(self, envelope: EventEnvelope) -> str:
        key = str(envelope.aggregate_id)
        if envelope.aggregate_version == 1:
            payload = envelope.payload
            natural = payload.get("code") or payload.get("quarter") or payload.get("submission_id")
            self.state.labels[key] = (
                f"{envelope.aggregate_type} {natural}"
                if natural
                else f"{envelope.aggregate_type} {key}"
            )
        return self.state.labels.get(key, f"{envelope.aggregate_type} {key}")

    def _check_sealed(self, nid: int, event: Any) -> None:
        if self.sealer is None or not isinstance(event, Proposal.Submitted):
            return
        if event.proposer is None:
            return
        self.sealed.checked += 1
        try:
            seen, _ = self.sealer.reveal(event.proposer)
        except PrivacyError as exc:
            self.sealed.fail(f"event store row {nid} (proposal {event.code})", str(exc))
            return
        self.state.sealed[seen] += 1

    def _diff(self, entry: Published, store_content: dict[str, Any]) -> str:
        """Which fields differ; the record is read again for it (for the first few only)."""
        self._diffs += 1
        if self._diffs > MAX_DIFFS:
            return "its content differs (fields not listed beyond the first findings)"
        record = fetch_record(self.kafka, entry.topic, entry.partition, entry.offset)
        if record is None:
            return "the record could not be read again"
        try:
            raw = orjson.loads(record.value)
        except orjson.JSONDecodeError:
            return "the record is not JSON"
        on_log = {k: v for k, v in raw.items() if k not in CHAIN_FIELDS}
        found = differences(store_content, on_log)
        if not found:
            return "same fields, different encoding"
        shown = "; ".join(
            f"{path} is {short(a)} in the event store, {short(b)} on the log"
            for path, a, b in found[:4]
        )
        return shown + (f"; and {len(found) - 4} more" if len(found) > 4 else "")

    # -- the store chain --------------------------------------------------------

    def _check_store_chain(self) -> None:
        """Each row against its link (``impact.store_chain``), each signed link against the
        trusted platform keys, and every row covered by a signed link."""
        check, head, start = self.store_chain, GENESIS, 1
        signed, sealed, highest = 0, 0, 0
        while True:
            try:
                page = self.ledger.notifications(start, 500)
                links = self.ledger.store_chain(page[0].id, page[-1].id) if page else []
            except Exception as exc:  # a damaged row: _walk_store says which
                check.fail(f"event store rows from notification {start}", short(str(exc), 200))
                return
            if links is None:
                check.notes.append("this event store keeps no store chain")
                return
            if not page:
                break
            by_id = {entry.notification_id: entry for entry in links}
            for missing in sorted(set(by_id) - {n.id for n in page}):
                check.fail(f"store chain link {missing}", "has no event store row: it was deleted")
            for notification in page:
                check.checked += 1
                highest, where = notification.id, f"event store row {notification.id}"
                entry = by_id.get(notification.id)
                if entry is None:
                    check.fail(where, "has no link in the store chain")
                    continue
                if link(head, notification_digest(notification)) != entry.hash:
                    check.fail(
                        where,
                        "is not what was stored: its content does not match its link in the "
                        "store chain (the row was changed after it was stored)",
                    )
                head = entry.hash
                if entry.signature is not None:
                    sealed = notification.id
                    if seal_valid(entry, self.trusted):
                        signed = notification.id
                    else:
                        check.fail(
                            f"store chain link {notification.id}",
                            f"its signature does not verify with a trusted platform key: rows "
                            f"{signed + 1}..{notification.id} or their links were changed "
                            "after they were signed",
                        )
            start = page[-1].id + 1
        if highest > sealed:
            check.fail(
                f"event store rows {sealed + 1}..{highest}",
                "are not covered by a signed link of the store chain",
            )

    # -- checkpoints and the chain ----------------------------------------------

    def _read_checkpoints(self) -> dict[int, list[tuple[str, str]]]:
        """(where, hash) of every validly signed checkpoint, by notification id."""
        signed: dict[int, list[tuple[str, str]]] = defaultdict(list)
        if not self.trusted:
            self.checkpoints.fail(
                "verify", "no trusted platform key: pass --trust with the platform's public key"
            )
        for record in read_topic(self.kafka, self.checkpoints_topic):
            self.checkpoints.checked += 1
            try:
                raw = orjson.loads(record.value)
                checkpoint = Checkpoint.model_validate(raw)
            except ValueError as exc:
                self.checkpoints.fail(record.where, f"not a checkpoint: {short(str(exc), 160)}")
                continue
            if checkpoint.events_topic != self.topic:
                continue
            public = self.trusted.get(checkpoint.key_id)
            if public is None:
                if self.trusted:
                    self.checkpoints.fail(
                        record.where,
                        f"signed by key {checkpoint.key_id}, which is not a trusted platform key",
                    )
                continue
            if not checkpoint_signature_valid(raw, public):
                self.checkpoints.fail(
                    record.where,
                    f"the signature of the checkpoint at notification "
                    f"{checkpoint.up_to_notification_id} does not verify with platform key "
                    f"{checkpoint.key_id}",
                )
                continue
            signed[checkpoint.up_to_notification_id].append((record.where, checkpoint.hash))
        return signed

    def _follow_chain(self, signed: dict[int, list[tuple[str, str]]]) -> None:
        head, previous, legacy = GENESIS, None, 0
        for nid in sorted(self.state.by_nid):
            entries = self.state.by_nid[nid]
            wanted = self.state.store_digest.get(nid)
            chosen = _chain_entry(entries, wanted, self.state.by_nid.get(nid + 1, []), signed)
            self.state.chosen[nid] = chosen
            self.chain.checked += 1
            if chosen.hash is None:
                legacy += 1
                head = link(head, chosen.digest)
                self.state.linked_ok[nid] = True
            else:
                ok = True
                if chosen.prev_hash != head:
                    ok = False
                    before = (
                        f"the hash of notification {previous.notification_id} at {previous.where}"
                        if previous
                        else "the genesis hash"
                    )
                    self.chain.fail(
                        chosen.where,
                        f"prev_hash {short(chosen.prev_hash, 20)} is not {before} ({head[:16]}…)",
                    )
                if chosen.hash != link(chosen.prev_hash or GENESIS, chosen.digest):
                    ok = False
                    self.chain.fail(
                        chosen.where,
                        f"its hash does not cover its content "
                        f"(notification {nid} was changed after it "
                        "was linked)",
                    )
                self.state.linked_ok[nid] = ok
                head = chosen.hash
            for where, signed_hash in signed.pop(nid, []):
                if signed_hash != head:
                    self.checkpoints.fail(
                        where,
                        f"names hash {signed_hash[:16]}… at notification "
                        f"{nid}; the log's chain there is {head[:16]}…",
                    )
                else:
                    self.state.covered_up_to = nid
            previous = chosen
        for nid, found in sorted(signed.items()):
            for where, _ in found:
                self.checkpoints.fail(where, f"names notification {nid}, which is not on the log")
        if legacy:
            self.chain.notes.append(
                f"{legacy} records predate the chain fields; they are linked by their content"
            )

    def _judge_mismatches(self) -> None:
        covered = self.state.covered_up_to
        highest = max(self.state.by_nid, default=0)
        if self.state.by_nid and covered < highest:
            first = min(n for n in self.state.by_nid if n > covered)
            self.checkpoints.fail(
                f"{self.topic}",
                f"notifications {first}..{highest} are not covered by a signed checkpoint",
            )
        for mismatch in self.state.mismatches:
            entry = mismatch.entry
            intact = (
                self.state.linked_ok.get(entry.notification_id, False)
                and entry.notification_id <= covered
            )
            verdict = (
                "the log's copy links into the signed chain, so the event store row was changed"
                if intact
                else "the log's copy does not match its signed chain either"
            )
            self.content.fail(
                mismatch.store_where,
                f"differs from its record {entry.where}: "
                f"{self._diff(entry, mismatch.store_content)} ({verdict})",
            )

    def _name_foreign_records(self) -> None:
        """Every record that is not the link the signed chain holds for its notification id:
        a second record of an id, an id the event store does not have, or not an envelope.
        Someone other than the relay wrote it; readers must not count it."""
        covered = self.state.covered_up_to
        self.platform_chain.checked = self.records.checked
        for where in self.state.not_envelopes:
            self.platform_chain.fail(where, "is not part of the platform's chain (not an envelope)")
        for nid, entries in sorted(self.state.by_nid.items()):
            chosen = self.state.chosen.get(nid)
            known = nid in self.state.store_digest or nid in self.state.store_unreadable
            for entry in entries:
                if entry is chosen and known:
                    continue
                if entry is not chosen:
                    why = (
                        f"another record of notification {nid} ({chosen.where}) is the link "
                        "the signed chain holds"
                        if chosen is not None
                        else "it is not on the chain"
                    )
                else:
                    why = f"the event store has no notification {nid}" + (
                        "" if nid <= covered else " and no signed checkpoint covers it"
                    )
                self.platform_chain.fail(entry.where, f"is not part of the platform's chain: {why}")


def _chain_entry(
    entries: list[Published],
    store_digest: bytes | None,
    following: list[Published],
    signed: dict[int, list[tuple[str, str]]],
) -> Published:
    """Which of the records of one notification id is the chain's link: the one the event
    store rebuilds; without it, the one a signed checkpoint names or the next link follows
    (a record that merely links to its predecessor is not enough: a forgery can)."""
    if len(entries) == 1:
        return entries[0]
    signed_hashes = {h for found in signed.values() for _, h in found}
    followed = {e.prev_hash for e in following}
    for prefer in (
        lambda e: e.digest == store_digest,
        lambda e: e.hash in signed_hashes,
        lambda e: e.hash in followed,
    ):
        found = [e for e in entries if prefer(e)]
        if found:
            return found[0]
    return entries[0]


def verify(
    kafka: KafkaConnection,
    topics: Topics,
    ledger: Ledger,
    trusted_keys: dict[str, str],
    sealer: PersonalDataSealer | None = None,
    progress: Callable[[str], None] | None = None,
) -> VerifyReport:
    return Verifier(kafka, topics, ledger, trusted_keys, sealer, progress).run()
