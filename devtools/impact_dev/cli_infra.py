"""``impact-dev infra``: fetch, start, stop and inspect the project-local Kafka broker, or the
local three-node cluster (``--brokers 3``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from impact.settings import Settings
from impact_dev.broker import LocalBroker
from impact_dev.cluster import LocalCluster
from impact_dev.service_cli import EXIT_NOT_ANSWERING as EXIT_NOT_ANSWERING
from impact_dev.service_cli import EXIT_NOT_RUNNING as EXIT_NOT_RUNNING
from impact_dev.service_cli import (
    JsonFlag,
    ServiceManager,
    progress,
    reported,
    run_down,
    run_status,
    run_up,
    service_app,
    status_help,
)

app = service_app(
    "The local Kafka broker for development and CI, assembled from Maven Central into "
    "<state_dir>/kafka: one node, or with --brokers 3 a cluster of three nodes in "
    "<state_dir>/kafka/node-1..3. Production points KAFKA_BOOTSTRAP_SERVERS at a replicated "
    "cluster instead.",
    verbose_help="Log what the broker manager does.",
)

Brokers = Annotated[
    int,
    typer.Option(
        "--brokers",
        envvar="IMPACT_KAFKA_BROKERS",
        min=1,
        help="Nodes: 1 (the single broker) or a local cluster of that many (e.g. 3), its ports "
        "from KAFKA_BOOTSTRAP_SERVERS (one address per node) and IMPACT_KAFKA_CONTROLLER_PORT "
        "(the first of as many).",
    ),
]


def _broker() -> LocalBroker:
    return LocalBroker(Settings(), progress=progress)


def _manager(brokers: int) -> ServiceManager:
    if brokers == 1:
        return _broker()
    return LocalCluster(Settings(), brokers, progress=progress)


@app.command()
def fetch(
    libs_from: Annotated[
        Path | None,
        typer.Option(
            help="Link the libs/ of another state folder (same pom) instead of running Maven."
        ),
    ] = None,
) -> None:
    """Copy the broker's jars from Maven Central into <state_dir>/kafka/libs (once per pom)."""
    with reported():
        _broker().fetch(libs_from=libs_from)


@app.command()
def up(
    timeout: Annotated[
        float | None,
        typer.Option(
            help="Seconds to wait for the broker to answer (default 60), or every node (120)."
        ),
    ] = None,
    brokers: Brokers = 1,
) -> None:
    """Start the broker or the cluster (fetching and formatting on first use); a no-op when
    it runs."""
    wait = timeout if timeout is not None else (60 if brokers == 1 else 120)
    run_up(lambda: _manager(brokers), wait)


@app.command()
def down(
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait after SIGTERM before SIGKILL.")
    ] = 30,
    brokers: Brokers = 1,
) -> None:
    """Stop the broker or the cluster; fine when it is not running. Its data stays."""
    run_down(lambda: _manager(brokers), timeout, not_running="Kafka broker was not running")


@app.command(
    help=status_help(
        "Show the broker's state, or each node's, the controller quorum "
        "and the under-replicated partitions of the cluster."
    )
)
def status(as_json: JsonFlag = False, brokers: Brokers = 1) -> None:
    run_status(lambda: _manager(brokers), as_json)


if __name__ == "__main__":
    app()
