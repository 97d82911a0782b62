"""Personal data of citizens, sealed under a key of each subject's own.

Events carry only ``SealedPersonalData``. The keys live outside the log, in a
``KeyVault``; destroying a subject's key erases that person's data everywhere it
was copied (event store, Kafka, projections) without rewriting anything.
"""

import base64
import os
import sqlite3
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import BaseModel, ConfigDict, Field

from impact.domain.proposal import SealedPersonalData
from impact.errors import ImpactError

ERASED = "[erased]"


class PrivacyError(ImpactError):
    """Personal data could not be sealed or opened."""


class PersonalData(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    contact: str = Field(default="", max_length=320)


class KeyVault(Protocol):
    def key_for(self, subject_id: str) -> tuple[str, bytes]: ...
    def find(self, subject_id: str, key_id: str) -> bytes | None: ...
    def erase(self, subject_id: str) -> bool: ...


class SqliteKeyVault:
    """Subject keys in a SQLite file of their own, beside (never inside) the event store."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS subject_keys ("
            " subject_id TEXT PRIMARY KEY, key_id TEXT NOT NULL, key BLOB)"
        )

    def key_for(self, subject_id: str) -> tuple[str, bytes]:
        row = self._db.execute(
            "SELECT key_id, key FROM subject_keys WHERE subject_id = ?", (subject_id,)
        ).fetchone()
        if row is not None:
            if row[1] is None:
                raise PrivacyError(f"subject {subject_id} was erased; give the person a new reference")
            return row[0], row[1]
        key_id, key = base64.urlsafe_b64encode(os.urandom(9)).decode(), AESGCM.generate_key(256)
        self._db.execute(
            "INSERT INTO subject_keys (subject_id, key_id, key) VALUES (?, ?, ?)",
            (subject_id, key_id, key),
        )
        return key_id, key

    def find(self, subject_id: str, key_id: str) -> bytes | None:
        row = self._db.execute(
            "SELECT key FROM subject_keys WHERE subject_id = ? AND key_id = ?", (subject_id, key_id)
        ).fetchone()
        return None if row is None else row[0]

    def erase(self, subject_id: str) -> bool:
        cursor = self._db.execute(
            "UPDATE subject_keys SET key = NULL WHERE subject_id = ? AND key IS NOT NULL",
            (subject_id,),
        )
        return cursor.rowcount > 0


class PersonalDataSealer:
    def __init__(self, vault: KeyVault) -> None:
        self.vault = vault

    def seal(self, subject_id: str, data: PersonalData) -> SealedPersonalData:
        key_id, key = self.vault.key_for(subject_id)
        nonce = os.urandom(12)
        ciphertext = AESGCM(key).encrypt(nonce, data.model_dump_json().encode(), subject_id.encode())
        return SealedPersonalData(
            subject_id=subject_id,
            key_id=key_id,
            ciphertext=base64.b64encode(nonce + ciphertext).decode(),
        )

    def open(self, sealed: SealedPersonalData) -> PersonalData | None:
        """The data, or None once the subject's key was destroyed."""
        key = self.vault.find(sealed.subject_id, sealed.key_id)
        if key is None:
            return None
        raw = base64.b64decode(sealed.ciphertext)
        try:
            plain = AESGCM(key).decrypt(raw[:12], raw[12:], sealed.subject_id.encode())
        except InvalidTag as exc:
            raise PrivacyError(f"sealed data of {sealed.subject_id} does not open: tampered?") from exc
        return PersonalData.model_validate_json(plain)
