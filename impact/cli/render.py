"""What the command line prints, and where: results on stdout, progress and errors on stderr.

Both consoles print text as it is: rich markup and emoji codes are off, so a message, a
title or a log line that holds ``[erased]`` or ``:fire:`` is printed so, never taken for a
style. What is styled is built as ``rich.text.Text``; JSON is printed as plain text.
"""

import json
from typing import Any

from rich.console import Console
from rich.text import Text


def _stdout() -> Console:
    console = Console(markup=False, emoji=False)
    if not console.is_terminal:
        # Piped or captured (a log, grep): a line of text is never wrapped, and a table is
        # laid out for 180 columns rather than 80, so that its rows stay whole.
        console = Console(markup=False, emoji=False, width=180, soft_wrap=True)
    return console


out = _stdout()
"""Results: what the command answers."""
err = Console(stderr=True, markup=False, emoji=False, highlight=False, soft_wrap=True)
"""Progress, notes and errors, one line each (never wrapped)."""


def print_json(data: Any) -> None:
    """``data`` as indented JSON on stdout, Korean text as it is."""
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def recorded(changed: bool, message: str, what: str) -> None:
    """The answer to a staff command: ``message`` when it recorded something, else that
    ``what`` was recorded already (a retried command changes nothing)."""
    out.print(message if changed else f"already recorded: {what}; nothing changed")


def progress(message: str) -> None:
    """A step of long work, dim on stderr, so stdout stays the result alone."""
    err.print(Text(message, style="dim"))


def error(message: str, label: str = "error") -> None:
    """One line on stderr: ``error: <message>``, the message exactly as given."""
    err.print(Text.assemble((f"{label}:", "bold red"), " ", message))


def mark(ok: bool, yes: str = "✓", no: str = "✗") -> Text:
    """A green ``yes`` or a red ``no``."""
    return Text(yes, style="green") if ok else Text(no, style="bold red")
