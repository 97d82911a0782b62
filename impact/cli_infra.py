"""``impact infra``: fetch, start, stop and inspect the project-local Kafka broker."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from impact.broker import BrokerStatus, LocalBroker
from impact.errors import ImpactError
from impact.settings import Settings

EXIT_NOT_RUNNING = 3
EXIT_NOT_ANSWERING = 1

app = typer.Typer(
    help=(
        "The local single-node Kafka broker for development and CI, assembled from Maven "
        "Central into <state_dir>/kafka. Production points KAFKA_BOOTSTRAP_SERVERS at a "
        "replicated cluster instead."
    ),
    no_args_is_help=True,
)


def _console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def _progress(message: str) -> None:
    _console(stderr=True).print(Text(message, style="dim"))


def _broker() -> LocalBroker:
    return LocalBroker(Settings(), progress=_progress)


@contextmanager
def _reported() -> Iterator[None]:
    """Turn the ledger's own errors into one red message and exit code 1."""
    try:
        yield
    except ImpactError as exc:
        _console(stderr=True).print(Text("error: ", style="bold red") + Text(str(exc)))
        raise typer.Exit(1) from exc


@app.callback()
def _main(
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log what the broker manager does.")
    ] = False,
) -> None:
    if verbose:
        logging.basicConfig(level=logging.DEBUG, format="%(levelname)s %(name)s: %(message)s")


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
    with _reported():
        _broker().fetch(libs_from=libs_from)


@app.command()
def up(
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the broker to answer.")] = 60,
) -> None:
    """Start the broker (fetching and formatting on first use); a no-op when it runs."""
    with _reported():
        status = _broker().up(timeout=timeout)
    _console().print(status.describe())


@app.command()
def down(
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait after SIGTERM before SIGKILL.")
    ] = 30,
) -> None:
    """Stop the broker; fine when it is not running. Its data stays."""
    with _reported():
        stopped = _broker().down(timeout=timeout)
    if not stopped:
        _console().print("Kafka broker was not running")


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print the status as JSON.")] = False,
) -> None:
    """Show the broker's state.

    Exit 0 when it answers, 3 when not running, 1 when it runs but does not answer.
    """
    with _reported():
        current: BrokerStatus = _broker().status()
    if as_json:
        typer.echo(json.dumps(current.to_dict()))
    else:
        _console().print(current.describe())
    if current.answering:
        raise typer.Exit(0)
    raise typer.Exit(EXIT_NOT_RUNNING if not current.running else EXIT_NOT_ANSWERING)


if __name__ == "__main__":
    app()
