"""The ClickHouse adapter: one client per DSN per process, and error translation.

chDB (the embedded engine) opens one path per process, so every part of a process
(loader, projections, review, Dagster assets) shares the client made here.
"""

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import clickhouse_connect
import orjson
from clickhouse_connect.driver.client import Client

from impact.errors import ProjectionStoreError
from impact.settings import ClickHouseConfig

log = logging.getLogger(__name__)

_clients: dict[str, Client] = {}
_lock = threading.Lock()


@contextmanager
def clickhouse_errors(what: str) -> Iterator[None]:
    try:
        yield
    except ProjectionStoreError:
        raise
    except Exception as exc:  # clickhouse-connect and chdb raise several unrelated types
        raise ProjectionStoreError(f"{what}: {exc}") from exc


def client_for(dsn: str) -> Client:
    with _lock:
        client = _clients.get(dsn)
        if client is None:
            if dsn.startswith("chdb://"):
                from pathlib import Path

                Path(dsn[len("chdb://") :]).mkdir(parents=True, exist_ok=True)
            with clickhouse_errors(f"opening ClickHouse at {dsn.split('@')[-1]}"):
                # The query condition cache can be poisoned through a filtered view (an outer
                # WHERE that matches nothing records "no marks match" under the view's own
                # predicate), so later reads of raw_events silently miss rows: ClickHouse
                # issues #111363 and #104203. Correct counts matter more than that cache.
                try:
                    client = clickhouse_connect.get_client(
                        dsn=dsn, settings={"use_query_condition_cache": 0}
                    )
                except Exception as exc:
                    if dsn.startswith("chdb://") and "EmbeddedServer" in str(exc):
                        raise ProjectionStoreError(
                            f"the embedded ClickHouse at {dsn[len('chdb://') :]} is open in "
                            "another process (another impact command, or a Dagster run or "
                            "sensor); try again when it has finished, or share a ClickHouse "
                            "server between processes (CLICKHOUSE_DSN=http://...)"
                        ) from exc
                    raise
            _clients[dsn] = client
        return client


def release_embedded(dsn: str) -> None:
    """Close this process's embedded ClickHouse (chDB) at ``dsn``, so that another process may
    open its path; the next use here opens it again. Nothing to do for a server's DSN."""
    if not dsn.startswith("chdb://"):
        return
    with _lock:
        client = _clients.pop(dsn, None)
    if client is not None:
        with clickhouse_errors(f"closing ClickHouse at {dsn}"):
            client.close()


def held_elsewhere(error: ProjectionStoreError) -> bool:
    """Whether opening failed because another process holds the embedded path."""
    return "open in another process" in str(error)


class ProjectionStore:
    """The ledger's ClickHouse database: raw events and the projections built on them."""

    def __init__(self, clickhouse: ClickHouseConfig, database: str | None = None) -> None:
        """The database ``database`` (the configured one by default) of ``clickhouse``."""
        self.clickhouse = clickhouse
        self.db = database or clickhouse.database
        self.schema_created = False
        """Whether ``create_schema`` ran through this object (``ensure_schema`` skips it then)."""
        self._dsn = clickhouse.dsn.get_secret_value()
        client_for(self._dsn)  # opened now: a wrong DSN, or a path held elsewhere, fails here

    @property
    def client(self) -> Client:
        """This process's client of the DSN (opened again after ``release_embedded``)."""
        return client_for(self._dsn)

    def command(self, sql: str, **params: Any) -> Any:
        with clickhouse_errors(f"running {sql.split()[0]} on {self.db}"):
            return self.client.command(sql.replace("{db}", self.db), parameters=params or None)

    def rows(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        with clickhouse_errors(f"querying {self.db}"):
            result = self.client.query(sql.replace("{db}", self.db), parameters=params or None)
            return [tuple(row) for row in result.result_rows]

    def dicts(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        with clickhouse_errors(f"querying {self.db}"):
            result = self.client.query(sql.replace("{db}", self.db), parameters=params or None)
            return [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]

    def json_lines(self, sql: str, **params: Any) -> bytes:
        """The result as JSON lines (JSONEachRow) rendered by ClickHouse: decimals as exact
        strings, named tuples as objects. For results handed whole to a pydantic model."""
        with clickhouse_errors(f"querying {self.db}"):
            return bytes(
                self.client.raw_query(
                    sql.replace("{db}", self.db),
                    parameters=params or None,
                    fmt="JSONEachRow",
                    settings={
                        "output_format_json_quote_decimals": 1,
                        "output_format_json_quote_64bit_integers": 0,
                        "output_format_json_named_tuples_as_objects": 1,
                    },
                )
            )

    def formatted(
        self, sql: str, fmt: str, settings: dict[str, Any] | None = None, **params: Any
    ) -> bytes:
        """The result as bytes ClickHouse rendered in one of its output formats (CSVWithNames,
        Parquet, …): for files handed to other programs as the engine wrote them."""
        with clickhouse_errors(f"querying {self.db} as {fmt}"):
            return bytes(
                self.client.raw_query(
                    sql.replace("{db}", self.db),
                    parameters=params or None,
                    fmt=fmt,
                    settings=settings,
                )
            )

    def insert_json(self, table: str, lines: bytes, token: str) -> None:
        """One INSERT of JSON lines (JSONEachRow): objects in String columns are kept as their
        JSON text, times are RFC 3339. A retry with the same token is stored once."""
        with clickhouse_errors(f"inserting into {self.db}.{table}"):
            self.client.raw_insert(
                f"{self.db}.{table}",
                insert_block=lines,
                fmt="JSONEachRow",
                settings={
                    "insert_deduplication_token": token,
                    "date_time_input_format": "best_effort",
                    "input_format_json_read_objects_as_strings": 1,
                    "input_format_skip_unknown_fields": 0,
                    "input_format_null_as_default": 1,
                    "input_format_parallel_parsing": 0,
                    "max_threads": 1,
                },
            )

    def insert(
        self, table: str, rows: Sequence[Sequence[Any]], columns: Sequence[str], token: str
    ) -> None:
        """One INSERT of Python rows; a retry with the same token is stored once. The rows go
        as JSON lines (decimals as exact strings): clickhouse-connect's own row insert loads
        pandas to look for data frames, a second of start-up for every short command."""
        names = list(columns)
        lines = b"\n".join(
            orjson.dumps(dict(zip(names, row, strict=True)), default=_exact) for row in rows
        )
        self.insert_json(table, lines, token)


def _exact(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} has no JSON form for ClickHouse")
