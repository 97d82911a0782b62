"""Fixtures shared by every test folder.

``broker`` is the project-local Kafka broker of ``Settings()`` (``127.0.0.1:9092`` from
``.state/kafka`` unless the environment says otherwise). ``make test`` starts it before
pytest; the fixture starts it itself when it is not running (``up()`` is idempotent) and
leaves it running afterwards (``make down`` stops it). Tests under tests/integration and
tests/e2e ask for it; unit tests never do.
"""

import uuid
import warnings
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest
from kafka.errors import KafkaError

from impact.kafka.access import TOPIC, TRANSACTIONAL_ID, revoke
from impact.kafka.clients import admin_client, ledger_topics
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


@pytest.fixture(scope="session")
def swept(broker: Settings) -> Iterator[Callable[[Settings], None]]:
    """Deletes a test's topics and the ACLs on them and on its transactional ids once it is
    done: a broker that kept every test's topics would hand each new client's metadata
    request thousands of them (a tenth of a second a client, at 2,700 topics)."""
    admin = admin_client(broker.kafka_for("admin"))

    def sweep(settings: Settings) -> None:
        topics = [spec.name for spec in ledger_topics(settings.topics)]
        tid = settings.relay_transactional_id
        try:
            admin.delete_topics(topics, raise_errors=False)  # those it made (any of them)
            revoke(admin, TOPIC, topics)
            revoke(admin, TRANSACTIONAL_ID, [tid, f"{tid}-rejections"])
        except KafkaError as exc:  # the test's result stands; its leftovers only cost time
            warnings.warn(f"the topics of {settings.events_topic} stay: {exc!r}", stacklevel=1)

    yield sweep
    admin.close()
