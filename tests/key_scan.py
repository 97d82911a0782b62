"""Where private keys are: every file under a folder, read as bytes, searched for agencies'
private keys (whole PEM files, PEM blocks, and the 32 raw bytes as bytes, hex or base64)."""

import base64
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----[\s\S]{0,8192}?-----END \1-----")


def files_under(root: Path) -> Iterator[Path]:
    for folder, _, names in os.walk(root, followlinks=False):
        for name in names:
            path = Path(folder, name)
            if path.is_file() and not path.is_symlink():
                yield path


def agency_private_keys(agencies_dir: Path) -> list[Ed25519PrivateKey]:
    keys = []
    for path in sorted(agencies_dir.glob("*/*.pem")):
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        assert isinstance(key, Ed25519PrivateKey)
        keys.append(key)
    return keys


def _forms(key: Ed25519PrivateKey) -> list[bytes]:
    """How a private key could be written down: raw, hex, base64 (both alphabets), and the
    base64 body of its PEM (PKCS#8 DER)."""
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return [
        raw,
        raw.hex().encode(),
        raw.hex().upper().encode(),
        base64.b64encode(raw).rstrip(b"="),
        base64.urlsafe_b64encode(raw).rstrip(b"="),
        base64.b64encode(der),
    ]


def private_keys_under(
    roots: Iterable[Path], agency_keys: Iterable[Ed25519PrivateKey], allowed: Iterable[Path] = ()
) -> list[str]:
    """Each place under ``roots`` where an agency's private key is, or any PEM private key
    outside the ``allowed`` files (the platform's own key)."""
    forms = [(n, form) for n, key in enumerate(agency_keys) for form in _forms(key)]
    allowed_files = {p.resolve() for p in allowed}
    found = []
    for root in roots:
        for path in files_under(root):
            data = path.read_bytes()
            for n, form in forms:
                if form in data:
                    found.append(f"{path}: agency key #{n} ({len(form)} bytes form)")
            if path.resolve() not in allowed_files:
                found.extend(
                    f"{path}: a PEM {m.group(1).decode()}" for m in PEM_BLOCK.finditer(data)
                )
    return found
