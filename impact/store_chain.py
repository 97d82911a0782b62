"""The store chain: every event store row linked, in the transaction that stores it, and sealed.

An edit of a stored row, staff-entered or agency-submitted, before or after the relay has
published it, must be found by ``impact audit verify`` and located. The relay's chain on
``impact.events`` cannot do that alone: it is computed when the relay reads the store, so it
would certify a row edited before that. So the event store keeps its own chain, written by
the recorder **in the same transaction as the rows**:

    row_digest(n) = sha256(notification id, originator id, version, topic, state bytes)
    link(n)       = sha256(bytes.fromhex(link(n - 1)) + row_digest(n))   (64 zeros before 1)

and the last link of each transaction stored through the ledger is **signed with the platform
key** (Ed25519), in that same transaction. Editing a row breaks its link; recomputing every
later link to hide it breaks the next signature, which only the platform key can make. The
event store may live on a database server whose administrators never hold that key (it
stays with the platform's services): they can still change rows, but not unnoticed.

What it does not stop: someone holding the platform key can rewrite and re-sign; deleting
the newest rows together with their links is only seen against ``impact.events`` (when they
were published) or a copy of an earlier signature (an auditor's note of ``impact audit
verify``'s last signed link).

The chain lives in the table ``impact_store_chain`` beside eventsourcing's own tables; the
recorders below (chosen through eventsourcing's ``PROCESS_RECORDER_TOPIC``) write it.
"""

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification, StoredEvent
from eventsourcing.postgres import PostgresProcessRecorder
from eventsourcing.sqlite import SQLiteCursor, SQLiteProcessRecorder
from psycopg.sql import SQL, Identifier

from impact.contract.chain import GENESIS, PlatformKey, link
from impact.signing import verify

TABLE = "impact_store_chain"


def row_digest(
    notification_id: int, originator_id: UUID | str, version: int, topic: str, state: bytes
) -> bytes:
    head = f"{notification_id}\n{UUID(str(originator_id))}\n{version}\n{topic}\n".encode()
    return hashlib.sha256(head + state).digest()


def notification_digest(n: Notification) -> bytes:
    return row_digest(n.id, n.originator_id, n.originator_version, n.topic, n.state)


def seal_message(notification_id: int, chain_hash: str) -> bytes:
    return f"impact-store-chain\n{notification_id}\n{chain_hash}".encode()


@dataclass(frozen=True)
class Link:
    notification_id: int
    hash: str
    key_id: str | None = None
    signature: str | None = None


def links_for(
    head: str, ids: Sequence[int], events: Sequence[StoredEvent], seal: PlatformKey | None
) -> list[Link]:
    """The links of rows ``ids`` stored after the link ``head``; the last one signed by
    ``seal`` when given."""
    links = []
    for nid, event in zip(ids, events, strict=True):
        head = link(
            head,
            row_digest(
                nid, event.originator_id, event.originator_version, event.topic, event.state
            ),
        )
        links.append(Link(nid, head))
    if seal is not None and links:
        last = links[-1]
        signature = seal.private.sign(seal_message(last.notification_id, last.hash))
        links[-1] = Link(
            last.notification_id, last.hash, seal.key_id, base64.b64encode(signature).decode()
        )
    return links


def seal_valid(entry: Link, trusted: dict[str, str]) -> bool:
    public = trusted.get(entry.key_id or "")
    return (
        public is not None
        and entry.signature is not None
        and verify(public, entry.signature, seal_message(entry.notification_id, entry.hash))
    )


class SealedSQLiteProcessRecorder(SQLiteProcessRecorder):
    """eventsourcing's SQLite process recorder, writing the store chain with the rows."""

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {TABLE} (notification_id INTEGER PRIMARY KEY, "
            "hash TEXT NOT NULL, key_id TEXT, signature TEXT)",
        ]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        if ids:
            c.execute(f"SELECT hash FROM {TABLE} ORDER BY notification_id DESC LIMIT 1")
            row = c.fetchone()
            head = row[0] if row else GENESIS
            links = links_for(head, ids, stored_events, kwargs.get("seal"))
            c.executemany(
                f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?)",
                [(x.notification_id, x.hash, x.key_id, x.signature) for x in links],
            )
        return ids

    def select_links(self, start: int, stop: int) -> list[Link]:
        """The links of notification ids ``start``..``stop``."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT notification_id, hash, key_id, signature FROM {TABLE}"
                " WHERE notification_id BETWEEN ? AND ? ORDER BY notification_id",
                (start, stop),
            )
            return [Link(int(r[0]), r[1], r[2], r[3]) for r in c.fetchall()]


class SealedPostgresProcessRecorder(PostgresProcessRecorder):
    """eventsourcing's PostgreSQL process recorder, writing the store chain with the rows
    (inside its transaction, after the rows got their notification ids, under its lock)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.chain_table = self._chain_identifier().as_string(None)
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {table} (notification_id bigint PRIMARY KEY, "
                "hash text NOT NULL, key_id text, signature text)"
            ).format(table=self._chain_identifier())
        )

    def _chain_identifier(self) -> Identifier:
        return Identifier(self.datastore.schema, TABLE)

    def _fetch_ids_after_insert_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        if ids:
            curs.execute(
                f"SELECT hash FROM {self.chain_table} ORDER BY notification_id DESC LIMIT 1"
            )
            row = curs.fetchone()
            head = row["hash"] if row else GENESIS
            links = links_for(head, ids, stored_events, kwargs.get("seal"))
            curs.executemany(
                f"INSERT INTO {self.chain_table} VALUES (%s, %s, %s, %s)",
                [(x.notification_id, x.hash, x.key_id, x.signature) for x in links],
            )
        return ids

    def select_links(self, start: int, stop: int) -> list[Link]:
        """The links of notification ids ``start``..``stop``."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(
                f"SELECT notification_id, hash, key_id, signature FROM {self.chain_table}"
                " WHERE notification_id BETWEEN %s AND %s ORDER BY notification_id",
                (start, stop),
            )
            return [
                Link(int(r["notification_id"]), r["hash"], r["key_id"], r["signature"])
                for r in curs.fetchall()
            ]


RECORDERS = {
    "eventsourcing.sqlite": f"{__name__}:SealedSQLiteProcessRecorder",
    "eventsourcing.postgres": f"{__name__}:SealedPostgresProcessRecorder",
}
