"""RFC 8785 canonical JSON (JCS): the bytes the ledger signs, chains and digests.

One function, ``canonical``, serves agencies' signatures, the hash chain of
``impact.events``, the platform's checkpoints and the promotion review's digests; a
change to the bytes it writes would change every one of them, so its output is held
byte for byte to the reference implementation (``rfc8785``) by a property test.

Values made of strings, integers within ±(2**53 − 1), booleans, nulls, lists and
objects whose keys lie in the Basic Multilingual Plane (envelopes, checkpoints, review
inputs and nearly every submission) are written by orjson with sorted keys: for them
it writes exactly the RFC 8785 bytes (the same escapes; UTF-16 key order is code-point
order there) about 20 times faster. Everything else (floats above all) goes to
``rfc8785``.

Telling such a value apart costs more than writing it, so a cheaper test comes first
(``_written_at_sight``; the loader digests every record it reads): a walk that looks
only at the exact types of the values (``str``, ``int``, ``bool``, ``None``, ``dict``,
``list``; a subclass is not looked into) and at whether every key is ASCII, while orjson
itself refuses an integer beyond ±MAX_SAFE_INTEGER (``OPT_STRICT_INTEGER``: the same
bound) and a key that is not exactly a ``str`` (``OPT_PASSTHROUGH_SUBCLASS``). A value
that passes is one ``_plain`` accepts, written by the same orjson call; any other (a
float, a subclass, a big integer, a key beyond ASCII) takes the careful path, as before.
A property test holds the two paths to the same bytes.
"""

from itertools import compress
from typing import Any

import orjson
import rfc8785

from impact.errors import ContractError

MAX_SAFE_INTEGER = 2**53 - 1
"""The largest integer I-JSON (and so RFC 8785) can hold exactly."""

_AT_SIGHT = orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER | orjson.OPT_PASSTHROUGH_SUBCLASS
_LEAVES = frozenset({str, int, bool, type(None)})
_CONTAINERS = frozenset({dict, list})
_CONTAINED = _LEAVES | _CONTAINERS
_is_container = _CONTAINERS.__contains__


def canonical(value: Any) -> bytes:
    """The RFC 8785 canonical JSON of a parsed JSON value.

    Raises ContractError for a value that has no canonical form: a float that is not
    finite, an integer beyond ±MAX_SAFE_INTEGER, a key that is not text, a lone
    surrogate, a type JSON does not have.
    """
    written = written_at_sight(value)
    if written is not None:
        return written
    try:
        if _plain(value):
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise ContractError(f"cannot be put in canonical form: {exc}") from exc


def written_at_sight(value: Any) -> bytes | None:
    """``canonical(value)`` when a cheap test shows ``value`` is plain; else None (which
    says nothing about ``value``: ask ``canonical``)."""
    try:
        if _plain_at_sight(value):
            return orjson.dumps(value, option=_AT_SIGHT)
    except (TypeError, RecursionError):  # a big integer, a key not a str, too deep
        pass
    return None


def _plain_at_sight(value: Any) -> bool:
    """Whether ``value`` holds only values of the exact types ``str``, ``int``, ``bool``,
    ``None``, ``dict`` and ``list``, and ASCII keys (False says nothing: a subclass, say).
    A key that is not text raises TypeError."""
    kind = type(value)
    if kind is dict:
        if not "".join(value).isascii():
            return False
        items: Any = value.values()
    elif kind is list:
        items = value
    else:
        return kind in _LEAVES
    kinds = set(map(type, items))
    if kinds <= _LEAVES:
        return True
    if not kinds <= _CONTAINED:
        return False
    return all(map(_plain_at_sight, compress(items, map(_is_container, map(type, items)))))


def _plain(value: Any) -> bool:
    """Whether orjson writes ``value``'s RFC 8785 bytes: no float, no big integer, no key
    beyond the Basic Multilingual Plane (where UTF-16 order and code-point order part)."""
    if isinstance(value, str) or value is None or isinstance(value, bool):
        return True
    if isinstance(value, int):
        return -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER
    if isinstance(value, dict):
        return all(
            isinstance(k, str) and (k.isascii() or max(k) < "\U00010000") and _plain(v)
            for k, v in value.items()
        )
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return False
