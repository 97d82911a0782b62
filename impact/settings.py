"""Typed settings, read once from the environment at the edge and passed in.

``Settings`` holds every value, flat, each under the environment variable its field names.
Adapters never receive all of it: each takes the section it needs, built by a property of
``Settings``:

* ``settings.kafka``: ``KafkaConnection``, where the brokers are and how to log in;
* ``settings.topics``: ``Topics``, the ledger's topics and how they are created;
* ``settings.clickhouse``: ``ClickHouseConfig``, the projections' DSN and database;
* ``settings.relay``: ``RelayOptions``, the relay's transactional id, batch and signing key.
"""

import json
from functools import cached_property
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from impact.errors import ConfigurationError

PACKAGE_DIR = Path(__file__).resolve().parent


def project_root() -> Path:
    """The checkout that holds ``infra/``; the current directory when installed elsewhere."""
    candidate = PACKAGE_DIR.parent
    if (candidate / "infra" / "kafka" / "pom.xml").is_file():
        return candidate
    return Path.cwd()


ADMIN_PRINCIPAL = "admin"
SCRAM_MECHANISM = "SCRAM-SHA-512"
CREDENTIALS_FILE = "credentials.json"
"""In the local broker's credentials folder: {"users": {principal: password}}, mode 0600."""
CA_FILE = "ca.pem"

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]


class Section(BaseModel):
    """A part of the settings, handed to the adapters that need it; never changed."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class KafkaConnection(Section):
    """Where the Kafka brokers are and how a client logs in to them."""

    bootstrap_servers: str
    """Comma-separated host:port pairs."""
    security_protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: Path | None = None
    """PEM file of the CA that signed the brokers' certificates (SSL and SASL_SSL)."""
    setup: "KafkaConnection | None" = None
    """The administrator's connection, when this machine holds it (the local broker's
    credentials): ``ensure_topics`` creates missing topics and grants the principals their
    access through it. ``None``: the topics and ACLs are the operator's (see the README)."""


class Topics(Section):
    """The ledger's topics, and how many partitions and replicas they are created with."""

    events: str
    submissions: str
    rejections: str
    checkpoints: str
    partitions: int
    """Of the events and submissions topics (rejections and checkpoints have one)."""
    replication_factor: int


class ClickHouseConfig(Section):
    """The projections' ClickHouse: chdb:///path (embedded) or http(s)://user:pass@host:8123."""

    dsn: SecretStr
    database: str


class RelayOptions(Section):
    """How the relay publishes: its transactional id, notifications per transaction, and the
    key that signs its checkpoints."""

    transactional_id: str
    batch_size: int
    platform_key_path: Path


