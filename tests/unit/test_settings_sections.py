"""Adapters get sections of the settings: each carries the values of its environment variables."""

import pytest
from pydantic import ValidationError

from impact.errors import ConfigurationError
from impact.settings import Settings


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> Settings:
    for name, value in {
        "IMPACT_STATE_DIR": str(tmp_path),
        "KAFKA_BOOTSTRAP_SERVERS": "b1:9092,b2:9092",
        "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "KAFKA_SASL_USERNAME": "relay",
        "KAFKA_SASL_PASSWORD": "s3cret",
        "IMPACT_EVENTS_TOPIC": "busan.events",
        "IMPACT_EVENTS_PARTITIONS": "6",
        "IMPACT_REPLICATION_FACTOR": "3",
        "IMPACT_RELAY_BATCH_SIZE": "250",
        "CLICKHOUSE_DSN": "https://reader:pa55@clickhouse.example:8443",
        "CLICKHOUSE_DATABASE": "busan",
    }.items():
        monkeypatch.setenv(name, value)
    return Settings()


def test_the_kafka_connection_carries_the_login_and_keeps_the_password_secret(environment):
    kafka = environment.kafka
    assert kafka.bootstrap_servers == "b1:9092,b2:9092"
    assert (kafka.security_protocol, kafka.sasl_mechanism, kafka.sasl_username) == (
        "SASL_SSL",
        "SCRAM-SHA-512",
        "relay",
    )
    assert kafka.sasl_password is not None and kafka.sasl_password.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(kafka)


def test_the_topics_name_the_checkpoints_after_the_events_topic_unless_told(
    environment, monkeypatch
):
    topics = environment.topics
    assert (topics.events, topics.checkpoints) == ("busan.events", "busan.events.checkpoints")
    assert topics.submissions == "impact.submissions"
    assert topics.rejections == "impact.submissions.rejected"
    assert (topics.partitions, topics.replication_factor) == (6, 3)
    monkeypatch.setenv("IMPACT_CHECKPOINTS_TOPIC", "busan.signed")
    assert Settings().topics.checkpoints == "busan.signed"


def test_clickhouse_and_the_relay_options_come_from_their_variables_or_the_state_folder(
    environment, monkeypatch, tmp_path
):
    clickhouse = environment.clickhouse
    assert clickhouse.dsn.get_secret_value() == "https://reader:pa55@clickhouse.example:8443"
    assert clickhouse.database == "busan" and "pa55" not in repr(clickhouse)
    relay = environment.relay
    assert (relay.transactional_id, relay.batch_size) == ("impact-relay", 250)
    assert relay.platform_key_path == tmp_path / "platform-key.pem"
    monkeypatch.delenv("CLICKHOUSE_DSN")
    embedded = Settings().clickhouse.dsn.get_secret_value()
    assert embedded == f"chdb://{tmp_path.resolve() / 'clickhouse'}"


def test_a_section_cannot_be_changed_once_built(environment):
    with pytest.raises(ValidationError):
        environment.topics.events = "elsewhere"  # type: ignore[misc]


def test_each_role_logs_in_as_its_own_principal_from_the_local_credentials(monkeypatch, tmp_path):
    for name in ("KAFKA_SECURITY_PROTOCOL", "KAFKA_SASL_USERNAME", "IMPACT_KAFKA_CREDENTIALS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("IMPACT_STATE_DIR", str(tmp_path))
    assert Settings().kafka.security_protocol == "PLAINTEXT"  # no credentials folder

    folder = tmp_path / "kafka" / "security"
    folder.mkdir(parents=True)
    (folder / "credentials.json").write_text('{"users": {"admin": "a-pw", "relay": "r-pw"}}')
    settings = Settings()
    relay = settings.kafka_for("relay")
    assert (relay.security_protocol, relay.sasl_mechanism, relay.sasl_username) == (
        "SASL_SSL",
        "SCRAM-SHA-512",
        "relay",
    )
    assert relay.sasl_password is not None and relay.sasl_password.get_secret_value() == "r-pw"
    assert relay.ssl_cafile == folder.resolve() / "ca.pem"
    assert relay.setup is not None and relay.setup.sasl_username == "admin"
    assert settings.kafka.sasl_username == "admin" and settings.kafka.setup is None
    with pytest.raises(ConfigurationError, match="no principal 'loader'"):
        settings.kafka_for("loader")


def test_a_login_in_the_environment_is_every_roles_and_creates_nothing(environment):
    relay, loader = environment.kafka_for("relay"), environment.kafka_for("loader")
    assert relay == loader and relay.sasl_username == "relay" and relay.setup is None
