"""Quarters, written like ``2021Q4`` everywhere, from ``FIRST_YEAR`` to ``LAST_YEAR``.

The plan runs from 2019; a quarter outside 2000..2100 is a typing mistake, never a fact,
and is refused (``quarter_out_of_range``) before it reaches a date computation.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, StringConstraints
from pydantic_core import PydanticCustomError

QUARTER_PATTERN = r"^(\d{4})Q([1-4])$"
FIRST_YEAR = 2000
LAST_YEAR = 2100


def _in_range(text: str) -> str:
    if not FIRST_YEAR <= int(text[:4]) <= LAST_YEAR:
        raise PydanticCustomError(
            "quarter_out_of_range",
            "{text} is outside the years {first}..{last}; check the year",
            {"text": text, "first": FIRST_YEAR, "last": LAST_YEAR},
        )
    return text


QuarterText = Annotated[str, StringConstraints(pattern=QUARTER_PATTERN), AfterValidator(_in_range)]


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> "Quarter":
        match = re.match(QUARTER_PATTERN, text.strip())
        if not match:
            raise ValueError(f"{text!r} is not a quarter; write it like 2021Q4")
        year = int(match.group(1))
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise ValueError(
                f"{text.strip()} is outside the years {FIRST_YEAR}..{LAST_YEAR}; check the year"
            )
        return cls(year, int(match.group(2)))

    @classmethod
    def containing(cls, day: date) -> "Quarter":
        return cls(day.year, (day.month - 1) // 3 + 1)

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def last_day(self) -> date:
        return self.next().first_day - timedelta(days=1)

    @property
    def end(self) -> datetime:
        """The first instant after the quarter, in UTC."""
        nxt = self.next().first_day
        return datetime(nxt.year, nxt.month, nxt.day, tzinfo=UTC)

    def next(self) -> "Quarter":
        return Quarter(self.year + self.number // 4, self.number % 4 + 1)

    def previous(self) -> "Quarter":
        if self.number == 1:
            return Quarter(self.year - 1, 4)
        return Quarter(self.year, self.number - 1)

    def overlaps(self, start: date, end: date | None) -> bool:
        return self.last_day >= start and (end is None or self.first_day <= end)
