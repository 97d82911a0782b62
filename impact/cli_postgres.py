"""``impact postgres``: install, start, stop and inspect the project-local PostgreSQL server."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from impact.errors import ImpactError
from impact.postgres_local import LocalPostgres, PostgresStatus
from impact.settings import Settings

EXIT_NOT_RUNNING = 3
EXIT_NOT_ANSWERING = 1

app = typer.Typer(
    help=(
        "The local PostgreSQL server for development and CI (Debian's postgresql package, "
        "cluster in <state_dir>/postgres, 127.0.0.1:IMPACT_POSTGRES_PORT). Production points "
        "EVENT_STORE_DSN at a managed server instead."
    ),
    no_args_is_help=True,
)


def _console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def _progress(message: str) -> None:
    _console(stderr=True).print(Text(message, style="dim"))


def _postgres() -> LocalPostgres:
    return LocalPostgres(Settings(), progress=_progress)


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
        bool, typer.Option("--verbose", "-v", help="Log what the server manager does.")
    ] = False,
) -> None:
    if verbose:
        logging.basicConfig(level=logging.DEBUG, format="%(levelname)s %(name)s: %(message)s")


@app.command()
def install() -> None:
    """Install Debian's postgresql package (apt-get, as root) unless the server is there."""
    with _reported():
        local = _postgres()
        bin_dir = local.install()
    _console().print(f"PostgreSQL {local.version()} server binaries in {bin_dir}")


@app.command()
def up(
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait for the server to accept connections.")
    ] = 60,
) -> None:
    """Start the server (installing and initialising on first use); a no-op when it runs."""
    with _reported():
        status = _postgres().up(timeout=timeout)
    _console().print(status.describe())


@app.command()
def down(
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait for a fast shutdown before forcing it.")
    ] = 30,
) -> None:
    """Stop the server; fine when it is not running. Its data stays."""
    with _reported():
        stopped = _postgres().down(timeout=timeout)
    if not stopped:
        _console().print("PostgreSQL was not running")


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print the status as JSON.")] = False,
) -> None:
    """Show the server's state and DSN.

    Exit 0 when it answers, 3 when not running, 1 when it runs but does not answer.
    """
    with _reported():
        current: PostgresStatus = _postgres().status()
    if as_json:
        typer.echo(json.dumps(current.to_dict()))
    else:
        _console().print(current.describe())
    if current.answering:
        raise typer.Exit(0)
    raise typer.Exit(EXIT_NOT_RUNNING if not current.running else EXIT_NOT_ANSWERING)


if __name__ == "__main__":
    app()
