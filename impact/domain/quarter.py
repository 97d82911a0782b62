"""Quarters, written like ``2021Q4`` everywhere."""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from pydantic import StringConstraints

QUARTER_PATTERN = r"^(\d{4})Q([1-4])$"

QuarterText = Annotated[str, StringConstraints(pattern=QUARTER_PATTERN)]


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> "Quarter":
        match = re.match(QUARTER_PATTERN, text.strip())
        if not match:
            raise ValueError(f"{text!r} is not a quarter; write it like 2021Q4")
        return cls(int(match.group(1)), int(match.group(2)))

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
