"""Ed25519 keys of agencies: generate, store, sign and verify canonical bytes."""

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from impact.errors import ContractError, ImpactError


class SigningError(ImpactError):
    """A key could not be created, read or used."""


def canonical(obj: Any) -> bytes:
    """RFC 8785 (JCS) canonical JSON of a parsed JSON value."""
    try:
        return rfc8785.dumps(obj)
    except Exception as exc:  # rfc8785 raises its own types for floats it cannot represent
        raise ContractError(f"cannot be put in canonical form: {exc}") from exc


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

    def save(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{self.agency}-{self.key_id}.pem"
        pem = self.private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        path.write_bytes(pem)
        path.chmod(0o600)
        return path

    @classmethod
    def load(cls, path: Path) -> "AgencyKeyPair":
        agency = path.stem.split("-")[0]
        try:
            private = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (OSError, ValueError) as exc:
            raise SigningError(f"cannot read the key {path}: {exc}") from exc
        if not isinstance(private, Ed25519PrivateKey):
            raise SigningError(f"{path} is not an Ed25519 private key")
        return cls(agency, private)


def verify(public_key: str, signature: str, data: bytes) -> bool:
    try:
        public_key_from_text(public_key).verify(base64.b64decode(signature, validate=True), data)
    except (InvalidSignature, ValueError, SigningError):
        return False
    return True
