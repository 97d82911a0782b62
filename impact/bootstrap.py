"""The composition root: settings read once at the edge, each service built once.

    with bootstrap() as platform:          # Settings() from the environment, or given
        platform.ledger                    # the event store, its use cases and outbox
        platform.sealer                    # citizens' personal data, sealed per subject
        platform.projections               # the ClickHouse database of projections
        platform.relay() / .loader() / .ingest() / .agency_client(key)

The command line builds one platform per command, Dagster's resources and the tests
build theirs; nothing else reads the environment. Each service gets the sections of the
settings it needs (``settings.kafka_for(role)``, ``.topics``, ``.clickhouse``, ``.relay``),
never the whole; each service logs in to Kafka as its own principal. Services are built on
first use, so a command that needs no ClickHouse never opens it (one chDB path opens in one
process).
"""

from dataclasses import dataclass, field
from functools import cached_property
from types import TracebackType
from typing import Any, Self

from impact.ingest.client import AgencyClient
from impact.ingest.ingest import Ingest
from impact.ingest.relay import Relay
from impact.kafka.access import agency_principal
from impact.kafka.clients import check_topics
from impact.ledger import Ledger
from impact.privacy import PersonalDataSealer, SqliteKeyVault
from impact.projections.loader import Loader, SignedLog
from impact.projections.store import ProjectionStore
from impact.settings import Settings
from impact.signing import AgencyKeyPair


def build_ledger(settings: Settings) -> Ledger:
    return Ledger(env=settings.event_store_env())


def build_sealer(settings: Settings) -> PersonalDataSealer:
    return PersonalDataSealer(SqliteKeyVault(settings.state_dir / "subject-keys.sqlite"))


@dataclass
class Platform:
    """The ledger's services on one set of settings, each built once, on first use."""

    settings: Settings = field(default_factory=Settings)

    @cached_property
    def ledger(self) -> Ledger:
        return build_ledger(self.settings)

    @cached_property
    def sealer(self) -> PersonalDataSealer:
        return build_sealer(self.settings)

    @cached_property
    def projections(self) -> ProjectionStore:
        return ProjectionStore(self.settings.clickhouse)

    def relay(self, **options: Any) -> Relay:
        """The relay from the ledger's outbox to ``impact.events``."""
        s = self.settings
        return Relay(self.ledger, s.kafka_for("relay"), s.topics, s.relay, **options)

    def loader(self, store: ProjectionStore | None = None, **options: Any) -> Loader:
        """The loader from ``impact.events`` into ClickHouse (the projections by default)."""
        s = self.settings
        log = SignedLog.of(s, role="loader")
        check_topics(log.kafka, s.topics)
        return Loader(store or self.projections, log, **{"readers": s.loader_readers, **options})

    def ingest(self, **options: Any) -> Ingest:
        """The submissions desk reading ``impact.submissions``."""
        s = self.settings
        return Ingest(self.ledger, s.kafka_for("ingest"), s.topics, s.relay, **options)

    def agency_client(self, key: AgencyKeyPair) -> AgencyClient:
        """An agency's client: validates, signs and sends submissions."""
        kafka = self.settings.kafka_for(agency_principal(key.agency))
        return AgencyClient(kafka, self.settings.topics, key)

    def close(self) -> None:
        if "ledger" in self.__dict__:
            self.ledger.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def bootstrap(settings: Settings | None = None) -> Platform:
    """The platform on ``settings``, or on the environment's."""
    return Platform(settings if settings is not None else Settings())
