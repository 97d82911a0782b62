"""What the CLIs of the local services (``impact-dev infra``, ``impact-dev postgres``) share.

Each CLI keeps its own commands, options and help texts; the bodies of ``up``, ``down``
and ``status`` and the way errors and progress reach the terminal are the same and live
here. Exit statuses are those of ``impact`` (``impact.cli.run``): 0 done, 2 the user's
error (the ledger's own errors, as one line), and for ``status`` 1 and 3 as it says.
"""

# No ``from __future__ import annotations``: typer reads the ``--verbose`` option of
# ``service_app``'s callback from its annotation, which must be evaluated where the
# closure's help text is in scope.

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Protocol

import typer
from rich.console import Console
from rich.text import Text

from impact.cli.render import error
from impact.cli.run import USER_ERROR
from impact.errors import ImpactError

EXIT_NOT_RUNNING = 3
EXIT_NOT_ANSWERING = 1

JsonFlag = Annotated[bool, typer.Option("--json", help="Print the status as JSON.")]


class ServiceStatus(Protocol):
    """What ``BrokerStatus`` and ``PostgresStatus`` both tell."""

    @property
    def running(self) -> bool: ...

    @property
    def answering(self) -> bool: ...

    def to_dict(self) -> dict[str, object]: ...

    def describe(self) -> str: ...


class ServiceManager(Protocol):
    """What ``LocalBroker`` and ``LocalPostgres`` both do."""

    def up(self, timeout: float = ...) -> ServiceStatus: ...

    def down(self, timeout: float = ...) -> bool: ...

    def status(self) -> ServiceStatus: ...


def service_app(about: str, verbose_help: str) -> typer.Typer:
    """A typer app with ``--verbose`` (DEBUG logging) and help when called bare."""
    app = typer.Typer(help=about, no_args_is_help=True)

    @app.callback()
    def _main(
        verbose: Annotated[bool, typer.Option("--verbose", "-v", help=verbose_help)] = False,
    ) -> None:
        if verbose:
            logging.basicConfig(level=logging.DEBUG, format="%(levelname)s %(name)s: %(message)s")

    return app


def console(stderr: bool = False) -> Console:
    """Text printed as it is: a path or a log line in brackets is never taken for markup."""
    return Console(stderr=stderr, markup=False, emoji=False, highlight=False, soft_wrap=True)


def progress(message: str) -> None:
    """The managers' ``progress``: dim, on stderr, so stdout stays the result alone."""
    console(stderr=True).print(Text(message, style="dim"))


@contextmanager
def reported() -> Iterator[None]:
    """Turn the ledger's own errors into one red line and exit status 2, as ``impact`` does."""
    try:
        yield
    except ImpactError as exc:
        error(str(exc))
        raise typer.Exit(USER_ERROR) from exc


def run_up(manager: Callable[[], ServiceManager], timeout: float) -> None:
    with reported():
        status = manager().up(timeout=timeout)
    console().print(status.describe())


def run_down(manager: Callable[[], ServiceManager], timeout: float, not_running: str) -> None:
    with reported():
        stopped = manager().down(timeout=timeout)
    if not stopped:
        console().print(not_running)


def status_command(manager: Callable[[], ServiceManager], summary: str) -> Callable[[bool], None]:
    """A ``status`` command whose help is ``summary`` and the exit codes it sets."""

    def status(as_json: JsonFlag = False) -> None:
        run_status(manager, as_json)

    status.__doc__ = status_help(summary)
    return status


def status_help(summary: str) -> str:
    return (
        f"{summary}\n\n"
        "Exit 0 when it answers, 3 when not running, 1 when it runs but does not answer."
    )


def run_status(manager: Callable[[], ServiceManager], as_json: bool) -> None:
    """Print the status and exit as ``status_help`` says."""
    with reported():
        current = manager().status()
    if as_json:
        typer.echo(json.dumps(current.to_dict()))
    else:
        console().print(current.describe())
    if current.answering:
        raise typer.Exit(0)
    raise typer.Exit(EXIT_NOT_RUNNING if not current.running else EXIT_NOT_ANSWERING)
