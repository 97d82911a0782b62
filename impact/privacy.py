"""Personal data of citizens, sealed under a key of each subject's own.

Events carry only ``SealedPersonalData``. The keys live outside the log, in a
``KeyVault``; destroying a subject's key erases that person's data everywhere it
was copied (event store, Kafka, projections) without rewriting anything: the sealed
bytes stay as they were (so the log's hash chain and checkpoints still verify) and
can no longer be opened, so every reader shows ``[erased]``.

The SQLite vault overwrites what it deletes (``secure_delete``), so a destroyed key
leaves no copy in the vault's file, and keeps the row (key emptied, time of erasure)
so the subject cannot be given a key again by mistake.
"""

import base64
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import BaseModel, ConfigDict, Field

from impact.domain.proposal import SealedPersonalData
from impact.errors import PrivacyError

ERASED = "[erased]"
SEALED = "[sealed: no key here]"

KeyState = Literal["held", "erased", "unknown"]


class PersonalData(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    contact: str = Field(default="", max_length=320)


class KeyVault(Protocol):
    def key_for(self, subject_id: str) -> tuple[str, bytes]: ...
    def find(self, subject_id: str, key_id: str) -> bytes | None: ...
    def erase(self, subject_id: str) -> bool: ...
    def state(self, subject_id: str) -> KeyState: ...


class SqliteKeyVault:
    """Subject keys in a SQLite file of their own, beside (never inside) the event store."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA secure_delete = ON")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS subject_keys ("
            " subject_id TEXT PRIMARY KEY, key_id TEXT NOT NULL, key BLOB)"
        )
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(subject_keys)")}
        if "erased_at" not in columns:
            self._db.execute("ALTER TABLE subject_keys ADD COLUMN erased_at TEXT")

    def key_for(self, subject_id: str) -> tuple[str, bytes]:
        row = self._db.execute(
            "SELECT key_id, key FROM subject_keys WHERE subject_id = ?", (subject_id,)
        ).fetchone()
        if row is not None:
            if row[1] is None:
                raise PrivacyError(
                    f"subject {subject_id} was erased; give the person a new reference"
                )
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
        """Destroy the subject's key; True if there was one to destroy."""
        cursor = self._db.execute(
            "UPDATE subject_keys SET key = NULL, erased_at = ? WHERE subject_id = ? AND key IS NOT NULL",
            (datetime.now(tz=UTC).isoformat(), subject_id),
        )
        return cursor.rowcount > 0

    def state(self, subject_id: str) -> KeyState:
        row = self._db.execute(
            "SELECT key IS NOT NULL FROM subject_keys WHERE subject_id = ?", (subject_id,)
        ).fetchone()
        if row is None:
            return "unknown"
        return "held" if row[0] else "erased"

    def erased_at(self, subject_id: str) -> str | None:
        row = self._db.execute(
            "SELECT erased_at FROM subject_keys WHERE subject_id = ? AND key IS NULL", (subject_id,)
        ).fetchone()
        return None if row is None else row[0]


class PersonalDataSealer:
    def __init__(self, vault: KeyVault) -> None:
        self.vault = vault

    def seal(self, subject_id: str, data: PersonalData) -> SealedPersonalData:
        key_id, key = self.vault.key_for(subject_id)
        nonce = os.urandom(12)
        ciphertext = AESGCM(key).encrypt(
            nonce, data.model_dump_json().encode(), subject_id.encode()
        )
        return SealedPersonalData(
            subject_id=subject_id,
            key_id=key_id,
            ciphertext=base64.b64encode(nonce + ciphertext).decode(),
        )

    def reveal(self, sealed: SealedPersonalData) -> tuple[str, PersonalData | None]:
        """What a reader may see: ("open", data), ("erased", None) or ("sealed", None) when
        this vault never held the subject's key."""
        data = self.open(sealed)
        if data is not None:
            return "open", data
        return ("erased" if self.vault.state(sealed.subject_id) == "erased" else "sealed"), None

    def open(self, sealed: SealedPersonalData) -> PersonalData | None:
        """The data, or None once the subject's key was destroyed."""
        key = self.vault.find(sealed.subject_id, sealed.key_id)
        if key is None:
            return None
        raw = base64.b64decode(sealed.ciphertext)
        try:
            plain = AESGCM(key).decrypt(raw[:12], raw[12:], sealed.subject_id.encode())
        except InvalidTag as exc:
            raise PrivacyError(
                f"sealed data of {sealed.subject_id} does not open: tampered?"
            ) from exc
        return PersonalData.model_validate_json(plain)
