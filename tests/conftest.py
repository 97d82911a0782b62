"""Fixtures shared by every test folder.

``broker`` is the project-local Kafka broker of ``Settings()`` (``127.0.0.1:9092`` from
``.state/kafka`` unless the environment says otherwise). ``make test`` starts it before
pytest; the fixture starts it itself when it is not running (``up()`` is idempotent) and
leaves it running afterwards (``make down`` stops it). Tests under tests/integration and
tests/e2e ask for it; unit tests never do.
"""

import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest

from impact.settings import Settings
from impact_dev.broker import LocalBroker


@pytest.fixture(scope="session")
def broker() -> Iterator[Settings]:
    """Settings whose Kafka bootstrap address answers."""
    settings = Settings()
    local = LocalBroker(settings)
    if local.is_local:
        local.up()
    elif not local.status().answering:
        pytest.fail(f"KAFKA_BOOTSTRAP_SERVERS={settings.kafka_bootstrap_servers} does not answer")
    yield settings


@pytest.fixture(scope="session")
def postgres_dsn() -> Iterator[str]:
    """The DSN of the project-local PostgreSQL server (role and database ``impact``).

    ``make test`` starts it before pytest (``make pg-up``); like ``broker``, the fixture
    starts it itself when it is not running (installing it with apt-get as root when the
    server binaries are missing) and leaves it running afterwards (``make down`` stops it).
    Tests that need a database of their own create one through this role, which may.
    """
    from impact_dev.postgres import LocalPostgres

    local = LocalPostgres(Settings())
    local.up()
    yield local.dsn


@pytest.fixture
def postgres_database(postgres_dsn: str) -> Iterator[str]:
    """The DSN of an empty PostgreSQL database of this test's own on the project-local
    server (dropped after)."""
    import psycopg
    from psycopg import sql

    name = f"impact_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield urlunsplit(urlsplit(postgres_dsn)._replace(path=f"/{name}"))
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
