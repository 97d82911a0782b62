"""Who may do what on the secured local broker, measured: principal × operation.

Every cell is tried on the real broker with the principal's own SCRAM login over TLS and
compared with the table below; a refusal must be the authorization error Kafka answers
for that resource (a topic's, a group's, a transactional id's or the cluster's), and a
client without credentials (PLAINTEXT, TLS without SASL, a wrong password, the controller
listener) must not get in at all. The measured table is printed and written to
``<state>/kafka/authorization-matrix.txt``.
"""

import os
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer, KafkaProducer, OffsetAndMetadata
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic
from kafka.errors import (
    ClusterAuthorizationFailedError,
    GroupAuthorizationFailedError,
    KafkaTimeoutError,
    TopicAuthorizationFailedError,
    TransactionalIdAuthorizationFailedError,
)

from impact.errors import LogError
from impact.kafka import (
    TopicPartition,
    admin_client,
    client_config,
    ensure_topics,
    producer,
    transactional_producer,
)
from impact.kafka.access import INGEST_GROUP, Grant
from impact.settings import KafkaConnection, Settings
from impact_dev.broker import LocalBroker

PRINCIPALS = ("admin", "relay", "ingest", "loader", "auditor", "agency-bpa", "agency-kamco")

OK = "ok"
CODES = {
    TopicAuthorizationFailedError: "topic",
    GroupAuthorizationFailedError: "group",
    TransactionalIdAuthorizationFailedError: "txn-id",
    ClusterAuthorizationFailedError: "cluster",
}
T, G, X, C = "topic", "group", "txn-id", "cluster"

# operation → what each principal of PRINCIPALS gets: ok, or the refusal's resource.
EXPECTED: dict[str, tuple[str, ...]] = {
    #                              admin relay ingest loader auditor bpa kamco
    "produce events": (OK, OK, T, T, T, T, T),
    "produce checkpoints": (OK, OK, T, T, T, T, T),
    "produce submissions": (OK, T, T, T, T, OK, OK),
    "produce rejections": (OK, T, OK, T, T, T, T),
    "read events": (OK, OK, T, OK, OK, T, T),
    "read checkpoints": (OK, OK, T, OK, OK, T, T),
    "read submissions": (OK, T, OK, T, T, T, T),
    "read rejections": (OK, T, OK, T, OK, T, T),
    "commit offsets as impact-ingest": (OK, G, OK, G, G, G, G),
    "use the relay's transactional id": (OK, OK, X, X, X, X, X),
    "use the ingest's transactional id": (OK, X, OK, X, X, X, X),
    "DeleteRecords on events": (OK, T, T, T, T, T, T),
    "AlterConfigs of submissions": (OK, T, T, T, T, T, T),
    "AlterConfigs of events": (OK, T, T, T, T, T, T),
    "create a topic": (OK, T, T, T, T, T, T),
    "delete a topic": (OK, T, T, T, T, T, T),
    "create an ACL": (OK, C, C, C, C, C, C),
}


@dataclass
class Place:
    settings: Settings
    transactional_id: str

    @property
    def topics(self) -> Any:
        return self.settings.topics


def secured_or_skip(broker: Settings) -> None:
    """Skip only where someone chose an unsecured broker on purpose (IMPACT_KAFKA_SECURITY=
    PLAINTEXT, for comparison), never in CI; a broker that should be secured and has no
    credentials fails."""
    if broker.kafka_local_credentials is not None:
        return
    if broker.kafka_local_security == "PLAINTEXT" and not os.environ.get("CI"):
        pytest.skip("the broker of these tests is not secured (IMPACT_KAFKA_SECURITY=PLAINTEXT)")
    pytest.fail(
        f"the local broker has no credentials in {broker.kafka_credentials_dir}: it should be "
        "secured (`impact-dev infra down`, remove its data folder, `impact-dev infra up`)"
    )


