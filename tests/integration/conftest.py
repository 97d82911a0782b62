"""Each integration test gets its own topics, event store and ClickHouse database.

They share the session's broker and one chDB path (chDB opens one path per process),
so isolation comes from names: a fresh events topic, transactional id and database.
"""

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from impact.bootstrap import build_ledger
from impact.ledger import Ledger
from impact.projections.store import ProjectionStore
from impact.settings import Settings


@pytest.fixture(scope="session")
def chdb_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("chdb") / "clickhouse"


@pytest.fixture
def settings(broker: Settings, tmp_path: Path, chdb_path: Path) -> Settings:
    tag = uuid.uuid4().hex[:10]
    return Settings(
        state_dir=tmp_path / "state",
        kafka_bootstrap_servers=broker.kafka_bootstrap_servers,
        events_topic=f"test.events.{tag}",
        submissions_topic=f"test.submissions.{tag}",
        rejections_topic=f"test.rejected.{tag}",
        relay_transactional_id=f"test-relay-{tag}",
        clickhouse_dsn=f"chdb://{chdb_path}",
        clickhouse_database=f"test_{tag}",
    )


@pytest.fixture
def ledger(settings: Settings) -> Iterator[Ledger]:
    app = build_ledger(settings)
    app.found()
    yield app
    app.close()


@pytest.fixture
def store(settings: Settings) -> Iterator[ProjectionStore]:
    projection_store = ProjectionStore(settings)
    yield projection_store
    projection_store.command("DROP DATABASE IF EXISTS {db}")
