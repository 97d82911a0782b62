"""Each integration test gets its own topics, event store and ClickHouse database.

They share the session's broker and one chDB path (chDB opens one path per process),
so isolation comes from names: a fresh events topic, transactional id and database.
``platform`` builds the services on the test's settings as the command line does;
``ledger`` and ``store`` are its ledger and projections.
"""

import os
import random
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from impact.bootstrap import Platform, bootstrap
from impact.ledger import Ledger
from impact.projections.store import ProjectionStore
from impact.settings import Settings
from impact_dev.broker import LocalBroker
from tests import commands as cmd

if TYPE_CHECKING:
    from impact_dev.cluster import LocalCluster


@pytest.fixture(scope="session")
def chdb_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("chdb") / "clickhouse"


@pytest.fixture
def settings(
    broker: Settings, tmp_path: Path, chdb_path: Path, swept: Callable[[Settings], None]
) -> Iterator[Settings]:
    own = own_settings(broker, tmp_path, chdb_path)
    yield own
    swept(own)


def own_settings(broker: Settings, tmp_path: Path, chdb_path: Path, **more: object) -> Settings:
    """A test's settings: its own state folder, topics, transactional id and database."""
    tag = uuid.uuid4().hex[:10]
    return Settings(
        **more,  # type: ignore[arg-type]  # by the fields' names
        state_dir=tmp_path / "state",
        kafka_bootstrap_servers=broker.kafka_bootstrap_servers,
        kafka_credentials=broker.kafka_credentials_dir,
        events_topic=f"test.events.{tag}",
        submissions_topic=f"test.submissions.{tag}",
        rejections_topic=f"test.rejected.{tag}",
        relay_transactional_id=f"test-relay-{tag}",
        clickhouse_dsn=f"chdb://{chdb_path}",
        clickhouse_database=f"test_{tag}",
    )


@pytest.fixture
def platform(settings: Settings) -> Iterator[Platform]:
    with bootstrap(settings) as services:
        yield services


@pytest.fixture
def ledger(platform: Platform) -> Ledger:
    platform.ledger.handle(cmd.found())
    return platform.ledger


@pytest.fixture
def store(platform: Platform) -> Iterator[ProjectionStore]:
    projection_store = platform.projections
    yield projection_store
    projection_store.command("DROP DATABASE IF EXISTS {db}")


def free_consecutive_ports(count: int, taken: set[int]) -> int:
    """The first of ``count`` consecutive ports that can be listened on now, below the range
    the system hands out to outgoing connections: a killed node's port there could be taken
    by a client's socket before the node starts again ("Address already in use")."""
    rng = random.Random()
    high = _outgoing_ports_start() - count
    for _ in range(200):
        first = rng.randrange(LOWEST_PORT, high)
        ports = range(first, first + count)
        if taken.isdisjoint(ports) and all(_bindable(port) for port in ports):
            return first
    raise AssertionError(f"no {count} consecutive free ports in {LOWEST_PORT}-{high}")


LOWEST_PORT = 20_000


def _outgoing_ports_start() -> int:
    """The first port of the system's ephemeral range (Linux: 32768 unless configured)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32_768


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator["LocalCluster"]:
    """A three-node Kafka cluster of the session's own on free ports, its jars linked from the
    local broker's (``make setup`` fetched them); ``make cluster-trials`` runs its tests."""
    from impact_dev.cluster import LocalCluster

    first = free_consecutive_ports(3, set())
    clients = [first, first + 1, first + 2]
    settings = Settings(
        state_dir=tmp_path_factory.mktemp("cluster-state"),
        kafka_bootstrap_servers=",".join(f"127.0.0.1:{port}" for port in clients),
        kafka_controller_port=free_consecutive_ports(3, set(clients)),
    )
    local = LocalCluster(settings)
    local.fetch(libs_from=LocalBroker(Settings()).libs_dir)
    started = time.monotonic()
    try:
        status = local.up(timeout=240)
        print(f"cluster of 3 nodes answering in {time.monotonic() - started:.1f} s")
        assert status.answering and status.quorum is not None
        assert {voter.node_id for voter in status.quorum.voters} == {1, 2, 3}
        yield local
    finally:
        local.down()


@pytest.fixture(scope="module")
def scratch(broker: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBroker]:
    """A second, disposable broker with free ports, for tests that stop or break one."""
    port = free_consecutive_ports(2, set())  # restarted on the same ports: see there
    controller_port = port + 1
    settings = Settings(
        state_dir=tmp_path_factory.mktemp("scratch-state"),
        kafka_bootstrap_servers=f"127.0.0.1:{port}",
        kafka_controller_port=controller_port,
    )
    local = LocalBroker(settings)
    local.fetch(libs_from=LocalBroker(broker).libs_dir)
    yield local
    local.down()


def process_environment(settings: Settings, **more: str) -> dict[str, str]:
    """The environment an ``impact`` subprocess needs to work on the same ledger as ``settings``."""
    return {
        **os.environ,
        "IMPACT_STATE_DIR": str(settings.state_dir),
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "IMPACT_KAFKA_CREDENTIALS": str(settings.kafka_credentials_dir),
        "IMPACT_EVENTS_TOPIC": settings.events_topic,
        "IMPACT_SUBMISSIONS_TOPIC": settings.submissions_topic,
        "IMPACT_REJECTIONS_TOPIC": settings.rejections_topic,
        "IMPACT_RELAY_TRANSACTIONAL_ID": settings.relay_transactional_id,
        "CLICKHOUSE_DSN": f"chdb://{settings.state_dir / 'clickhouse'}",
        **(
            {"EVENT_STORE_DSN": settings.event_store_dsn}
            if settings.event_store_dsn_setting is not None
            else {}
        ),
        **more,
    }
