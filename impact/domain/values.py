"""Values every layer can hold: quantities, text and evidence addresses.

A value the contract accepts is stored in the event store, published on
``impact.events`` and cast by ClickHouse; each layer must hold it exactly, so the
bounds are decided once, here, and checked wherever a value enters:

- **Quantity**: a finite decimal with at most ``MAX_INTEGER_DIGITS`` (18) digits
  before the point and ``DECIMAL_PLACES`` (6) after it. ClickHouse casts values to
  ``Decimal128(6)`` (38 digits, 32 before the point), so every quantity fits, and a
  sum of a million of them still does. An exponent is allowed only where the number
  it writes fits: ``1E+3`` is 1000 and stored as ``1000``; ``0E+999999999`` (an
  exponent beyond 18 digits, even on a zero) and ``1E+30`` are refused
  (``number_out_of_range``), and so is ``1E-7`` (``too_many_decimal_places``);
  ``1.50000000`` is stored as ``1.500000``.
- **Line** (titles, names, codes): no control character at all (C0, DEL, C1).
  **Text** (reasons, proposal text, comments): tab, line feed and carriage return
  allowed, no other control character. A control character is never what a person
  meant, and would otherwise reach the council's HTML and the terminal
  (``control_characters``).
- **EvidenceUri**: ``https``, or a document of the evidence register written
  ``docreg:<sha256>`` (``evidence_uri_scheme``); a ``javascript:``, ``file:`` or plain
  ``http:`` address is not evidence anyone can fetch and trust.

Each refusal is a pydantic error whose type is the code the desk gives the rejection.
"""

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

MAX_INTEGER_DIGITS = 18
DECIMAL_PLACES = 6
QUANTITY_LIMIT = Decimal(10) ** MAX_INTEGER_DIGITS
_STEP = Decimal(1).scaleb(-DECIMAL_PLACES)

QUANTITY_CODES = ("number_out_of_range", "too_many_decimal_places")
TEXT_CODES = ("control_characters", "evidence_uri_scheme")


def within_bounds(value: Decimal) -> Decimal:
    """The quantity in plain fixed-point form, or a refusal naming the bound it breaks."""
    if not value.is_finite():
        raise PydanticCustomError(
            "number_out_of_range", "{value} is not a finite number", {"value": str(value)}
        )
    if abs(value) >= QUANTITY_LIMIT:
        raise PydanticCustomError(
            "number_out_of_range",
            "{value} has more than {digits} digits before the point; "
            "a quantity lies strictly between -1E+18 and 1E+18",
            {"value": str(value)[:40], "digits": MAX_INTEGER_DIGITS},
        )
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    if exponent >= MAX_INTEGER_DIGITS:  # even a zero: no layer writes 0E+999999999 as a number
        raise PydanticCustomError(
            "number_out_of_range",
            "{value} has an exponent beyond {digits} digits before the point; write the number out",
            {"value": str(value)[:40], "digits": MAX_INTEGER_DIGITS},
        )
    if exponent > 0:  # 1E+3 is 1000, 0E+999999999 is 0: written out, both fit
        return value.quantize(Decimal(1))
    if exponent < -DECIMAL_PLACES:
        rounded = value.quantize(_STEP)
        if rounded != value:
            raise PydanticCustomError(
                "too_many_decimal_places",
                "{value} has more than {places} decimal places; round it to {places}",
                {"value": str(value)[:40], "places": DECIMAL_PLACES},
            )
        return rounded
    return value


Quantity = Annotated[
    Decimal,
    Field(
        allow_inf_nan=False,
        description=f"A decimal number, at most {MAX_INTEGER_DIGITS} digits before the point "
        f"and {DECIMAL_PLACES} after it.",
    ),
    AfterValidator(within_bounds),
]

_LINE_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f]")
_TEXT_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _refuse_controls(pattern: re.Pattern[str], allowed: str) -> Callable[[str], str]:
    def check(text: str) -> str:
        found = pattern.search(text)
        if found:
            raise PydanticCustomError(
                "control_characters",
                "the text holds the control character U+{code} at position {at}; "
                "remove it{allowed}",
                {"code": f"{ord(found.group()):04X}", "at": found.start(), "allowed": allowed},
            )
        return text

    return check


Line = Annotated[str, AfterValidator(_refuse_controls(_LINE_FORBIDDEN, ""))]
"""One line of text: no control character."""

Text = Annotated[
    str,
    AfterValidator(
        _refuse_controls(_TEXT_FORBIDDEN, " (only tab, line feed and carriage return are allowed)")
    ),
]
"""Free text: lines and tabs, no other control character."""


EVIDENCE_SCHEMES = ("https", "docreg")
"""``https`` addresses, and the evidence register's own ``docreg:<sha256>``."""


def _web_address(uri: str) -> str:
    scheme = uri.split(":", 1)[0].lower() if ":" in uri else ""
    if scheme not in EVIDENCE_SCHEMES:
        raise PydanticCustomError(
            "evidence_uri_scheme",
            "evidence must be an https address or a document of the evidence register "
            "(docreg:<sha256>, see `impact evidence add`), not '{uri}'",
            {"uri": uri[:80]},
        )
    if scheme == "docreg" and not re.fullmatch(r"docreg:[0-9a-f]{64}", uri):
        raise PydanticCustomError(
            "evidence_uri_scheme",
            "a register address is docreg: and the document's sha256 in lower-case hex, "
            "not '{uri}'",
            {"uri": uri[:80]},
        )
    return uri


EvidenceUri = Annotated[
    Line,
    StringConstraints(min_length=1, max_length=2048),
    AfterValidator(_web_address),
]
