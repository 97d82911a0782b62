"""The local broker manager against real Kafka brokers.

Tests that only look use the shared session broker. Tests that stop, break or restart a
broker use ``scratch``: a second broker with its own state folder and free ports, sharing
the already fetched jars, so the session broker on 9092 is never disturbed.
"""

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic
from typer.testing import CliRunner

from impact.kafka import client_config
from impact.settings import Settings
from impact_dev.broker import BrokerError, LocalBroker
from impact_dev.cli_infra import app

pytestmark = pytest.mark.integration


def pom_kafka_version(settings: Settings) -> str:
    pom = (settings.infra_dir / "kafka" / "pom.xml").read_text()
    match = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", pom)
    assert match is not None
    return match.group(1)


def dead_pid() -> int:
    """The pid of a process that has just exited (and been reaped)."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def admin(settings: Settings) -> KafkaAdminClient:
    return KafkaAdminClient(**client_config(settings.kafka), client_id="test-broker")


def scratch_env(scratch: LocalBroker) -> dict[str, str]:
    settings = scratch.settings
    return {
        "IMPACT_STATE_DIR": str(settings.state_dir),
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "IMPACT_KAFKA_CONTROLLER_PORT": str(settings.kafka_controller_port),
    }


# -- the shared session broker: look, do not touch ----------------------------------------


def test_up_twice_returns_the_same_running_broker(broker: Settings) -> None:
    first = LocalBroker(broker).up()
    second = LocalBroker(broker).up()

    assert first.running and first.answering
    assert second.pid == first.pid


def test_status_reports_the_running_broker_with_its_version_and_data(broker: Settings) -> None:
    local = LocalBroker(broker)

    status = local.status()

    assert status.running and status.answering
    assert status.pid is not None and local.pid_path.read_text().strip() == str(status.pid)
    assert status.bootstrap == broker.kafka_bootstrap_servers.split(",")[0]
    assert status.kafka_version == pom_kafka_version(broker)
    assert status.data_dir == broker.kafka_dir.resolve() / "data"
    meta = (status.data_dir / "meta.properties").read_text()
    assert f"cluster.id={status.cluster_id}" in meta


def test_fetch_is_a_no_op_when_the_jars_match_the_pom(broker: Settings) -> None:
    local = LocalBroker(broker)
    before = {jar.name: jar.stat().st_mtime_ns for jar in local.libs_dir.glob("*.jar")}

    local.fetch()

    after = {jar.name: jar.stat().st_mtime_ns for jar in local.libs_dir.glob("*.jar")}
    assert after == before


# -- a scratch broker: stop, break and restart it freely -------------------------------------


def test_fetch_links_the_jars_of_another_state_folder_instead_of_running_maven(
    scratch: LocalBroker, broker: Settings
) -> None:
    assert scratch.libs_dir.is_symlink()
    assert scratch.libs_dir.resolve() == LocalBroker(broker).libs_dir.resolve()
    assert scratch.kafka_version() == pom_kafka_version(broker)


def test_fetch_refuses_a_libs_folder_that_was_never_fetched(
    scratch: LocalBroker, tmp_path: Path
) -> None:
    with pytest.raises(BrokerError, match="does not hold Kafka jars"):
        LocalBroker(scratch.settings.model_copy(update={"state_dir": tmp_path})).fetch(
            libs_from=tmp_path / "elsewhere"
        )


def test_a_fresh_broker_is_formatted_once_and_answers(scratch: LocalBroker) -> None:
    status = scratch.up()

    assert status.running and status.answering
    assert status.cluster_id == scratch.format() == scratch.cluster_id_path.read_text().strip()


def test_down_then_up_brings_back_the_same_cluster_with_its_topics(scratch: LocalBroker) -> None:
    first = scratch.up()
    topic = f"kept-{uuid.uuid4().hex[:8]}"
    client = admin(scratch.settings)
    client.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    client.close()

    assert scratch.down() is True
    stopped = scratch.status()
    assert not stopped.running and not stopped.answering
    assert not scratch.pid_path.exists()

    second = scratch.up()
    assert second.answering and second.pid != first.pid
    assert second.cluster_id == first.cluster_id
    client = admin(scratch.settings)
    try:
        assert topic in client.list_topics()
    finally:
        client.close()


def test_down_when_not_running_is_a_harmless_no_op(scratch: LocalBroker) -> None:
    scratch.down()

    assert scratch.down() is False
    assert not scratch.status().running


def test_up_replaces_a_stale_pid_file_left_by_a_dead_process(scratch: LocalBroker) -> None:
    scratch.down()
    bogus = dead_pid()
    scratch.pid_path.write_text(f"{bogus}\n")

    assert scratch.status().running is False
    status = scratch.up()

    assert status.answering and status.pid not in (None, bogus)
    assert scratch.pid_path.read_text().strip() == str(status.pid)


def test_a_pid_file_naming_an_unrelated_process_is_never_signalled(scratch: LocalBroker) -> None:
    scratch.down()
    scratch.pid_path.write_text(f"{os.getpid()}\n")  # this very pytest process

    assert scratch.status().running is False
    assert scratch.down() is False  # and we are still here to check
    assert not scratch.pid_path.exists()


def test_a_running_broker_whose_pid_file_was_lost_is_found_again(scratch: LocalBroker) -> None:
    running = scratch.up()
    scratch.pid_path.unlink()

    assert scratch.status().pid == running.pid
    assert scratch.up().pid == running.pid
    assert scratch.pid_path.read_text().strip() == str(running.pid)


def test_up_refuses_a_port_held_by_another_process_and_names_it(scratch: LocalBroker) -> None:
    scratch.down()
    _, port = scratch.settings.broker_ports()
    squatter = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import socket, sys, time\n"
            f"s = socket.socket(); s.bind(('127.0.0.1', {port})); s.listen()\n"
            "print('listening', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert squatter.stdout is not None and squatter.stdout.readline().strip() == "listening"
        with pytest.raises(BrokerError) as raised:
            scratch.up(timeout=30)
    finally:
        squatter.kill()
        squatter.wait()

    message = str(raised.value)
    assert f"Port {port}" in message and "already in use" in message
    assert f"pid {squatter.pid}" in message
    assert "KAFKA_BOOTSTRAP_SERVERS" in message
    assert not scratch.status().running


def test_up_reports_the_log_tail_when_the_broker_dies_while_starting(
    scratch: LocalBroker,
) -> None:
    scratch.down()
    starved = LocalBroker(scratch.settings.model_copy(update={"kafka_heap": "1k"}))

    with pytest.raises(BrokerError) as raised:
        starved.up(timeout=30)

    message = str(raised.value)
    assert "exited" in message and "while starting" in message
    assert "stdout.log" in message and "heap" in message.lower()
    assert not starved.pid_path.exists()


def test_up_refuses_to_start_a_broker_for_an_address_of_another_machine(
    scratch: LocalBroker,
) -> None:
    remote = LocalBroker(
        scratch.settings.model_copy(update={"kafka_bootstrap_servers": "kafka.example.org:9092"})
    )

    assert remote.is_local is False
    with pytest.raises(BrokerError, match="not this machine"):
        remote.up()


def test_a_fresh_broker_commits_transactions_for_read_committed_consumers(
    scratch: LocalBroker,
) -> None:
    scratch.up()
    settings = scratch.settings
    topic = f"tx-{uuid.uuid4().hex[:8]}"
    client = admin(settings)
    client.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    client.close()

    producer = KafkaProducer(
        **client_config(settings.kafka), transactional_id=f"test-{topic}", acks="all"
    )
    producer.init_transactions()
    producer.begin_transaction()
    producer.send(topic, b"aborted")
    producer.abort_transaction()
    producer.begin_transaction()
    producer.send(topic, b"committed")
    producer.commit_transaction()
    producer.close()

    consumer = KafkaConsumer(
        topic,
        **client_config(settings.kafka),
        isolation_level="read_committed",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=5000,
    )
    try:
        values = [record.value for record in consumer]
    finally:
        consumer.close()
    assert values == [b"committed"]


def test_the_status_command_exits_0_when_answering_and_3_when_stopped(
    scratch: LocalBroker,
) -> None:
    runner = CliRunner()
    env = scratch_env(scratch)

    scratch.up()
    answering = runner.invoke(app, ["status", "--json"], env=env)
    assert answering.exit_code == 0, answering.output
    assert json.loads(answering.stdout)["answering"] is True

    stopped = runner.invoke(app, ["down"], env=env)
    assert stopped.exit_code == 0, stopped.output
    not_running = runner.invoke(app, ["status"], env=env)
    assert not_running.exit_code == 3
    assert "not running" in not_running.stdout
