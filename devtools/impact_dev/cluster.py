"""The project-local Kafka cluster: three combined broker+controller nodes on this machine.

``impact-dev infra up --brokers 3`` (or ``IMPACT_KAFKA_BROKERS=3``) runs them beside, or
instead of, the single broker, each a ``LocalBroker`` of its own folder::

    <state_dir>/kafka/
        libs/               the jars, shared with the single broker (``fetch()``)
        security/           the same CA, broker certificate and principals' passwords
        node-1/ ... node-N/ data/, logs/, server.properties, broker.pid, cluster.id of a node

What the cluster promises, and what its test (tests/integration/test_cluster.py) shows:

- node ``i`` serves clients on the ``i``-th address of ``KAFKA_BOOTSTRAP_SERVERS`` (or the
  first port + i - 1 when it names one) and controllers on ``IMPACT_KAFKA_CONTROLLER_PORT``
  + i - 1, all on this machine;
- the controller quorum is static: every node is a voter (``controller.quorum.voters``), so
  the cluster keeps its metadata while a majority lives;
- the internal topics (consumer offsets, transaction state) have a replica on every node and
  take a write when two are in sync; the ledger's own topics get the same from
  ``IMPACT_REPLICATION_FACTOR=3`` (``min.insync.replicas`` = 2), its producers ``acks=all``;
- it is secured exactly like the single broker, with the same material.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from impact.errors import ConfigurationError
from impact.settings import KafkaConnection, Settings
from impact_dev.broker import BrokerError, BrokerStatus, ClusterNode, LocalBroker

CLUSTER_SIZE = 3
NODE_HEAP = "512m"
"""Heap of each node unless IMPACT_KAFKA_HEAP says otherwise: three JVMs share the machine."""


@dataclass(frozen=True)
class Voter:
    """A controller of the quorum and how far its copy of the metadata log trails the leader's."""

    node_id: int
    log_end_offset: int
    lag: int

    def to_dict(self) -> dict[str, object]:
        return {"node_id": self.node_id, "log_end_offset": self.log_end_offset, "lag": self.lag}


@dataclass(frozen=True)
class Quorum:
    """The KRaft controller quorum as its leader describes it."""

    leader: int
    epoch: int
    high_watermark: int
    voters: tuple[Voter, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "leader": self.leader,
            "epoch": self.epoch,
            "high_watermark": self.high_watermark,
            "voters": [voter.to_dict() for voter in self.voters],
        }


@dataclass(frozen=True)
class Partition:
    """Where one partition lives: its leader (-1 when it has none), replicas and in-sync ones."""

    topic: str
    partition: int
    leader: int
    replicas: tuple[int, ...]
    isr: tuple[int, ...]

    @property
    def under_replicated(self) -> bool:
        return len(self.isr) < len(self.replicas)

    def to_dict(self) -> dict[str, object]:
        return {
            "topic": self.topic,
            "partition": self.partition,
            "leader": self.leader,
            "replicas": list(self.replicas),
            "isr": list(self.isr),
        }


@dataclass(frozen=True)
class ClusterStatus:
    """What ``status()`` and ``up()`` report about the local cluster."""

    bootstrap: str
    nodes: tuple[BrokerStatus, ...]
    quorum: Quorum | None
    under_replicated: tuple[Partition, ...]

    @property
    def running(self) -> bool:
        return any(node.running for node in self.nodes)

    @property
    def answering(self) -> bool:
        return all(node.answering for node in self.nodes)

    def to_dict(self) -> dict[str, object]:
        return {
            "bootstrap": self.bootstrap,
            "running": self.running,
            "answering": self.answering,
            "nodes": [node.to_dict() for node in self.nodes],
            "quorum": self.quorum.to_dict() if self.quorum else None,
            "under_replicated": [partition.to_dict() for partition in self.under_replicated],
        }

    def describe(self) -> str:
        """A few lines for a person: the nodes, the quorum, the partitions short of replicas."""
        lines = [f"Kafka cluster of {len(self.nodes)} nodes, bootstrap {self.bootstrap}"]
        for node in self.nodes:
            if node.running:
                state = "answering" if node.answering else "not answering yet"
                lines.append(f"  node {node.node_id}: pid {node.pid}, {state} on {node.bootstrap}")
            else:
                lines.append(f"  node {node.node_id}: not running ({node.bootstrap})")
        if self.quorum is None:
            lines.append("  controller quorum: no answer")
        else:
            voters = ", ".join(f"{v.node_id} (lag {v.lag})" for v in self.quorum.voters)
            lines.append(
                f"  controller quorum: leader {self.quorum.leader} (epoch {self.quorum.epoch}), "
                f"voters {voters}"
            )
        if self.under_replicated:
            lines.append(f"  under-replicated partitions: {len(self.under_replicated)}")
            lines += [
                f"    {p.topic}-{p.partition}: leader {p.leader}, replicas "
                f"{list(p.replicas)}, in sync {list(p.isr)}"
                for p in self.under_replicated
            ]
        elif self.quorum is not None:
            lines.append("  under-replicated partitions: none")
        return "\n".join(lines)


