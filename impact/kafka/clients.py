"""Kafka clients of the ledger: their configuration, the topics, producers, and errors.

Everything the ledger says to kafka-python goes through here or ``impact.kafka.reader``;
kafka-python's exceptions become ``LogError`` at this boundary (``kafka_errors``).
"""

import logging
import ssl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic
from kafka.errors import (
    AuthorizationError,
    KafkaError,
    KafkaTimeoutError,
    TopicAlreadyExistsError,
)

from impact.errors import InfrastructureError, LogError
from impact.settings import KafkaConnection, Topics

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 2 * 1024 * 1024
"""Largest record on the events and rejections topics: a rejection carries the original
submission (at most SUBMISSIONS_MAX_BYTES) base64-encoded."""
SUBMISSIONS_MAX_BYTES = 512 * 1024


_broker_versions: dict[KafkaConnection, tuple[int, ...]] = {}
"""The broker version the first client of this process found with each connection (address
and login: a client with other credentials finds out for itself, and so fails at its start
when they are refused)."""


def client_config(kafka: KafkaConnection) -> dict[str, Any]:
    """Keyword arguments every kafka-python client of the ledger shares.

    Once a client of this process learned the brokers' version, the next ones are told it:
    a kafka-python client that has to find it out asks, then waits its metadata back-off
    (100 ms) before it reads any topic's metadata, and a review starts dozens of clients."""
    config: dict[str, Any] = {
        "bootstrap_servers": kafka.bootstrap_servers.split(","),
        "security_protocol": kafka.security_protocol,
    }
    version = _broker_versions.get(kafka)
    if version is not None:
        config["api_version"] = version
    if kafka.sasl_mechanism:
        config["sasl_mechanism"] = kafka.sasl_mechanism
        config["sasl_plain_username"] = kafka.sasl_username
        password = kafka.sasl_password
        config["sasl_plain_password"] = password.get_secret_value() if password else None
    if kafka.ssl_cafile is not None:
        config["ssl_cafile"] = str(kafka.ssl_cafile)
    return config


@contextmanager
def kafka_errors(what: str) -> Iterator[None]:
    """Translate kafka-python's errors into LogError, saying what was being done.

    A connection a broker drops mid-request (it died, or restarts) can also surface from
    the client's network layer as a plain ``ConnectionError`` or ``ssl.SSLError``: those
    are Kafka failures too, which the long-running services wait out like any other."""
    try:
        yield
    except (KafkaError, ConnectionError, ssl.SSLError) as exc:
        raise LogError(f"{what}: {type(exc).__name__}: {exc}") from exc


T = TypeVar("T")


def keep_running(
    work: Callable[[], T],
    what: str,
    give_up_after: float = 120.0,
    sleep: Callable[[float], None] = time.sleep,
    progress: Callable[[], object] | None = None,
) -> T:
    """Run ``work``; when Kafka fails it, start it again after a pause.

    ``work`` must resume from positions kept with the data (the relay and the ingest
    do), so starting again neither loses nor repeats anything. An outage longer than
    ``give_up_after`` seconds of consecutive failures is raised. ``progress`` says how far
    the work has got (a count, say): a run that moved it ends the outage, so a service that
    works between broker failures is never given up for the failures' sum (the cluster
    campaign's relay was, after its eighth failover in ten minutes).
    """
    delay, failing_since = 0.5, None
    while True:
        started = time.monotonic()
        before = progress() if progress else None
        try:
            return work()
        except LogError as exc:
            now = time.monotonic()
            moved = progress is not None and progress() != before
            if moved:
                delay = 0.5
            if failing_since is None or moved or now - started > give_up_after:
                failing_since = started
            if now - failing_since > give_up_after:
                raise
            log.warning("%s: %s; starting again in %.1f s", what, exc, delay)
            sleep(delay)
            delay = min(delay * 2, 10.0)


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    config: dict[str, str] = field(default_factory=dict)