@pytest.fixture(scope="module")
def place(broker: Settings) -> Iterator[Place]:
    secured_or_skip(broker)
    tag = uuid.uuid4().hex[:10]
    settings = Settings(
        kafka_bootstrap_servers=broker.kafka_bootstrap_servers,
        kafka_credentials=broker.kafka_credentials_dir,
        events_topic=f"test.events.{tag}",
        submissions_topic=f"test.submissions.{tag}",
        rejections_topic=f"test.rejected.{tag}",
        relay_transactional_id=f"test-relay-{tag}",
    )
    ensure_topics(settings.kafka_for("relay"), settings.topics, settings.relay_transactional_id)
    writer = producer(settings.kafka)
    for topic in (settings.topics.events, settings.topics.checkpoints):
        writer.send(topic, b"seed", partition=0).get(timeout=30)
    for topic in (settings.topics.submissions, settings.topics.rejections):
        writer.send(topic, b"seed", partition=0).get(timeout=30)
    writer.close()
    yield Place(settings, settings.relay_transactional_id)


def produce(kafka: KafkaConnection, topic: str) -> None:
    # Not idempotent: a principal that may write no topic at all would be refused the
    # producer id first (ClusterAuthorizationFailed) and the topic's own ACL go untested.
    sender = KafkaProducer(**client_config(kafka), acks="all", enable_idempotence=False)
    try:
        sender.send(topic, b"matrix", partition=0).get(timeout=30)
    finally:
        sender.close(timeout=5)


def read(kafka: KafkaConnection, topic: str) -> None:
    consumer = KafkaConsumer(**client_config(kafka), enable_auto_commit=False)
    try:
        tp = TopicPartition(topic, 0)
        consumer.beginning_offsets([tp])
        consumer.assign([tp])
        consumer.seek(tp, 0)
        for _ in range(10):
            if consumer.poll(timeout_ms=1000):
                return
        raise AssertionError(f"read nothing from {topic}, which holds a record")
    finally:
        consumer.close()


def commit_as_group(kafka: KafkaConnection, topic: str) -> None:
    consumer = KafkaConsumer(
        **client_config(kafka), group_id=INGEST_GROUP, enable_auto_commit=False
    )
    try:
        consumer.commit({TopicPartition(topic, 0): OffsetAndMetadata(0, "", -1)})
    finally:
        consumer.close()


def use_transactional_id(kafka: KafkaConnection, transactional_id: str) -> None:
    try:
        transactional_producer(kafka, transactional_id).close(timeout=5)
    except LogError as exc:
        raise exc.__cause__ or exc from None


def with_admin(kafka: KafkaConnection, work: Callable[[Any], Any]) -> None:
    admin = admin_client(kafka)
    try:
        work(admin)
    finally:
        admin.close()


def delete_records(kafka: KafkaConnection, topic: str) -> None:
    with_admin(
        kafka,
        lambda admin: admin.delete_records({TopicPartition(topic, 0): 0}, partition_leader_id=1),
    )


def alter_configs(kafka: KafkaConnection, topic: str, key: str, value: str) -> None:
    def alter(admin: Any) -> None:
        resource = ConfigResource(ConfigResourceType.TOPIC, topic, {key: value})
        result = admin.alter_configs([resource], validate_only=True, raise_on_unknown=False)
        outcome = str(result["topic"][topic])
        if "TopicAuthorizationFailed" in outcome:
            raise TopicAuthorizationFailedError(outcome)
        assert outcome == "OK", outcome

    with_admin(kafka, alter)


def create_topic(kafka: KafkaConnection, cleanup: list[str]) -> None:
    name = f"test.matrix.{uuid.uuid4().hex[:10]}"

    def create(admin: Any) -> None:
        admin.create_topics([NewTopic(name, 1, 1)])
        cleanup.append(name)

    with_admin(kafka, create)


