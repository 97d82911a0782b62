"""The hash chain of ``impact.events`` and the checkpoints that sign it.

The chain
    Envelopes are linked in notification-id order (the event store's log order, which
    is also the order the relay publishes in), across all partitions::

        content_digest(e) = sha256(RFC 8785 canonical JSON of e without prev_hash, hash)
        e.prev_hash       = hash of the envelope before e (64 zeros for the first)
        e.hash            = sha256(bytes.fromhex(e.prev_hash) + content_digest(e))

    Each envelope carries both fields, so a reader checks any record against its own
    content and against its predecessor; changing one record's content breaks its own
    hash, and rewriting that hash breaks every later ``prev_hash``. Canonical JSON (not
    the record's bytes) is hashed, so a verifier rebuilding the envelope from the event
    store computes the same digest.

    The relay keeps the chain across restarts with its position, both taken from its
    last checkpoint that the platform key signed and the event store confirms, never
    from a record's headers (``impact.ingest.resume``). A batch's links are computed
    before its transaction and adopted only once it commits, so a relay killed mid-batch
    restarts from the last committed link. A record on the topic that is not the link
    the signed chain holds for its notification id is foreign: the relay reports it and
    ``impact audit verify`` names it; no checkpoint covers it.

The checkpoints
    In the same Kafka transaction as every batch, the relay publishes a ``Checkpoint``
    to ``<events topic>.checkpoints`` (one partition, kept forever): the notification id
    of the batch's last event, the chain's hash there, the time, the platform key's id
    and an Ed25519 signature over the canonical JSON of those fields. A checkpoint
    commits exactly when the events it covers do. To forge history past a checkpoint
    one would need the platform key; auditors pin its public half (``platform-key.pub``
    beside the key, or ``impact audit platform-key``) and verify with it.

The platform key is created on first use (``IMPACT_PLATFORM_KEY``, default
``<state>/platform-key.pem``, mode 0600) and its public half written beside it.
"""

import base64
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from impact.canonical_json import MAX_SAFE_INTEGER, canonical, written_at_sight
from impact.contract.events import CHAIN_FIELDS, Checkpoint, EventEnvelope
from impact.errors import ContractError
from impact.signing import (
    key_id_of,
    load_private_key,
    public_key_from_text,
    public_key_text,
    verify,
    write_private_key,
)

GENESIS = "0" * 64
_SORTED = orjson.OPT_SORT_KEYS


def _canonical(content: Any) -> bytes:
    """Canonical JSON of a link or checkpoint; integers beyond what I-JSON holds (which
    RFC 8785 refuses) are hashed as their decimal digits, so any record can be hashed."""
    try:
        return canonical(content)
    except ContractError:
        return canonical(_safe_integers(content))


def _safe_integers(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _safe_integers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_safe_integers(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_SAFE_INTEGER:
        return str(value)
    return value


def content_digest(content: dict[str, Any]) -> bytes:
    """sha256 of an envelope's canonical JSON, chain fields left out."""
    if type(content) is dict:  # the loader's case, every record: the cheap way first
        unchained = content.copy()
        unchained.pop("prev_hash", None)
        unchained.pop("hash", None)
        # Only keys that are exactly str are left when it is written: the same as below.
        written = written_at_sight(unchained)
        if written is not None:
            return hashlib.sha256(written).digest()
    unchained = {k: v for k, v in content.items() if k not in CHAIN_FIELDS}
    return hashlib.sha256(_canonical(unchained)).digest()


def link(prev_hash: str, digest: bytes) -> str:
    return hashlib.sha256(bytes.fromhex(prev_hash) + digest).hexdigest()


def hash_covers(content: dict[str, Any], prev_hash: str, own_hash: str) -> bool:
    """Whether ``own_hash`` is ``link(prev_hash, content_digest(content))``, the loader's
    question for every record, answered the cheap way first.

    ``content``'s JSON with sorted keys is hashed as it is written, without first proving
    it is the canonical form (the walk ``content_digest`` takes). A match settles it: the
    hash commits to canonical bytes, so bytes that hash alike are those bytes. A mismatch
    (a float, say, which sorted JSON writes otherwise) is settled by the exact digest.
    """
    unchained = content.copy()
    unchained.pop("prev_hash", None)
    unchained.pop("hash", None)
    try:
        written = orjson.dumps(unchained, option=_SORTED)
    except TypeError:  # an integer beyond 64 bits, a key not text
        written = None
    if written is not None and link(prev_hash, hashlib.sha256(written).digest()) == own_hash:
        return True
    return link(prev_hash, content_digest(content)) == own_hash


def chained(envelope: EventEnvelope, prev_hash: str) -> EventEnvelope:
    """The envelope as a link after ``prev_hash``."""
    digest = content_digest(envelope.content())
    return envelope.model_copy(update={"prev_hash": prev_hash, "hash": link(prev_hash, digest)})


# -- the platform key ---------------------------------------------------------------


@dataclass(frozen=True)
class PlatformKey:
    """The Ed25519 key the relay signs checkpoints with."""

    private: Ed25519PrivateKey

    @property
    def key_id(self) -> str:
        return key_id_of(self.private.public_key())

    @property
    def public_text(self) -> str:
        return public_key_text(self.private.public_key())

    def sign_checkpoint(
        self, events_topic: str, up_to: int, chain_hash: str, signed_at: datetime | None = None
    ) -> Checkpoint:
        unsigned = {
            "events_topic": events_topic,
            "up_to_notification_id": up_to,
            "hash": chain_hash,
            "signed_at": (signed_at or datetime.now(tz=UTC)),
            "key_id": self.key_id,
            "algorithm": "ed25519",
            "signature": "",
        }
        draft = Checkpoint.model_validate(unsigned)
        signature = self.private.sign(_canonical(draft.signed_part()))
        return draft.model_copy(update={"signature": base64.b64encode(signature).decode()})

    @classmethod
    def load_or_create(cls, path: Path) -> "PlatformKey":
        """The key at ``path``; a new one (and its ``.pub``) when there is none yet."""
        if not path.exists():
            write_private_key(path, Ed25519PrivateKey.generate())
        key = cls(load_private_key(path, "the platform key"))
        public = public_path(path)
        if not public.exists():
            public.write_text(key.public_text + "\n")
        return key


def public_path(private_path: Path) -> Path:
    return private_path.with_suffix(".pub")


def platform_trust(private_path: Path) -> dict[str, str]:
    """Key id → public key of this platform's own key, as readers of its chain trust it (read
    from the ``.pub`` beside it; the key is created when there is none yet)."""
    public = public_path(private_path)
    if public.is_file() and private_path.exists():
        return dict([trusted_key(str(public))])
    key = PlatformKey.load_or_create(private_path)
    return {key.key_id: key.public_text}


def trusted_key(text_or_path: str) -> tuple[str, str]:
    """(key id, public key) from a base64 public key, a ``.pub`` file or a ``.pem`` private key."""
    candidate = Path(text_or_path)
    if candidate.is_file():
        if candidate.suffix == ".pem":
            key = PlatformKey.load_or_create(candidate)
            return key.key_id, key.public_text
        text_or_path = candidate.read_text().strip()
    public = public_key_from_text(text_or_path)
    return key_id_of(public), public_key_text(public)


def checkpoint_signature_valid(record: dict[str, Any], public_key: str) -> bool:
    """Whether a checkpoint record (as parsed from its JSON) is signed by ``public_key``."""
    signature = record.get("signature")
    if not isinstance(signature, str):
        return False
    signed = {k: v for k, v in record.items() if k != "signature"}
    return verify(public_key, signature, _canonical(signed))
