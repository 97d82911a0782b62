"""Every input is held exactly by every layer, or refused with a code a person can act on."""

import base64
import hashlib
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import TypeAdapter, ValidationError

from impact.contract.submissions import ReportOutcome, refusal_code
from impact.domain.program import Target
from impact.domain.quarter import Quarter
from impact.domain.submission import ORIGINAL_PREFIX_BYTES, Rejection
from impact.domain.values import EvidenceUri, Line, Quantity, Text

quantity: TypeAdapter[Decimal] = TypeAdapter(Quantity)


def code_of(adapter: TypeAdapter, value: object) -> str:  # type: ignore[type-arg]
    with pytest.raises(ValidationError) as caught:
        adapter.validate_python(value)
    return refusal_code(caught.value)


@pytest.mark.parametrize(
    ("text", "held"),
    [
        ("12", "12"),
        ("6150.5", "6150.5"),
        ("-2", "-2"),
        ("1E+3", "1000"),
        ("0E+999999999", None),
        ("999999999999999999.999999", "999999999999999999.999999"),
        ("1.50000000", "1.500000"),
        ("0E-20", "0.000000"),
    ],
)
def test_a_quantity_is_kept_in_plain_fixed_point(text, held):
    if held is None:
        assert code_of(quantity, text) == "number_out_of_range"
    else:
        assert str(quantity.validate_python(text)) == held


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("0E+999999999", "number_out_of_range"),
        ("1E+30", "number_out_of_range"),
        ("1000000000000000000", "number_out_of_range"),
        ("-1E+18", "number_out_of_range"),
        ("1E-999999999", "too_many_decimal_places"),
        ("1.0000001", "too_many_decimal_places"),
        ("NaN", "number_out_of_range"),
    ],
)
def test_a_quantity_no_layer_can_hold_exactly_is_refused_with_its_code(text, code):
    assert code_of(quantity, text) == code


def test_a_registration_target_has_the_same_bounds():
    with pytest.raises(ValidationError) as caught:
        Target(metric="jobs_created", quarter="2019Q1", value=Decimal("0E+999999999"))
    assert refusal_code(caught.value) == "number_out_of_range"
    assert "18 digits before the point" in str(caught.value)


def test_every_quantity_fits_the_projections_decimal_columns():
    """ClickHouse casts values with toDecimal128(x, 6): 38 digits, 6 after the point."""
    biggest = quantity.validate_python("999999999999999999.999999")
    assert len(biggest.as_tuple().digits) <= 38 - 6 + 6
    assert -biggest.as_tuple().exponent == 6  # type: ignore[operator]


@pytest.mark.parametrize("text", ["9999Q4", "1999Q4", "2101Q1", "0000Q1"])
def test_a_quarter_outside_the_years_the_ledger_knows_is_refused(text):
    with pytest.raises(ValueError, match=r"outside the years 2000\.\.2100"):
        Quarter.parse(text)
    with pytest.raises(ValidationError) as caught:
        Target(metric="jobs_created", quarter=text, value=Decimal(1))
    assert refusal_code(caught.value) == "quarter_out_of_range"


def test_a_naive_submitted_at_is_refused_as_such():
    with pytest.raises(ValidationError) as caught:
        ReportOutcome.create(
            submission_id="s",
            agency="BPA",
            submitted_at="2019-04-05T09:00:00",
            program_code="P-BPA-01",
            report_id="r",
            metric="jobs_created",
            quarter="2019Q1",
            value="1",
        )
    assert refusal_code(caught.value) == "naive_timestamp"


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9b", "\n", "\t"])
def test_a_line_refuses_every_control_character(char):
    assert code_of(TypeAdapter(Line), f"Youth{char}jobs") == "control_characters"


def test_free_text_keeps_lines_and_tabs_and_refuses_other_control_characters():
    text: TypeAdapter[str] = TypeAdapter(Text)
    assert text.validate_python("first line\n\tsecond\r\n") == "first line\n\tsecond\r\n"
    assert code_of(text, "a\x00b") == "control_characters"
    assert code_of(text, "\x1b[31mred") == "control_characters"
    assert TypeAdapter(Line).validate_python("부산 바다 지킴이 🐢🌊") == "부산 바다 지킴이 🐢🌊"


@pytest.mark.parametrize(
    "uri", ["javascript:alert(1)", "file:///etc/passwd", "data:text/html,x", "relative/path"]
)
def test_evidence_is_an_http_address(uri):
    assert code_of(TypeAdapter(EvidenceUri), uri) == "evidence_uri_scheme"


def test_evidence_over_https_passes():
    uri = "https://example.org/evidence.pdf"
    assert TypeAdapter(EvidenceUri).validate_python(uri) == uri


def test_a_staff_command_refuses_control_characters_too():
    from tests import commands as cmd

    with pytest.raises(ValidationError) as caught:
        cmd.submit_proposal("PR-1", "a\x00title", "text", "general")
    assert refusal_code(caught.value) == "control_characters"


# -- rejections -------------------------------------------------------------------


def test_a_rejection_keeps_a_bounded_prefix_with_the_size_and_digest_of_the_whole():
    original = b"x" * 500_000
    rejection = Rejection.of_message(
        original,
        source_topic="impact.submissions",
        source_partition=0,
        source_offset=1,
        code="oversized",
        message="too big",
        submission_id=None,
        agency=None,
        claimed_agency="BPA",
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
        actor="desk",
    )
    (recorded,) = rejection.collect_events()
    assert isinstance(recorded, Rejection.Recorded)
    assert base64.b64decode(recorded.original) == original[:ORIGINAL_PREFIX_BYTES]
    assert recorded.original_size == 500_000
    assert recorded.original_sha256 == hashlib.sha256(original).hexdigest()
    assert (recorded.agency, recorded.claimed_agency) == (None, "BPA")


def test_a_v1_rejection_is_read_with_the_size_and_digest_of_its_original():
    whole = b'{"submission": 1}'
    state = {"original": base64.b64encode(whole).decode(), "agency": "BPA"}
    Rejection.Recorded.upcast_v1_v2(state)
    assert state["original_sha256"] == hashlib.sha256(whole).hexdigest()
    assert state["claimed_agency"] is None and state["agency"] == "BPA"