class LocalCluster:
    """Start, stop, inspect and break (one node at a time) the local Kafka cluster."""

    def __init__(
        self,
        settings: Settings,
        size: int = CLUSTER_SIZE,
        *,
        progress: Callable[[str], None] | None = None,
    ):
        if size < 2:
            raise ConfigurationError(f"a cluster has 2 nodes or more, not {size}")
        self.settings = settings
        self._progress = progress
        addresses = _addresses(settings, size)
        controller_ports = [settings.kafka_controller_port + i for i in range(size)]
        ports = [port for _, port in addresses] + controller_ports
        if len(set(ports)) != len(ports):
            raise ConfigurationError(
                f"The cluster's client ports {[p for _, p in addresses]} and controller ports "
                f"{controller_ports} overlap: set KAFKA_BOOTSTRAP_SERVERS to {size} addresses "
                "(e.g. 127.0.0.1:29092,127.0.0.1:29093,127.0.0.1:29094) and "
                "IMPACT_KAFKA_CONTROLLER_PORT to the first of as many free ports (e.g. 29192)"
            )
        host = addresses[0][0]
        voters = ",".join(f"{i + 1}@{host}:{port}" for i, port in enumerate(controller_ports))
        heap = settings.kafka_heap if "kafka_heap" in settings.model_fields_set else NODE_HEAP
        self.nodes = [
            LocalBroker(
                settings,
                progress=progress,
                node=ClusterNode(
                    node_id=i + 1,
                    host=node_host,
                    port=port,
                    controller_port=controller_ports[i],
                    home=settings.kafka_dir.resolve() / f"node-{i + 1}",
                    voters=voters,
                    size=size,
                    heap=heap,
                ),
            )
            for i, (node_host, port) in enumerate(addresses)
        ]
        self.bootstrap = ",".join(node.bootstrap for node in self.nodes)

    def node(self, node_id: int) -> LocalBroker:
        for node in self.nodes:
            if node.node is not None and node.node.node_id == node_id:
                return node
        raise BrokerError(f"the cluster has no node {node_id}")

    def admin_connection(self) -> KafkaConnection:
        """The administrator's connection to every node."""
        return (
            self.nodes[0]
            .admin_connection()
            .model_copy(update={"bootstrap_servers": self.bootstrap})
        )

    # -- public operations ---------------------------------------------------------------

    def fetch(self, libs_from: os.PathLike[str] | None = None) -> None:
        """The jars every node runs, as ``LocalBroker.fetch`` (shared ``libs/``)."""
        from pathlib import Path

        self.nodes[0].fetch(libs_from=Path(libs_from) if libs_from is not None else None)

    def up(self, timeout: float = 120) -> ClusterStatus:
        """Start the nodes that do not run, all at once (a node answers only once a majority
        of the quorum is up); return when every node answers."""
        deadline = time.monotonic() + timeout
        started = time.monotonic()
        launched: dict[int, subprocess.Popen[bytes]] = {}
        with self._locked():
            first = self.nodes[0]
            first._fetch(None)
            try:
                for node in self.nodes:
                    if node._live_pid() is not None:
                        continue
                    self._share_cluster_id(node)
                    node._format()
                    launched[id(node)] = node._launch()
                for node in self.nodes:
                    host, port = node._local_endpoint()
                    process = launched.get(id(node))
                    pid = process.pid if process is not None else node._live_pid()
                    if pid is None:
                        raise BrokerError(f"{node._title} stopped while the cluster started")
                    node._wait_answering(process, pid, host, port, deadline)
            except BaseException:
                for process in launched.values():
                    with contextlib.suppress(ProcessLookupError):
                        process.kill()
                raise
            first._ensure_principals()
        if launched:
            self._say(
                f"Kafka cluster answering on {self.bootstrap} "
                f"({len(launched)} nodes started, {time.monotonic() - started:.1f} s)"
            )
        return self.status()

    def down(self, timeout: float = 30) -> bool:
        """Stop every node (all SIGTERMed at once); whether any ran. The data stays."""
        started = time.monotonic()
        running = [(node, pid) for node in self.nodes if (pid := node._current_pid()) is not None]
        if running:
            names = ", ".join(f"{node._title} (pid {pid})" for node, pid in running)
            self._say(f"Stopping {names} ...")
        for node, pid in running:
            node._signal(pid, signal.SIGTERM)
        for node in self.nodes:
            node.down(timeout)
        if running:
            self._say(f"Kafka cluster stopped ({time.monotonic() - started:.1f} s)")
        return bool(running)

    def status(self) -> ClusterStatus:
        """Inspect without changing anything."""
        nodes = tuple(node.status() for node in self.nodes)
        quorum: Quorum | None = None
        under: tuple[Partition, ...] = ()
        if any(node.answering for node in nodes):
            with contextlib.suppress(Exception), self._admin() as admin:
                quorum = _quorum(admin.describe_metadata_quorum())
                under = tuple(p for p in _partitions(admin.describe_topics()) if p.under_replicated)
        return ClusterStatus(self.bootstrap, nodes, quorum, under)

    def partitions(self, topic: str) -> list[Partition]:
        """Leader, replicas and in-sync replicas of each partition of ``topic``."""
        with self._admin() as admin:
            return sorted(_partitions(admin.describe_topics([topic])), key=lambda p: p.partition)

    def elect_preferred_leaders(self, topic: str) -> None:
        """Give each partition of ``topic`` back to its preferred replica (the first of its
        replicas), as the cluster does by itself every five minutes once a node came back."""
        with self._admin() as admin:
            partitions = [p.partition for p in _partitions(admin.describe_topics([topic]))]
            admin.elect_leaders(0, {topic: partitions})

    def kill(self, node_id: int) -> int:
        """SIGKILL one node, as a crash would; return its pid."""
        node = self.node(node_id)
        pid = node._live_pid()
        if pid is None:
            raise BrokerError(f"{node._title} is not running")
        node._signal(pid, signal.SIGKILL)
        if not node._wait_gone(pid, 10):
            raise BrokerError(f"{node._title} (pid {pid}) survived SIGKILL")
        node.pid_path.unlink(missing_ok=True)
        return pid

    def restart(self, node_id: int, timeout: float = 60) -> BrokerStatus:
        """Start one stopped node again; it rejoins the quorum and catches its replicas up."""
        return self.node(node_id).up(timeout=timeout)

    # -- helpers -------------------------------------------------------------------------

    def _share_cluster_id(self, node: LocalBroker) -> None:
        """Every node is formatted with the cluster id of the first formatted one."""
        if node.cluster_id_path.is_file():
            return
        for other in self.nodes:
            with contextlib.suppress(OSError):
                cluster_id = other.cluster_id_path.read_text().strip()
                if cluster_id:
                    node.node_dir.mkdir(parents=True, exist_ok=True)
                    node.cluster_id_path.write_text(cluster_id + "\n")
                    return

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with contextlib.ExitStack() as stack:
            for node in self.nodes:
                stack.enter_context(node._lock())
            yield

    @contextlib.contextmanager
    def _admin(self) -> Iterator[Any]:
        from kafka import KafkaAdminClient

        from impact.kafka import client_config

        admin = KafkaAdminClient(
            **client_config(self.admin_connection()),
            client_id="impact-infra",
            request_timeout_ms=5000,
        )
        try:
            yield admin
        finally:
            with contextlib.suppress(Exception):
                admin.close()

    def _say(self, message: str) -> None:
        self.nodes[0]._say(message)


