"""Reading what a person types: times, dates, quarters, numbers, scores and targets.

Each parser takes the text of one option or argument and returns its value, or raises
``typer.BadParameter`` saying how to write it. Given to an option as ``parser=``, typer
names the option in the message::

    Invalid value for '--quarter': '2019Q5' is not a quarter; write it like 2021Q4

Times are UTC unless they say otherwise. ``now`` is read here, at the edge: a command
that needs the time reads it once and passes it on.
"""

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, NamedTuple

import typer
from pydantic import TypeAdapter, ValidationError

from impact.domain.program import Target
from impact.domain.proposal import ReviewComment
from impact.domain.quarter import Quarter
from impact.domain.values import Quantity

_quantity: TypeAdapter[Decimal] = TypeAdapter(Quantity)


def now() -> dt.datetime:
    return dt.datetime.now(tz=dt.UTC)


_DAY = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\.?")
"""A day written year first: ``2019-04-05``, ``2019-4-5``, ``2019/04/05``, ``2019.4.5``."""
_WORDS = {"today": 0, "yesterday": -1, "tomorrow": 1}
TIME_FORMS = (
    "ISO 8601, e.g. 2019-04-05 or 2019-04-05T09:00 (UTC unless it says otherwise, "
    "e.g. 2019-04-05T09:00+09:00); 2019/04/05 and 2019-4-5 also do; or now, today, yesterday"
)
DATE_FORMS = "YYYY-MM-DD, e.g. 2019-04-05 (2019/04/05 and 2019-4-5 also do), or today, yesterday"


def _day(text: str) -> dt.date | None:
    """The day ``text`` names, year first, or ``None`` when it names none."""
    word = text.strip().lower()
    if word in _WORDS:
        return now().date() + dt.timedelta(days=_WORDS[word])
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        pass
    match = _DAY.fullmatch(text.strip())
    if match is None:
        return None
    year, month, day = (int(g) for g in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def time(text: str) -> dt.datetime:
    """ISO 8601 (``2019-04-05``, ``2019-04-05T09:00``, ``…+09:00``), a day written
    ``2019/04/05`` or ``2019-4-5`` (optionally followed by a time of day), ``now``, ``today``
    or ``yesterday`` (midnight UTC of that day)."""
    stripped = text.strip()
    if stripped.lower() == "now":
        return now()
    moment = None
    try:
        moment = dt.datetime.fromisoformat(stripped)
    except ValueError:
        head, _, clock = stripped.replace("T", " ", 1).partition(" ")
        day = _day(head)
        if day is not None:
            try:
                moment = dt.datetime.fromisoformat(
                    f"{day.isoformat()}T{clock.strip()}" if clock.strip() else day.isoformat()
                )
            except ValueError:
                moment = None
    if moment is None:
        raise typer.BadParameter(f"{text!r} is not a time; write it as {TIME_FORMS}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def date(text: str) -> dt.date:
    """``YYYY-MM-DD``, ``2019/04/05``, ``2019-4-5``, ``today`` or ``yesterday``."""
    day = _day(text)
    if day is None:
        raise typer.BadParameter(f"{text!r} is not a date; write it as {DATE_FORMS}")
    return day


def quarter(text: str) -> Quarter:
    try:
        return Quarter.parse(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


PROPOSAL_CODE = re.compile(r"C-(\d{4})-(\d{1,6})")
"""A citizen's proposal: ``C-``, the year it reached the desk, its number that year."""


def proposal_code(text: str) -> str:
    """``C-YEAR-NUMBER``, e.g. ``C-2018-0001``, as programme codes are checked."""
    code = text.strip()
    if PROPOSAL_CODE.fullmatch(code) is None:
        raise typer.BadParameter(
            f"{text!r} is not a proposal code; write it as C-YEAR-NUMBER, e.g. C-2018-0001"
        )
    return code


def decimal(text: str) -> Decimal:
    """A finite decimal number every layer holds (``impact.domain.values``): ``31``,
    ``6150.5``, ``-2``; never a float."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise typer.BadParameter(f"{text!r} is not a number; write it like 6150.5") from None
    if not value.is_finite():
        raise typer.BadParameter(f"{text!r} is not a finite number; write it like 6150.5")
    try:
        return _quantity.validate_python(value)
    except ValidationError as exc:
        raise typer.BadParameter(exc.errors()[0]["msg"]) from None


class Score(NamedTuple):
    criterion: str
    value: Decimal


def score(text: str) -> Score:
    """``criterion=value``, e.g. ``impact=80``."""
    criterion, equals, value = text.partition("=")
    if not equals or not criterion.strip():
        raise typer.BadParameter(
            f"{text!r} is not a score; write it as criterion=0..100, e.g. impact=80"
        )
    return Score(criterion.strip(), decimal(value))


def target(text: str) -> Target:
    """``metric:QUARTER:value``, e.g. ``jobs_created:2019Q1:30``."""
    parts = text.split(":")
    if len(parts) != 3 or not parts[0].strip():
        raise typer.BadParameter(
            f"{text!r} is not a target; "
            "write it as metric:QUARTER:value, e.g. jobs_created:2019Q1:30"
        )
    metric, when, value = parts
    try:
        return Target(metric=metric.strip(), quarter=str(quarter(when)), value=decimal(value))
    except ValidationError as exc:
        raise typer.BadParameter(f"{text!r}: {exc.errors()[0]['msg']}") from None


def comment(text: str) -> ReviewComment:
    """``reviewer: text``; without a colon, all of it names the reviewer."""
    reviewer, _, said = text.partition(":")
    if not reviewer.strip():
        raise typer.BadParameter(f"{text!r} names no reviewer; write it as reviewer: text")
    return ReviewComment(reviewer=reviewer.strip(), comment=said.strip())


OccurredAt = Annotated[
    dt.datetime | None,
    typer.Option(
        parser=time,
        metavar="TIME",
        help="When it happened (business time), e.g. 2019-04-05 or 2019-04-05T09:00 (UTC "
        "unless it says otherwise; default: now). It decides which quarter the fact counts in: "
        "the review of 2019Q1 counts only what occurred before 2019-04-01, so a programme "
        "registered now is no candidate for a past quarter.",
        show_default=False,
    ),
]
"""The ``--occurred-at`` option of every command that records a fact."""
