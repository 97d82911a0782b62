"""``impact-dev postgres``: install, start, stop and inspect the project-local PostgreSQL server."""

from __future__ import annotations

from typing import Annotated

import typer

from impact.settings import Settings
from impact_dev.postgres import LocalPostgres
from impact_dev.service_cli import EXIT_NOT_ANSWERING as EXIT_NOT_ANSWERING
from impact_dev.service_cli import EXIT_NOT_RUNNING as EXIT_NOT_RUNNING
from impact_dev.service_cli import (
    console,
    progress,
    reported,
    run_down,
    run_up,
    service_app,
    status_command,
)

app = service_app(
    "The local PostgreSQL server for development and CI (Debian's postgresql package, "
    "cluster in <state_dir>/postgres, 127.0.0.1:IMPACT_POSTGRES_PORT). Production points "
    "EVENT_STORE_DSN at a managed server instead.",
    verbose_help="Log what the server manager does.",
)


def _postgres() -> LocalPostgres:
    return LocalPostgres(Settings(), progress=progress)


@app.command()
def install() -> None:
    """Install Debian's postgresql package (apt-get, as root) unless the server is there."""
    with reported():
        local = _postgres()
        bin_dir = local.install()
    console().print(f"PostgreSQL {local.version()} server binaries in {bin_dir}")


@app.command()
def up(
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait for the server to accept connections.")
    ] = 60,
) -> None:
    """Start the server (installing and initialising on first use); a no-op when it runs."""
    run_up(_postgres, timeout)


@app.command()
def down(
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait for a fast shutdown before forcing it.")
    ] = 30,
) -> None:
    """Stop the server; fine when it is not running. Its data stays."""
    run_down(_postgres, timeout, not_running="PostgreSQL was not running")


status = app.command()(status_command(_postgres, "Show the server's state and DSN."))


if __name__ == "__main__":
    app()