class Settings(BaseSettings):
    """Every setting of the ledger. Environment variables are named in each field."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True, frozen=True)

    state_dir: Path = Field(
        default_factory=lambda: project_root() / ".state",
        validation_alias=AliasChoices("IMPACT_STATE_DIR", "state_dir"),
        description="Folder for the local broker, the SQLite event store and chDB.",
    )
    agencies_dir: Path = Field(
        default_factory=lambda: project_root() / ".agencies",
        validation_alias=AliasChoices("IMPACT_AGENCIES_DIR", "agencies_dir"),
        description="The agencies' own folders, one per agency (<dir>/KAMCO): where "
        "`impact keys generate` writes an agency's key pair and `impact submit` finds it, and "
        "where the demo plays the agencies. Never inside the state folder.",
    )
    infra_dir: Path = Field(
        default_factory=lambda: project_root() / "infra",
        validation_alias=AliasChoices("IMPACT_INFRA_DIR", "infra_dir"),
    )
    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "kafka_bootstrap_servers"),
    )
    kafka_controller_port: int = Field(
        default=9093,
        validation_alias=AliasChoices("IMPACT_KAFKA_CONTROLLER_PORT", "kafka_controller_port"),
        description="Controller listener of the local single-node broker.",
    )
    kafka_patience: float | None = Field(
        default=None,
        gt=0,
        validation_alias=AliasChoices("IMPACT_KAFKA_PATIENCE", "kafka_patience"),
        description="Seconds the relay and the ingest keep trying to reach Kafka before they "
        "give up (exit 2). Unset: 30 with --until-idle, 120 when running on.",
    )
    kafka_heap: str = Field(
        default="1g",
        validation_alias=AliasChoices("IMPACT_KAFKA_HEAP", "kafka_heap"),
        description="-Xms/-Xmx of the local broker; 1g suits a 2-core, 24 GiB machine.",
    )
    postgres_port: int = Field(
        default=54329,
        validation_alias=AliasChoices("IMPACT_POSTGRES_PORT", "postgres_port"),
        description="Port of the local PostgreSQL server (impact-dev postgres up) on 127.0.0.1.",
    )
    kafka_security_protocol: SecurityProtocol | None = Field(
        default=None,
        validation_alias=AliasChoices("KAFKA_SECURITY_PROTOCOL", "kafka_security_protocol"),
        description="Unset: SASL_SSL with the principal of each service from the local broker's "
        "credentials (IMPACT_KAFKA_CREDENTIALS) when they exist, PLAINTEXT otherwise.",
    )
    kafka_ssl_cafile: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("KAFKA_SSL_CAFILE", "kafka_ssl_cafile"),
        description="PEM file of the CA that signed the brokers' certificates.",
    )
    kafka_credentials_setting: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("IMPACT_KAFKA_CREDENTIALS", "kafka_credentials"),
        description="Folder of the local broker's CA and principals' passwords (default: "
        "<state>/kafka/security; owner-only). Used when KAFKA_SECURITY_PROTOCOL is unset.",
    )
    kafka_local_security: Literal["SASL_SSL", "PLAINTEXT"] = Field(
        default="SASL_SSL",
        validation_alias=AliasChoices("IMPACT_KAFKA_SECURITY", "kafka_local_security"),
        description="How `impact-dev infra up` formats a new local broker: SASL_SSL (SCRAM "
        "over TLS, ACLs, deny by default) or PLAINTEXT (no authentication; for comparison).",
    )
    kafka_sasl_mechanism: str | None = Field(
        default=None, validation_alias=AliasChoices("KAFKA_SASL_MECHANISM", "kafka_sasl_mechanism")
    )
    kafka_sasl_username: str | None = Field(
        default=None, validation_alias=AliasChoices("KAFKA_SASL_USERNAME", "kafka_sasl_username")
    )
    kafka_sasl_password: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("KAFKA_SASL_PASSWORD", "kafka_sasl_password")
    )
    events_topic: str = Field(
        default="impact.events",
        validation_alias=AliasChoices("IMPACT_EVENTS_TOPIC", "events_topic"),
    )
    submissions_topic: str = Field(
        default="impact.submissions",
        validation_alias=AliasChoices("IMPACT_SUBMISSIONS_TOPIC", "submissions_topic"),
    )
    rejections_topic: str = Field(
        default="impact.submissions.rejected",
        validation_alias=AliasChoices("IMPACT_REJECTIONS_TOPIC", "rejections_topic"),
    )
    events_partitions: int = Field(
        default=3, validation_alias=AliasChoices("IMPACT_EVENTS_PARTITIONS", "events_partitions")
    )
    loader_readers: int = Field(
        default=1,
        ge=1,
        le=64,
        validation_alias=AliasChoices("IMPACT_LOADER_READERS", "loader_readers"),
        description="Processes reading impact.events beside each loader's own (1: none).",
    )
    replication_factor: int = Field(
        default=1,
        validation_alias=AliasChoices("IMPACT_REPLICATION_FACTOR", "replication_factor"),
        description="Replication of the project's topics; 3 on a production cluster.",
    )
    relay_batch_size: int = Field(
        default=500,
        ge=1,
        le=10_000,
        validation_alias=AliasChoices("IMPACT_RELAY_BATCH_SIZE", "relay_batch_size"),
        description="Notifications per Kafka transaction of the relay.",
    )
    relay_transactional_id: str = Field(
        default="impact-relay",
        validation_alias=AliasChoices("IMPACT_RELAY_TRANSACTIONAL_ID", "relay_transactional_id"),
    )
    checkpoints_topic_setting: str | None = Field(
        default=None,
        validation_alias=AliasChoices("IMPACT_CHECKPOINTS_TOPIC", "checkpoints_topic"),
        description="Signed checkpoints of the events topic's hash chain (default: <events topic>.checkpoints).",
    )
    platform_key_setting: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("IMPACT_PLATFORM_KEY", "platform_key_path"),
        description="Ed25519 key that signs checkpoints (default: <state>/platform-key.pem; created on "
        "first use, its public half written beside it as .pub).",
    )
    dagster_home_setting: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("DAGSTER_HOME", "dagster_home"),
        description="Where Dagster records the runs the ledger starts (default: <state>/dagster); "
        "the UI (`make ui`) opens the same home.",
    )
    clickhouse_dsn_setting: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("CLICKHOUSE_DSN", "clickhouse_dsn"),
        description="chdb:///path (embedded) or http(s)://user:pass@host:8123.",
    )
    clickhouse_database: str = Field(
        default="impact",
        validation_alias=AliasChoices("CLICKHOUSE_DATABASE", "clickhouse_database"),
    )
    event_store_dsn_setting: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("EVENT_STORE_DSN", "event_store_dsn"),
        description="sqlite:///path (default) or postgresql://user:pass@host:5432/db.",
    )

    @cached_property
    def clickhouse_dsn(self) -> str:
        if self.clickhouse_dsn_setting is not None:
            return self.clickhouse_dsn_setting.get_secret_value()
        return f"chdb://{self.state_dir.resolve() / 'clickhouse'}"

    @cached_property
    def event_store_dsn(self) -> str:
        if self.event_store_dsn_setting is not None:
            return self.event_store_dsn_setting.get_secret_value()
        return f"sqlite://{self.state_dir.resolve() / 'events.sqlite'}"

    @cached_property
    def checkpoints_topic(self) -> str:
        return self.checkpoints_topic_setting or f"{self.events_topic}.checkpoints"

    @cached_property
    def dagster_home(self) -> Path:
        return (self.dagster_home_setting or self.state_dir / "dagster").resolve()

    @cached_property
    def platform_key_path(self) -> Path:
        return self.platform_key_setting or self.state_dir / "platform-key.pem"

    @property
    def kafka(self) -> KafkaConnection:
        """The administrator's connection: set-up, tools and tests. Services take theirs from
        ``kafka_for(role)``."""
        return self.kafka_for(ADMIN_PRINCIPAL)

    @cached_property
    def kafka_credentials_dir(self) -> Path:
        return (self.kafka_credentials_setting or self.kafka_dir / "security").resolve()

    @cached_property
    def kafka_local_credentials(self) -> dict[str, str] | None:
        """Principal → password of the local broker, or None when it has none (PLAINTEXT)."""
        path = self.kafka_credentials_dir / CREDENTIALS_FILE
        try:
            users = json.loads(path.read_text())["users"]
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigurationError(
                f"{path} is not the local broker's credentials: {exc}"
            ) from exc
        return {str(name): str(password) for name, password in users.items()}

    def kafka_for(self, role: str) -> KafkaConnection:
        """The connection of one principal (``admin``, ``relay``, ``ingest``, ``loader``,
        ``auditor``, ``agency-<name>``).

        KAFKA_SECURITY_PROTOCOL or KAFKA_SASL_USERNAME set: the environment says it all, the
        same for every role (a production service gets its own). Otherwise the local broker's
        credentials folder, when it exists, gives each role its own principal over SASL_SSL;
        without it the connection is PLAINTEXT.
        """
        if self.kafka_security_protocol is not None or self.kafka_sasl_username is not None:
            return KafkaConnection(
                bootstrap_servers=self.kafka_bootstrap_servers,
                security_protocol=self.kafka_security_protocol or "PLAINTEXT",
                sasl_mechanism=self.kafka_sasl_mechanism,
                sasl_username=self.kafka_sasl_username,
                sasl_password=self.kafka_sasl_password,
                ssl_cafile=self.kafka_ssl_cafile,
            )
        users = self.kafka_local_credentials
        if users is None:
            return KafkaConnection(bootstrap_servers=self.kafka_bootstrap_servers)
        if role not in users:
            raise ConfigurationError(
                f"{self.kafka_credentials_dir / CREDENTIALS_FILE} holds no principal {role!r} "
                f"(it holds {', '.join(sorted(users))})"
            )
        connection = KafkaConnection(
            bootstrap_servers=self.kafka_bootstrap_servers,
            security_protocol="SASL_SSL",
            sasl_mechanism=SCRAM_MECHANISM,
            sasl_username=role,
            sasl_password=SecretStr(users[role]),
            ssl_cafile=self.kafka_credentials_dir / CA_FILE,
        )
        if role == ADMIN_PRINCIPAL:
            return connection
        return connection.model_copy(update={"setup": self.kafka_for(ADMIN_PRINCIPAL)})

    @property
    def topics(self) -> Topics:
        return Topics(
            events=self.events_topic,
            submissions=self.submissions_topic,
            rejections=self.rejections_topic,
            checkpoints=self.checkpoints_topic,
            partitions=self.events_partitions,
            replication_factor=self.replication_factor,
        )

    @property
    def clickhouse(self) -> ClickHouseConfig:
        return ClickHouseConfig(
            dsn=SecretStr(self.clickhouse_dsn), database=self.clickhouse_database
        )

    @property
    def relay(self) -> RelayOptions:
        return RelayOptions(
            transactional_id=self.relay_transactional_id,
            batch_size=self.relay_batch_size,
            platform_key_path=self.platform_key_path,
        )

    @property
    def kafka_dir(self) -> Path:
        return self.state_dir / "kafka"

    def broker_ports(self) -> tuple[str, int]:
        """Host and port of the local broker, from the bootstrap address."""
        first = self.kafka_bootstrap_servers.split(",")[0]
        host, _, port = first.rpartition(":")
        if not host or not port.isdigit():
            raise ConfigurationError(
                f"KAFKA_BOOTSTRAP_SERVERS={self.kafka_bootstrap_servers!r} is not host:port"
            )
        return host, int(port)

    def event_store_env(self) -> dict[str, str]:
        """The environment eventsourcing reads to choose and open its recorder."""
        return event_store_env(self.event_store_dsn, self.platform_key_path)


def event_store_env(dsn: str, platform_key: Path | None = None) -> dict[str, str]:
    """The environment eventsourcing reads to open the event store at ``dsn`` (sqlite:// or
    postgresql://), with the recorder that keeps the store chain (``impact.store_chain``),
    sealed with ``platform_key`` when given."""
    sealing = {"IMPACT_PLATFORM_KEY": str(platform_key)} if platform_key else {}
    parts = urlsplit(dsn)
    if parts.scheme == "sqlite":
        path = dsn[len("sqlite://") :]
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": path,
            "PROCESS_RECORDER_TOPIC": "impact.store_chain:SealedSQLiteProcessRecorder",
            **sealing,
        }
    if parts.scheme in ("postgres", "postgresql"):
        return {
            **sealing,
            "PROCESS_RECORDER_TOPIC": "impact.store_chain:SealedPostgresProcessRecorder",
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": parts.path.lstrip("/") or "impact",
            "POSTGRES_HOST": parts.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": parts.username or "impact",
            "POSTGRES_PASSWORD": parts.password or "",
        }
    raise ConfigurationError(
        f"EVENT_STORE_DSN must start with sqlite:// or postgresql://, not {parts.scheme!r}://"
    )
