"""Dagster resources: the clients of the event store, Kafka, ClickHouse and the reports folder.

Each resource is configured with the few values it needs and is the client itself: it
builds its adapter once per run (Dagster calls ``setup_for_execution`` when a run, a
sensor tick or a direct invocation starts, ``teardown_after_execution`` when it ends;
outside Dagster the adapter is built on first use). Assets, checks and sensors call the
resource; none builds settings or an adapter of its own. Defaults come from the ledger's
settings (``resources_from``), so the same definitions run in tests, on a laptop and on
a cluster. The event store and ClickHouse resources hold all their adapter needs; the Kafka
resource holds where the log is and who publishes to it, and takes the rest of its sections
(the login, the other topics, the relay's batch) from the environment, as ``Settings`` reads it.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import dagster as dg
from pydantic import PrivateAttr, SecretStr

from impact.domain.quarter import Quarter
from impact.ingest.relay import Relay, RelayStats
from impact.kafka.clients import check_topics
from impact.ledger import Ledger
from impact.projections.loader import Loader, LoadStats, SignedLog
from impact.projections.store import ProjectionStore
from impact.review_service import report_path
from impact.settings import (
    ClickHouseConfig,
    KafkaConnection,
    RelayOptions,
    Settings,
    Topics,
    event_store_env,
)


class EventStoreResource(dg.ConfigurableResource):
    """The domain event store (SQLite by default, PostgreSQL by DSN): one ledger per run."""

    dsn: str
    platform_key_path: str | None = None
    """The key that seals the store chain (``impact.store_chain``)."""
    _ledger: Ledger | None = PrivateAttr(default=None)

    @property
    def ledger(self) -> Ledger:
        if self._ledger is None:
            key = Path(self.platform_key_path) if self.platform_key_path else None
            self._ledger = Ledger(env=event_store_env(self.dsn, key))
        return self._ledger

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self.ledger  # noqa: B018  # open it now, so a bad DSN fails the run before any step

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._ledger is not None:
            self._ledger.close()
            self._ledger = None


class KafkaResource(dg.ConfigurableResource):
    """The log: where it is, and who publishes to it (the relay's id and checkpoint key)."""

    bootstrap_servers: str
    events_topic: str = "impact.events"
    relay_transactional_id: str = "impact-relay"
    platform_key_path: str | None = None
    _settings: Settings | None = PrivateAttr(default=None)

    def _with_environment(self) -> Settings:
        """This resource's values, the rest from the environment."""
        if self._settings is None:
            # Settings accept each field by name too (populate_by_name), not only by alias.
            self._settings = Settings(  # type: ignore[call-arg]
                kafka_bootstrap_servers=self.bootstrap_servers,
                events_topic=self.events_topic,
                relay_transactional_id=self.relay_transactional_id,
                platform_key_path=self.platform_key_path,
            )
        return self._settings

    @property
    def connection(self) -> KafkaConnection:
        """The administrator's login (checks and sensors read the log with it)."""
        return self._with_environment().kafka

    def login(self, role: str) -> KafkaConnection:
        """The login of one service (``relay``, ``loader``)."""
        return self._with_environment().kafka_for(role)

    @property
    def topics(self) -> Topics:
        return self._with_environment().topics

    @property
    def relay_options(self) -> RelayOptions:
        return self._with_environment().relay

    def publish(
        self, ledger: Ledger, on_batch: Callable[[RelayStats], None] | None = None
    ) -> RelayStats:
        """Relay every stored event not yet in the log, then stop."""
        relay = Relay(ledger, self.login("relay"), self.topics, self.relay_options)
        return relay.run(until_idle=True, on_batch=on_batch)

    def published_position(self, ledger: Ledger) -> int:
        """The highest notification id the relay vouches is on the log (its signed chain)."""
        relay = Relay(ledger, self.login("relay"), self.topics, self.relay_options)
        return relay.published_position()

    def load(
        self, store: ProjectionStore, on_batch: Callable[[LoadStats], None] | None = None
    ) -> LoadStats:
        """Load every record of the log not yet in ClickHouse, then stop."""
        settings = self._with_environment()
        log = SignedLog.of(settings, role="loader")
        check_topics(log.kafka, self.topics)
        loader = Loader(store, log, readers=settings.loader_readers)
        return loader.run(until_idle=True, on_batch=on_batch)


class ClickHouseResource(dg.ConfigurableResource):
    """The projections' database (chDB embedded by default, a ClickHouse server by DSN)."""

    dsn: str
    database: str = "impact"
    _store: ProjectionStore | None = PrivateAttr(default=None)

    @property
    def store(self) -> ProjectionStore:
        if self._store is None:
            clickhouse = ClickHouseConfig(dsn=SecretStr(self.dsn), database=self.database)
            self._store = ProjectionStore(clickhouse)
        return self._store

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self.store  # noqa: B018  # one client per DSN per process: chDB opens a path once


class ReportsResource(dg.ConfigurableResource):
    """Where the council reports are written, one self-contained HTML file per quarter."""

    directory: str

    def path_for(self, quarter: Quarter) -> Path:
        return report_path(Path(self.directory), quarter)


def resources_from(settings: Settings) -> dict[str, Any]:
    return {
        "event_store": EventStoreResource(
            dsn=settings.event_store_dsn, platform_key_path=str(settings.platform_key_path)
        ),
        "kafka": KafkaResource(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            events_topic=settings.events_topic,
            relay_transactional_id=settings.relay_transactional_id,
            platform_key_path=str(settings.platform_key_path),
        ),
        "clickhouse": ClickHouseResource(
            dsn=settings.clickhouse_dsn, database=settings.clickhouse_database
        ),
        "reports": ReportsResource(directory=str(settings.state_dir / "reports")),
    }