def ledger_topics(topics: Topics) -> list[TopicSpec]:
    """The project's topics, with explicit settings: the log is kept forever, never compacted."""
    forever = {
        "cleanup.policy": "delete",
        "retention.ms": "-1",
        "retention.bytes": "-1",
        "max.message.bytes": str(MAX_MESSAGE_BYTES),
        "min.insync.replicas": str(min(2, topics.replication_factor)),
    }
    submissions = {
        **forever,
        "max.message.bytes": str(SUBMISSIONS_MAX_BYTES),
        # The broker stamps arrival time: key validity is judged by it, not by the sender.
        "message.timestamp.type": "LogAppendTime",
    }
    return [
        TopicSpec(topics.events, topics.partitions, forever),
        TopicSpec(topics.submissions, topics.partitions, submissions),
        TopicSpec(topics.rejections, 1, forever),
        # One partition: checkpoints follow the chain in order.
        TopicSpec(topics.checkpoints, 1, forever),
    ]


def topic_commands(bootstrap: str, topics: Topics) -> list[str]:
    """``kafka-topics.sh`` commands that create the project's topics on a cluster."""
    return [
        f"kafka-topics.sh --bootstrap-server {bootstrap} --command-config admin.properties "
        f"--create --if-not-exists --topic {spec.name} --partitions {spec.partitions} "
        f"--replication-factor {topics.replication_factor} "
        + " ".join(f"--config {k}={v}" for k, v in spec.config.items())
        for spec in ledger_topics(topics)
    ]


def admin_client(kafka: KafkaConnection) -> KafkaAdminClient:
    what = f"connecting to Kafka at {kafka.bootstrap_servers}"
    if kafka.security_protocol == "PLAINTEXT":
        # The commonest cause of a broker that never answers: it is secured and this
        # process found no credentials, so it spoke PLAINTEXT to a TLS listener.
        what += (
            " without credentials (PLAINTEXT; a secured broker needs IMPACT_KAFKA_CREDENTIALS"
            " or KAFKA_SECURITY_PROTOCOL)"
        )
    with kafka_errors(what):
        return KafkaAdminClient(client_id="impact-admin", **client_config(kafka))


ENSURED_FOR_SECONDS = 60.0
"""How long a process takes the topics it ensured (or checked) as they were: the main job
starts the relay, the ingest and agencies' clients dozens of times a quarter, and each
check costs an administrator's connection and four requests."""
_ensured: dict[tuple[Any, ...], tuple[float, Any]] = {}


def _recently(key: tuple[Any, ...]) -> tuple[bool, Any]:
    found = _ensured.get(key)
    if found is not None and time.monotonic() - found[0] < ENSURED_FOR_SECONDS:
        return True, found[1]
    return False, None


def ensure_topics(
    kafka: KafkaConnection,
    topics: Topics,
    transactional_id: str | None = None,
    refuse_unstamped: bool = False,
) -> list[str]:
    """``_ensure_topics`` unless this process did the same less than ``ENSURED_FOR_SECONDS``
    ago (then nothing is created: [])."""
    key = (
        "ensure",
        kafka.bootstrap_servers,
        kafka.setup is not None,
        topics,
        transactional_id,
        refuse_unstamped,
    )
    done, _ = _recently(key)
    if not done:
        created = _ensure_topics(kafka, topics, transactional_id, refuse_unstamped)
        _ensured[key] = (time.monotonic(), created)
        return created
    return []


def _ensure_topics(
    kafka: KafkaConnection,
    topics: Topics,
    transactional_id: str | None,
    refuse_unstamped: bool,
) -> list[str]:
    """Create the project's topics that are missing, grant the principals their access to
    them (with ``kafka.setup``, the administrator's connection, when this machine holds it),
    and compare every topic's settings with its declared ones; return the names created.

    ``transactional_id`` (the relay's) adds the grants of the relay's and the ingest's
    transactional ids. Drift is reported as a warning; with ``refuse_unstamped`` (the ingest)
    a submissions topic that lets senders choose their timestamps is refused
    (``TopicSettingsError``): key validity is judged by the broker's arrival time.
    """
    setup = kafka.setup or kafka
    admin = admin_client(setup)
    try:
        with kafka_errors("listing topics"):
            existing = set(admin.list_topics())
        wanted = [t for t in ledger_topics(topics) if t.name not in existing]
        created: list[str] = []
        for spec in wanted:
            topic = NewTopic(
                name=spec.name,
                num_partitions=spec.partitions,
                replication_factor=topics.replication_factor,
                topic_configs=spec.config,
            )
            try:
                with kafka_errors(f"creating topic {spec.name}"):
                    admin.create_topics([topic])
                created.append(spec.name)
            except LogError as exc:
                if isinstance(exc.__cause__, TopicAlreadyExistsError):
                    continue
                if kafka.setup is None and isinstance(exc.__cause__, AuthorizationError):
                    # A service with its own login on a cluster: the topics are the
                    # operator's (`impact acls`); it sees only those it may describe.
                    log.debug("topic %s is not this principal's to create", spec.name)
                    continue
                raise
        if created:
            log.info("created topics %s", created)
        if kafka.setup is not None:
            from impact.kafka.access import grant, grants

            with kafka_errors("granting the principals their access to the topics"):
                grant(admin, grants(topics, transactional_id))
        check_topic_settings(admin, topics, set(created), refuse_unstamped)
        return created
    finally:
        admin.close()