def delete_topic(kafka: KafkaConnection, admin_kafka: KafkaConnection, victim: str) -> None:
    """Delete a throwaway topic (the administrator's own); the events topic for the others."""
    if kafka.sasl_username == "admin":
        victim = f"test.matrix.{uuid.uuid4().hex[:10]}"
        with_admin(admin_kafka, lambda admin: admin.create_topics([NewTopic(victim, 1, 1)]))
    with_admin(kafka, lambda admin: admin.delete_topics([victim]))


def create_acl(kafka: KafkaConnection, topic: str) -> None:
    def create(admin: Any) -> None:
        result = admin.create_acls(Grant("loader", "topic", topic, ("describe",)).acls())
        for failure in result["failed"]:
            raise failure() if isinstance(failure, type) else failure

    with_admin(kafka, create)


def operations(place: Place, cleanup: list[str]) -> dict[str, Callable[[KafkaConnection], None]]:
    t = place.topics
    txn = place.transactional_id
    admin = place.settings.kafka
    return {
        "produce events": lambda k: produce(k, t.events),
        "produce checkpoints": lambda k: produce(k, t.checkpoints),
        "produce submissions": lambda k: produce(k, t.submissions),
        "produce rejections": lambda k: produce(k, t.rejections),
        "read events": lambda k: read(k, t.events),
        "read checkpoints": lambda k: read(k, t.checkpoints),
        "read submissions": lambda k: read(k, t.submissions),
        "read rejections": lambda k: read(k, t.rejections),
        "commit offsets as impact-ingest": lambda k: commit_as_group(k, t.submissions),
        "use the relay's transactional id": lambda k: use_transactional_id(k, txn),
        "use the ingest's transactional id": lambda k: use_transactional_id(k, f"{txn}-rejections"),
        "DeleteRecords on events": lambda k: delete_records(k, t.events),
        "AlterConfigs of submissions": lambda k: alter_configs(
            k, t.submissions, "message.timestamp.type", "LogAppendTime"
        ),
        "AlterConfigs of events": lambda k: alter_configs(k, t.events, "retention.ms", "-1"),
        "create a topic": lambda k: create_topic(k, cleanup),
        "delete a topic": lambda k: delete_topic(k, admin, t.events),
        "create an ACL": lambda k: create_acl(k, f"test.matrix.none.{uuid.uuid4().hex[:6]}"),
    }


def outcome(work: Callable[[], None]) -> str:
    try:
        work()
    except tuple(CODES) as exc:
        return CODES[type(exc)]
    return OK


def render(measured: dict[str, tuple[str, ...]]) -> str:
    width = max(len(op) for op in measured)
    header = f"{'operation':<{width}} | " + " | ".join(f"{p:<14}" for p in PRINCIPALS)
    lines = [header, "-" * len(header)]
    for op, cells in measured.items():
        shown = [("allowed" if c == OK else f"DENIED:{c}") for c in cells]
        lines.append(f"{op:<{width}} | " + " | ".join(f"{c:<14}" for c in shown))
    return "\n".join(lines)


def test_each_principal_may_do_what_its_grants_say_and_nothing_else(
    place: Place, broker: Settings
) -> None:
    cleanup: list[str] = []
    ops = operations(place, cleanup)
    measured: dict[str, tuple[str, ...]] = {}
    try:
        for name, work in ops.items():
            row = []
            for principal in PRINCIPALS:
                kafka = place.settings.kafka_for(principal)
                row.append(outcome(lambda: work(kafka)))  # noqa: B023
            measured[name] = tuple(row)
    finally:
        if cleanup:
            with_admin(place.settings.kafka, lambda admin: admin.delete_topics(cleanup))
    table = render(measured)
    print("\n" + table)
    (broker.kafka_dir / "authorization-matrix.txt").write_text(table + "\n")
    assert measured == EXPECTED, "\n" + table


