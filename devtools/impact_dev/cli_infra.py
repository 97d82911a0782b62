"""``impact-dev infra``: fetch, start, stop and inspect the project-local Kafka broker."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from impact.settings import Settings
from impact_dev.broker import LocalBroker
from impact_dev.service_cli import EXIT_NOT_ANSWERING as EXIT_NOT_ANSWERING
from impact_dev.service_cli import EXIT_NOT_RUNNING as EXIT_NOT_RUNNING
from impact_dev.service_cli import progress, reported, run_down, run_up, service_app, status_command

app = service_app(
    "The local single-node Kafka broker for development and CI, assembled from Maven "
    "Central into <state_dir>/kafka. Production points KAFKA_BOOTSTRAP_SERVERS at a "
    "replicated cluster instead.",
    verbose_help="Log what the broker manager does.",
)


def _broker() -> LocalBroker:
    return LocalBroker(Settings(), progress=progress)


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
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the broker to answer.")] = 60,
) -> None:
    """Start the broker (fetching and formatting on first use); a no-op when it runs."""
    run_up(_broker, timeout)


@app.command()
def down(
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait after SIGTERM before SIGKILL.")
    ] = 30,
) -> None:
    """Stop the broker; fine when it is not running. Its data stays."""
    run_down(_broker, timeout, not_running="Kafka broker was not running")


status = app.command()(status_command(_broker, "Show the broker's state."))


if __name__ == "__main__":
    app()