def check_topics(kafka: KafkaConnection, topics: Topics) -> dict[str, dict[str, tuple[str, str]]]:
    """Compare the existing topics' settings with their declared ones and warn of drift
    (for a service that creates nothing, such as the loader); as it was, when this process
    checked less than ``ENSURED_FOR_SECONDS`` ago."""
    key = ("check", kafka.bootstrap_servers, topics)
    done, drift = _recently(key)
    if done:
        return drift
    admin = admin_client(kafka)
    try:
        drift = check_topic_settings(admin, topics)
    finally:
        admin.close()
    _ensured[key] = (time.monotonic(), drift)
    return drift


class TopicSettingsError(InfrastructureError):
    """A topic's settings on the broker break what the ledger relies on (not a passing
    outage: ``keep_running`` does not start the work again)."""


def topic_drift(admin: KafkaAdminClient, topics: Topics) -> dict[str, dict[str, tuple[str, str]]]:
    """Topic → {setting: (declared, on the broker)} for every setting that differs; a topic
    whose settings cannot be read (missing, or not described to this principal) maps every
    declared setting to ``"?"``."""
    specs = ledger_topics(topics)
    resources = [
        ConfigResource(ConfigResourceType.TOPIC, spec.name, list(spec.config)) for spec in specs
    ]
    with kafka_errors("describing the topics' settings"):
        described = admin.describe_configs(resources, config_filter="all").get("topic", {})
    drift: dict[str, dict[str, tuple[str, str]]] = {}
    for spec in specs:
        actual = described.get(spec.name) or {}
        differing = {
            key: (want, str((actual.get(key) or {}).get("value", "?")))
            for key, want in spec.config.items()
            if str((actual.get(key) or {}).get("value", "?")) != want
        }
        if differing:
            drift[spec.name] = differing
    return drift


def check_topic_settings(
    admin: KafkaAdminClient,
    topics: Topics,
    created: set[str] | None = None,
    refuse_unstamped: bool = False,
) -> dict[str, dict[str, tuple[str, str]]]:
    """Warn of every drift (``topic_drift``); with ``refuse_unstamped``, refuse a submissions
    topic that does not stamp records with the broker's time."""
    drift = topic_drift(admin, topics)
    for name, settings in sorted(drift.items()):
        if name in (created or set()):
            continue
        unread = all(actual == "?" for _, actual in settings.values())
        if unread:  # missing, or not this principal's to describe
            log.debug("cannot read the settings of topic %s to compare them", name)
        else:
            log.warning(
                "topic %s has drifted from its declared settings: %s",
                name,
                ", ".join(f"{k}={a} (declared {w})" for k, (w, a) in sorted(settings.items())),
            )
    stamp = drift.get(topics.submissions, {}).get("message.timestamp.type")
    if refuse_unstamped and stamp is not None and stamp[1] != "?":
        raise TopicSettingsError(
            f"topic {topics.submissions} has message.timestamp.type={stamp[1]}: submissions are "
            "judged by the broker's arrival time, so it must be LogAppendTime (set it back with "
            f"kafka-configs.sh --alter --entity-type topics --entity-name {topics.submissions} "
            "--add-config message.timestamp.type=LogAppendTime)"
        )
    return drift


def delete_topics(kafka: KafkaConnection, names: list[str], wait: float = 60.0) -> list[str]:
    """Delete the named topics that exist and wait (up to ``wait`` s) until they are gone;
    return the names deleted."""
    _ensured.clear()  # what this process ensured may be what it deletes
    admin = admin_client(kafka)
    try:
        with kafka_errors(f"deleting the topics {names}"):
            doomed = sorted(set(names) & set(admin.list_topics()))
            if doomed:
                admin.delete_topics(doomed)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            with kafka_errors("waiting for the topics to go"):
                if not set(admin.list_topics()) & set(names):
                    break
            time.sleep(0.5)
        return doomed
    finally:
        admin.close()


