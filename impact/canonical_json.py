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
"""

from typing import Any

import orjson
import rfc8785

from impact.errors import ContractError

MAX_SAFE_INTEGER = 2**53 - 1
"""The largest integer I-JSON (and so RFC 8785) can hold exactly."""


def canonical(value: Any) -> bytes:
    """The RFC 8785 canonical JSON of a parsed JSON value.

    Raises ContractError for a value that has no canonical form: a float that is not
    finite, an integer beyond ±MAX_SAFE_INTEGER, a key that is not text, a lone
    surrogate, a type JSON does not have.
    """
    try:
        if _plain(value):
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise ContractError(f"cannot be put in canonical form: {exc}") from exc


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