def _addresses(settings: Settings, size: int) -> list[tuple[str, int]]:
    listed = [a.strip() for a in settings.kafka_bootstrap_servers.split(",") if a.strip()]
    parsed: list[tuple[str, int]] = []
    for address in listed:
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit():
            raise ConfigurationError(
                f"KAFKA_BOOTSTRAP_SERVERS={settings.kafka_bootstrap_servers!r} is not host:port,..."
            )
        parsed.append((host, int(port)))
    if len(parsed) >= size:
        return parsed[:size]
    if len(parsed) == 1:
        first_host, first_port = parsed[0]
        return [(first_host, first_port + i) for i in range(size)]
    raise ConfigurationError(
        f"KAFKA_BOOTSTRAP_SERVERS lists {len(parsed)} addresses for a cluster of {size} nodes: "
        f"list {size}, or one (the nodes then take the ports after it)"
    )


def _quorum(described: dict[str, Any]) -> Quorum | None:
    for topic in described.get("topics", []):
        for partition in topic.get("partitions", []):
            high_watermark = int(partition["high_watermark"])
            return Quorum(
                leader=int(partition["leader_id"]),
                epoch=int(partition["leader_epoch"]),
                high_watermark=high_watermark,
                voters=tuple(
                    Voter(
                        node_id=int(voter["replica_id"]),
                        log_end_offset=int(voter["log_end_offset"]),
                        lag=max(0, high_watermark - int(voter["log_end_offset"])),
                    )
                    for voter in partition["current_voters"]
                ),
            )
    return None


def _partitions(topics: list[dict[str, Any]]) -> list[Partition]:
    return [
        Partition(
            topic=topic["name"],
            partition=int(p["partition_index"]),
            leader=int(p["leader_id"]),
            replicas=tuple(p["replica_nodes"]),
            isr=tuple(p["isr_nodes"]),
        )
        for topic in topics
        for p in topic["partitions"]
    ]