def refused(config: dict[str, Any], log: Path) -> str:
    """How the broker turned the client away: the client's error, and the reason the broker
    logged for the failed authentication."""
    seen = log.stat().st_size if log.is_file() else 0
    try:
        KafkaProducer(**config, bootstrap_timeout_ms=2500).close()
    except KafkaTimeoutError as exc:
        client = type(exc).__name__
    else:
        return OK
    time.sleep(0.5)
    with open(log, "rb") as lines:
        lines.seek(seen)
        logged = lines.read().decode(errors="replace")
    reasons = sorted(
        set(re.findall(r"Failed authentication with \S+ \(channelId=[^)]*\) \((.*?)\) \(", logged))
        | set(re.findall(r"Unexpected Kafka request of type \w+ during SASL handshake", logged))
    )
    return f"{client}; broker: {' / '.join(reasons) or 'nothing logged'}"


def test_a_client_without_valid_credentials_does_not_get_in(broker: Settings) -> None:
    secured_or_skip(broker)
    admin = broker.kafka
    assert admin.ssl_cafile is not None
    servers = broker.kafka_bootstrap_servers
    controller = f"127.0.0.1:{broker.kafka_controller_port}"
    tls = {"security_protocol": "SSL", "ssl_cafile": str(admin.ssl_cafile)}
    # A new client, as an outsider's would be: not told the brokers' version (the ledger's
    # clients are, once one of its process found it), so it logs in as it starts.
    sasl = {k: v for k, v in client_config(admin).items() if k != "api_version"}
    attempts = {
        "PLAINTEXT, no credentials": ({"bootstrap_servers": servers}, "SSL handshake failed"),
        "TLS without SASL": (
            {"bootstrap_servers": servers, **tls},
            "during SASL handshake",
        ),
        "SASL_SSL, wrong password": (
            {**sasl, "sasl_plain_password": "not-the-password"},
            "invalid credentials",
        ),
        "SASL_SSL, unknown user": (
            {**sasl, "sasl_plain_username": "mallory"},
            "invalid credentials",
        ),
        "PLAINTEXT to the controller listener": (
            {"bootstrap_servers": controller},
            "SSL handshake failed",
        ),
        "TLS, no client certificate, controller listener": (
            {"bootstrap_servers": controller, **tls},
            "SSL handshake failed",
        ),
    }
    log = LocalBroker(broker).logs_dir / "server.log"
    measured = {how: refused(config, log) for how, (config, _) in attempts.items()}
    print("\n" + "\n".join(f"{how:<48} | {result}" for how, result in measured.items()))
    for how, (_, reason) in attempts.items():
        assert measured[how].startswith("KafkaTimeoutError"), (how, measured[how])
        if reason is not None and log.is_file():
            assert reason in measured[how], (how, measured[how])


def test_a_service_given_its_login_by_the_environment_works_within_its_grants(
    place: Place,
) -> None:
    """As on a cluster: no administrator's login on the machine, KAFKA_SASL_* name the
    agency's; it creates no topic (it sees only the one it may write) and sends."""
    from impact.ingest.client import AgencyClient
    from impact.kafka.access import agency_principal
    from impact.signing import AgencyKeyPair
    from tests.submissions import registration

    local = place.settings.kafka_for(agency_principal("BPA"))
    assert local.sasl_password is not None
    own = Settings(
        kafka_bootstrap_servers=place.settings.kafka_bootstrap_servers,
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_sasl_username=local.sasl_username,
        kafka_sasl_password=local.sasl_password,
        kafka_ssl_cafile=local.ssl_cafile,
        kafka_credentials=Path("/nonexistent"),
        events_topic=place.settings.events_topic,
        submissions_topic=place.settings.submissions_topic,
        rejections_topic=place.settings.rejections_topic,
    )
    kafka = own.kafka_for("ignored: the environment names the principal")
    assert kafka.setup is None and kafka.sasl_username == "agency-bpa"
    client = AgencyClient(kafka, own.topics, AgencyKeyPair.generate("BPA"))
    sent = client.send([registration("BPA", "P-BPA-09")])
    assert len(sent) == 1
