"""The ledger's clock: when the platform records what it records.

Every event's ``timestamp`` (its recorded time: what ``--as-of`` and the auditors' replays
cut on) comes from ``now()``. In production that is the system clock, and nothing a user
can reach changes it: no setting, environment variable or command option. Only code that
plays a world of its own — the bundled scenario, which records each act at its own moment
of 2018-2021 so that "as known then" can be seen on it — runs under another clock, with
``recording_at(clock)`` around what it does; ``impact demo`` does so only on a ledger that
holds nothing but its own scenario.

A desk deciding a message says which one (``deciding(value)``), so a world's clock can
record each message at the moment it was sent in that world.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(tz=UTC)


_clock: ContextVar[Clock] = ContextVar("impact_clock", default=system_clock)
_message: ContextVar[bytes | None] = ContextVar("impact_deciding", default=None)


def now() -> datetime:
    """The time the platform records now."""
    return _clock.get()()


@contextmanager
def recording_at(clock: Clock) -> Iterator[None]:
    """Record everything done inside under ``clock``."""
    token = _clock.set(clock)
    try:
        yield
    finally:
        _clock.reset(token)


@contextmanager
def deciding(message: bytes | None) -> Iterator[None]:
    """The desk is deciding the message with these bytes."""
    token = _message.set(message)
    try:
        yield
    finally:
        _message.reset(token)


def message_deciding() -> bytes | None:
    return _message.get()
