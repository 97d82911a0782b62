"""How the ledger's command lines run: quiet logs, SIGTERM as Ctrl-C, the ledger's errors as
one line and exit status 2."""

import logging
import signal
import sys

import typer
from pydantic import ValidationError
from rich.console import Console

from impact.errors import ImpactError


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def run_typer(app: typer.Typer) -> None:
    """Run a command line of the ledger: quiet logs, and the ledger's errors as one line, exit 2."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # SIGTERM stops a command as Ctrl-C does (its `finally` blocks close consumers and
    # producers), even when the parent left SIGTERM ignored (an ignored signal is inherited).
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    # kafka-python logs connection churn on close at ERROR; its real failures reach us as
    # exceptions, translated at the adapter.
    logging.getLogger("kafka").setLevel(logging.CRITICAL)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        app()
    except ImpactError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        sys.exit(2)
    except ValidationError as exc:
        err.print(f"[bold red]invalid input:[/] {exc}")
        sys.exit(2)
