"""Ed25519 keys: create, store, load, sign and verify canonical bytes.

Every key of the ledger (agencies' keys, the platform key that signs checkpoints, the
benchmarks' keys derived from their seed) is read, written and parsed here, and what
a signature covers is always ``canonical`` JSON.
"""

import base64
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from impact.errors import SigningError

MAX_KEY_FILE_BYTES = 16 * 1024
"""A key file is read only up to this size: an Ed25519 PEM file is about 120 bytes."""


def read_key_file(path: Path, what: str = "the key") -> bytes:
    """The bytes of a key file that may come from anyone: a regular file of at most
    ``MAX_KEY_FILE_BYTES``, or a ``SigningError`` saying what is wrong with it."""
    try:
        with path.open("rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise SigningError(f"cannot read {what} {path}: not a regular file")
            data = handle.read(MAX_KEY_FILE_BYTES + 1)
    except OSError as exc:
        raise SigningError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_KEY_FILE_BYTES:
        raise SigningError(
            f"{what} {path} is larger than {MAX_KEY_FILE_BYTES} bytes; a key file is a few lines"
        )
    return data


def load_private_key(path: Path, what: str = "the key") -> Ed25519PrivateKey:
    """The Ed25519 private key in a PEM (PKCS#8) file."""
    data = read_key_file(path, what)
    try:
        private = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise SigningError(f"cannot read {what} {path}: {_first_line(exc)}") from None
    if not isinstance(private, Ed25519PrivateKey):
        raise SigningError(f"{path} is not an Ed25519 private key")
    return private


def load_public_key(path: Path, what: str = "the public key") -> Ed25519PublicKey:
    """The Ed25519 public key in a file: PEM (``-----BEGIN PUBLIC KEY-----``, as ``impact keys
    generate`` or ``openssl pkey -pubout`` write it) or one line of base64 of the 32 raw bytes.
    A private key is refused: only its public half is ever handed over."""
    data = read_key_file(path, what)
    if b"PRIVATE KEY" in data:
        raise SigningError(
            f"{path} holds a private key; send only the public key (the .pub file), "
            "and keep the private key with the agency"
        )
    if b"-----BEGIN" in data:
        try:
            public = serialization.load_pem_public_key(data)
        except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
            raise SigningError(
                f"{what} {path} is not a PEM public key: {_first_line(exc)}"
            ) from None
        if not isinstance(public, Ed25519PublicKey):
            raise SigningError(f"{what} {path} is not an Ed25519 public key")
        return public
    try:
        text = data.decode("ascii").strip()
    except UnicodeDecodeError:
        raise SigningError(
            f"{what} {path} is neither PEM nor base64 text; "
            "give the .pub file `impact keys generate` wrote"
        ) from None
    try:
        return public_key_from_text(text)
    except SigningError:
        raise SigningError(
            f"{what} {path} is neither a PEM public key nor the base64 of 32 raw Ed25519 bytes"
        ) from None


def public_key_pem(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _first_line(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    first = lines[0].split(" See https://")[0] if lines else type(exc).__name__
    return first[:200]


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


def fingerprint(public: Ed25519PublicKey) -> str:
    """``SHA256:`` and the unpadded base64 of the SHA-256 of the 32 raw bytes (as OpenSSH
    prints its keys): what the agency and the staff read to each other before registering.
    The key id is the first 16 hex digits of the same hash."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "SHA256:" + base64.b64encode(hashlib.sha256(raw).digest()).decode().rstrip("=")


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
    def load(cls, path: Path, agency: str | None = None) -> "AgencyKeyPair":
        """The key in ``path``, of ``agency`` (default: the name's part before the first ``-``)."""
        return cls(agency or path.stem.split("-")[0], load_private_key(path))


def verify(public_key: str, signature: str, data: bytes) -> bool:
    try:
        public_key_from_text(public_key).verify(base64.b64decode(signature, validate=True), data)
    except (InvalidSignature, ValueError, SigningError):
        return False
    return True
