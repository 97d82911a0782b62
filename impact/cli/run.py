"""How the ledger's command lines run: quiet logs, SIGTERM as Ctrl-C, and one exit status
for each way a command ends (``impact``, and ``impact-dev`` with it):

    0    done
    1    a result that is a failure, as the command documents it (``audit verify`` found
         tampering, ``audit reproduce`` a difference); a confirmation declined (Aborted!);
         or an error nobody expected: its traceback, as Python prints it
    2    the user's error, as one line on stderr:
           - the ledger refused (``ImpactError``: a rule of the programme, a service
             that cannot be reached, a setting that is wrong),
           - the input does not validate (pydantic's ``ValidationError``),
           - the command line is wrong (a bad value, a missing argument, an unknown
             command or option: typer's usage errors, ``typer.BadParameter``)
    130  interrupted (Ctrl-C); 143 stopped by SIGTERM

Run from here, never through ``app()``: typer's own handling would print usage errors
as a framed panel, and the ledger's errors as tracebacks.
"""

import inspect
import logging
import signal
import sys
import types
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn, Union, get_args, get_origin

import typer
from pydantic import ValidationError
from rich.markup import escape
from typer.core import TyperArgument, TyperGroup, TyperOption

from impact.cli import render
from impact.contract.submissions import describe_errors
from impact.errors import ImpactError

USER_ERROR = 2

_PLACEHOLDERS: dict[Any, str] = {
    str: "TEXT",
    int: "INTEGER",
    float: "NUMBER",
    Decimal: "NUMBER",
    Path: "FILE",
    datetime: "TIME",
    date: "DATE",
}


def _placeholder(param: TyperOption) -> str:
    """What a value of ``param`` is, in the help's words: ``TEXT``, ``FILE``, ``QUARTER``…"""
    annotation = getattr(getattr(param, "type_descriptor", None), "annotation", str)
    if get_origin(annotation) is list:
        (annotation,) = get_args(annotation)
    if get_origin(annotation) in (Union, types.UnionType):
        annotation = next(a for a in get_args(annotation) if a is not type(None))
    if annotation is Path and param.name in ("directory", "dir", "folder"):
        return "DIR"
    known = _PLACEHOLDERS.get(annotation)
    return known or (annotation.__name__.upper() if isinstance(annotation, type) else "TEXT")


def _no_type(ctx: object) -> None:
    return None


def plain_help(command: Any) -> Any:
    """``command`` and its subcommands with help in plain words: each value's placeholder
    (``TEXT``, ``FILE``, ``QUARTER``, an argument by its name) instead of the Python type
    typer shows (``<str>``, ``<list[str]>``), and none on a flag (``--yes``, not
    ``--yes <bool>``), and each paragraph of a command's docstring one line, which the
    help then wraps to the terminal's width (not broken mid-sentence where the source is)."""
    if command.help:
        paragraphs = inspect.cleandoc(command.help).split("\n\n")
        command.help = escape("\n\n".join(" ".join(p.split()) for p in paragraphs))
    for param in command.params:  # typer reads help as rich markup: `[erased]` stays as written
        if getattr(param, "help", None):
            param.help = escape(param.help)
    help_option = command.get_help_option(command.context_class(command))  # made once, kept
    for param in [*command.params, *([help_option] if help_option else [])]:
        if isinstance(param, TyperOption) and (param.is_flag or param.count):
            param.display_type_rich = _no_type  # type: ignore[method-assign]
        elif isinstance(param, TyperArgument):
            if param.metavar is None:
                name = (param.name or "value").upper()
                param.metavar = name  # the usage line adds "..." to one that repeats
            param.display_type_rich = _no_type  # type: ignore[method-assign]
        elif isinstance(param, TyperOption) and param.metavar is None:
            param.metavar = _placeholder(param)
    if isinstance(command, TyperGroup):
        for sub in command.commands.values():
            plain_help(sub)
    return command


def exit_status(app: typer.Typer, args: Sequence[str] | None = None) -> int:
    """Run ``app`` on ``args`` (default: the process's arguments); report a user error as
    one line on stderr; the exit status. An unexpected exception is raised as it is."""
    command = plain_help(typer.main.get_command(app))
    try:
        result = command.main(args=args, standalone_mode=False)
    except typer.Abort:
        render.err.print("Aborted!")
        return 1
    except typer.TyperException as exc:  # typer's usage errors, BadParameter among them
        if type(exc).__name__ == "NoArgsIsHelpError":  # the help is printed already
            return USER_ERROR
        context = getattr(exc, "ctx", None)
        hint = f" (see `{context.command_path} --help`)" if context is not None else ""
        render.error(exc.format_message() + hint)
        return USER_ERROR
    except ImpactError as exc:
        render.error(str(exc))
        return USER_ERROR
    except ValidationError as exc:
        render.error(describe_errors(exc), label="invalid input")
        return USER_ERROR
    # Not standalone, typer returns the command's value, or the status it exited with.
    return result if isinstance(result, int) else 0


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def run_typer(app: typer.Typer) -> NoReturn:
    """Run a command line of the ledger as a process: quiet logs, the exit statuses above."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # SIGTERM stops a command as Ctrl-C does (its `finally` blocks close consumers and
    # producers), even when the parent left SIGTERM ignored (an ignored signal is inherited).
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    # kafka-python logs connection churn on close at ERROR; its real failures reach us as
    # exceptions, translated at the adapter.
    logging.getLogger("kafka").setLevel(logging.CRITICAL)
    sys.exit(exit_status(app))
