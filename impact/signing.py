"""Ed25519 keys: create, store, load, sign and verify canonical bytes.

Every key of the ledger (agencies' keys, the platform key that signs checkpoints, the
scenario's keys derived from its seed) is read, written and parsed here, and what
a signature covers is always ``canonical`` JSON.
"""

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from impact.errors import SigningError


def load_private_key(path: Path, what: str = "the key") -> Ed25519PrivateKey:
    """The Ed25519 private key in a PEM (PKCS#8) file."""
    try:
        private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise SigningError(f"cannot read {what} {path}: {exc}") from exc
    if not isinstance(private, Ed25519PrivateKey):
        raise SigningError(f"{path} is not an Ed25519 private key")
    return private


def write_private_key(path: Path, private: Ed25519PrivateKey) -> bool:
    """Write a key to ``path`` (mode 0600 from the start) unless a file is there already;
    of two processes writing at once, the first wins. Whether this one wrote it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    try:
        os.link(draft, path)
    except FileExistsError:
        return False
    finally:
        draft.unlink()
    return True


def private_key_from_seed(seed: bytes) -> Ed25519PrivateKey:
    """The key whose 32 private bytes are ``seed`` (keys that must repeat, as in the scenario)."""
    try:
        return Ed25519PrivateKey.from_private_bytes(seed)
    except ValueError as exc:
        raise SigningError(f"not an Ed25519 seed: {exc}") from exc


def key_id_of(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_key_text(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def public_key_from_text(text: str) -> Ed25519PublicKey:
    try:
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))
    except ValueError as exc:
        raise SigningError(f"not an Ed25519 public key: {exc}") from exc


@dataclass(frozen=True)
class AgencyKeyPair:
    agency: str
    private: Ed25519PrivateKey

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    @property
    def key_id(self) -> str:
        return key_id_of(self.public)

    def sign(self, data: bytes) -> str:
        return base64.b64encode(self.private.sign(data)).decode()

    @classmethod
    def generate(cls, agency: str) -> "AgencyKeyPair":
        return cls(agency, Ed25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, agency: str, seed: bytes) -> "AgencyKeyPair":
        return cls(agency, private_key_from_seed(seed))

    def save(self, directory: Path) -> Path:
        """Write the private key as ``<agency>-<key id>.pem`` (named by the key, so a file
        already there holds this very key)."""
        path = directory / f"{self.agency}-{self.key_id}.pem"
        write_private_key(path, self.private)
        return path

    @classmethod
    def load(cls, path: Path) -> "AgencyKeyPair":
        return cls(path.stem.split("-")[0], load_private_key(path))


def verify(public_key: str, signature: str, data: bytes) -> bool:
    try:
        public_key_from_text(public_key).verify(base64.b64decode(signature, validate=True), data)
    except (InvalidSignature, ValueError, SigningError):
        return False
    return True
