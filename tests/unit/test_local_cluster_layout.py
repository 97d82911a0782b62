"""The local cluster's nodes: their ports, folders and configuration, without starting any."""

from pathlib import Path

import pytest

from impact.errors import ConfigurationError
from impact.settings import Settings
from impact_dev.broker import LocalBroker
from impact_dev.cluster import LocalCluster

BOOTSTRAP = "127.0.0.1:29092,127.0.0.1:29093,127.0.0.1:29094"


def cluster_settings(tmp_path: Path, **more: object) -> Settings:
    values: dict[str, object] = {
        "state_dir": tmp_path,
        "kafka_bootstrap_servers": BOOTSTRAP,
        "kafka_controller_port": 29192,
        **more,
    }
    return Settings(**values)


def properties(broker: LocalBroker) -> dict[str, str]:
    broker._render_config()
    lines = broker.properties_path.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))


def test_each_node_has_its_own_ports_folder_and_id_in_a_static_quorum(tmp_path):
    cluster = LocalCluster(cluster_settings(tmp_path))
    assert cluster.bootstrap == BOOTSTRAP
    node = properties(cluster.node(2))
    assert node["node.id"] == "2"
    assert node["controller.quorum.voters"] == (
        "1@127.0.0.1:29192,2@127.0.0.1:29193,3@127.0.0.1:29194"
    )
    assert "controller.quorum.bootstrap.servers" not in node
    assert node["listeners"].endswith("://127.0.0.1:29093,CONTROLLER://127.0.0.1:29193")
    assert node["log.dirs"] == str(tmp_path.resolve() / "kafka" / "node-2" / "data")
    assert cluster.node(2).pid_path == tmp_path.resolve() / "kafka" / "node-2" / "broker.pid"
    assert cluster.node(2).libs_dir == LocalBroker(cluster.settings).libs_dir


def test_the_internal_topics_have_a_replica_on_every_node_and_two_in_sync(tmp_path):
    node = properties(LocalCluster(cluster_settings(tmp_path)).node(1))
    assert node["offsets.topic.replication.factor"] == "3"
    assert node["transaction.state.log.replication.factor"] == "3"
    assert node["transaction.state.log.min.isr"] == "2"


def test_the_single_broker_keeps_its_own_quorum_of_one_and_single_replicas(tmp_path):
    settings = Settings(
        state_dir=tmp_path,
        kafka_bootstrap_servers="127.0.0.1:9092",
        kafka_controller_port=9093,  # whatever the environment says
    )
    single = properties(LocalBroker(settings))
    assert single["node.id"] == "1"
    assert single["controller.quorum.bootstrap.servers"] == "127.0.0.1:9093"
    assert single["offsets.topic.replication.factor"] == "1"
    assert single["transaction.state.log.min.isr"] == "1"
    assert single["log.dirs"] == str(tmp_path.resolve() / "kafka" / "data")


def test_one_address_gives_the_nodes_the_ports_after_it(tmp_path):
    cluster = LocalCluster(cluster_settings(tmp_path, kafka_bootstrap_servers="127.0.0.1:29092"))
    assert cluster.bootstrap == BOOTSTRAP


def test_nodes_get_512m_each_unless_the_heap_is_set(tmp_path):
    assert LocalCluster(cluster_settings(tmp_path)).nodes[0].node.heap == "512m"  # type: ignore[union-attr]
    chosen = LocalCluster(cluster_settings(tmp_path, kafka_heap="768m"))
    assert chosen.nodes[0].node.heap == "768m"  # type: ignore[union-attr]


def test_client_and_controller_ports_that_overlap_are_refused(tmp_path):
    with pytest.raises(ConfigurationError, match="overlap"):
        LocalCluster(cluster_settings(tmp_path, kafka_controller_port=29093))
    with pytest.raises(ConfigurationError, match="lists 2 addresses"):
        LocalCluster(cluster_settings(tmp_path, kafka_bootstrap_servers="127.0.0.1:1,127.0.0.1:2"))
