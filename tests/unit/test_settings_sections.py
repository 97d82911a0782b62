"""Adapters get sections of the settings: each carries the values of its environment variables."""

import pytest
from pydantic import ValidationError

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