def producer(
    kafka: KafkaConnection, what: str = "starting a Kafka producer", **overrides: Any
) -> KafkaProducer:
    """An idempotent producer that waits for every in-sync replica."""
    config: dict[str, Any] = {
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 5,
        **client_config(kafka),
        **overrides,
    }
    with kafka_errors(what):
        return _learn_version(kafka, KafkaProducer(**config))


def transactional_producer(kafka: KafkaConnection, transactional_id: str) -> KafkaProducer:
    """A producer with a fixed ``transactional.id``; starting it fences older ones with
    the same id and aborts the transaction they left open."""
    what = f"starting the transactional producer {transactional_id}"
    started = producer(
        kafka,
        what,
        transactional_id=transactional_id,
        compression_type=None,
        max_request_size=MAX_MESSAGE_BYTES,
    )
    with kafka_errors(what):
        started.init_transactions()
    return started


TRANSACTION_END_SECONDS = 60.0
"""How long committing or aborting a transaction may take before the producer is given up."""


def end_transaction(
    producer: KafkaProducer, commit: bool, seconds: float = TRANSACTION_END_SECONDS
) -> None:
    """Commit (or abort) the producer's open transaction, waiting at most ``seconds``.

    kafka-python's ``commit_transaction()`` and ``abort_transaction()`` wait for the
    coordinator's answer without a deadline; when the coordinator's node is killed at the
    wrong moment the answer never comes and the process waits for ever (the cluster
    campaign saw the relay and the ingest stop so, with nothing in their logs). Here the
    same request is made and its result awaited with a deadline: past it the producer
    must be closed; a new one with the same ``transactional.id`` fences it and completes
    or aborts the transaction at the coordinator before it starts."""
    manager = producer._transaction_manager  # the public call has no deadline
    if manager is None:
        raise KafkaError("the producer has no transactional.id")
    result = manager.begin_commit() if commit else manager.begin_abort()
    producer._sender.wakeup()  # as commit_transaction() does
    if not result.wait(timeout_ms=seconds * 1000):
        raise KafkaTimeoutError(
            f"the transaction's {'commit' if commit else 'abort'} had no answer in {seconds:.0f} s"
        )


def close_producer(producer: KafkaProducer, timeout: float = 5.0) -> None:
    """Close ``producer``, giving what it still holds ``timeout`` seconds to be delivered.

    kafka-python's ``close(timeout)`` raises when a record is still undelivered at the
    deadline (its partition's leader died), before it stops the producer's network thread:
    that thread then goes on retrying for the abandoned producer, one more each time a
    service starts again after a broker failure. Here the thread is stopped anyway (its
    undelivered records fail) and the producer closed."""
    try:
        producer.close(timeout=timeout)
        return
    except KafkaError:
        log.warning("a producer closed with records it could not deliver in %.0f s", timeout)
    sender = producer._sender  # close() left it running
    sender.force_close()
    sender.join(timeout)
    try:
        producer.close(timeout=0)  # its records have failed: nothing left to wait on
    except KafkaError:
        log.warning("the producer's network thread did not stop", exc_info=True)


def committed_consumer(kafka: KafkaConnection, **overrides: Any) -> KafkaConsumer:
    """A consumer that sees committed transactions only and never commits by itself
    (``TopicReader`` wraps one; only a raw baseline should need it bare)."""
    config: dict[str, Any] = {
        "isolation_level": "read_committed",
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "fetch_max_bytes": 16 * MAX_MESSAGE_BYTES,
        "max_partition_fetch_bytes": 4 * MAX_MESSAGE_BYTES,
        **client_config(kafka),
        **overrides,
    }
    with kafka_errors("starting a Kafka consumer"):
        return _learn_version(kafka, KafkaConsumer(**config))


Client = TypeVar("Client", KafkaProducer, KafkaConsumer)


def _learn_version(kafka: KafkaConnection, client: Client) -> Client:
    """Keep the broker version ``client`` found (or was told) for the next clients."""
    version = client.config.get("api_version")
    if isinstance(version, tuple) and version:
        _broker_versions.setdefault(kafka, version)
    return client
