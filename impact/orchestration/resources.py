"""Dagster resources for the event store, Kafka and ClickHouse.

Each resource holds its own connection setting and builds the ledger's adapter
from it. Defaults come from the ledger's settings (environment variables), so
the same definitions run in tests, on a laptop and on a cluster.
"""

from typing import Any

from dagster import ConfigurableResource

from impact.bootstrap import build_ledger
from impact.ledger import Ledger
from impact.projections.store import ProjectionStore
from impact.settings import Settings


class EventStoreResource(ConfigurableResource):  # type: ignore[misc]
    """The domain event store (SQLite by default, PostgreSQL by DSN)."""

    dsn: str

    def settings(self) -> Settings:
        # The field's environment alias is accepted by name too (populate_by_name).
        return Settings(event_store_dsn=self.dsn)  # type: ignore[call-arg]

    def ledger(self) -> Ledger:
        return build_ledger(self.settings())


class KafkaResource(ConfigurableResource):  # type: ignore[misc]
    """The log: where it is, and who publishes to it (the relay's id and checkpoint key)."""

    bootstrap_servers: str
    events_topic: str = "impact.events"
    relay_transactional_id: str = "impact-relay"
    platform_key_path: str | None = None

    def settings(self, **more: Any) -> Settings:
        return Settings(  # type: ignore[call-arg]  # aliases are accepted by name (populate_by_name)
            kafka_bootstrap_servers=self.bootstrap_servers, events_topic=self.events_topic,
            relay_transactional_id=self.relay_transactional_id,
            platform_key_path=self.platform_key_path, **more,
        )


class ClickHouseResource(ConfigurableResource):  # type: ignore[misc]
    dsn: str
    database: str = "impact"

    def store(self) -> ProjectionStore:
        settings = Settings(clickhouse_dsn=self.dsn, clickhouse_database=self.database)  # type: ignore[call-arg]
        return ProjectionStore(settings)


def resources_from(settings: Settings) -> dict[str, Any]:
    return {
        "event_store": EventStoreResource(dsn=settings.event_store_dsn),
        "kafka": KafkaResource(
            bootstrap_servers=settings.kafka_bootstrap_servers, events_topic=settings.events_topic,
            relay_transactional_id=settings.relay_transactional_id,
            platform_key_path=str(settings.platform_key_path),
        ),
        "clickhouse": ClickHouseResource(
            dsn=settings.clickhouse_dsn, database=settings.clickhouse_database
        ),
    }
