"""Building signed submissions for tests, valid and deliberately broken."""

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from impact.canonical_json import canonical
from impact.domain.consortium import AgencyKey
from impact.domain.quarter import Quarter
from impact.ledger import Ledger
from impact.signing import AgencyKeyPair, public_key_text
from tests import commands as cmd

EARLY = datetime(2018, 12, 1, tzinfo=UTC)


def registered_key(ledger: Ledger, agency: str) -> AgencyKeyPair:
    pair = AgencyKeyPair.generate(agency)
    ledger.handle(
        cmd.register_key(
            AgencyKey(
                agency=agency,
                key_id=pair.key_id,
                public_key=public_key_text(pair.public),
                valid_from=EARLY,
            ),
            actor="secretariat",
        )
    )
    return pair


def registration(agency: str, code: str, sid: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "kind": "program.register",
        "submission_id": sid or f"reg-{code}",
        "agency": agency,
        "submitted_at": "2018-12-15T09:00:00+00:00",
        "program_code": code,
        "task_code": "S1-T1",
        "title_ko": "청년 일자리 🌊",
        "title_en": "Youth jobs",
        "budget_krw": 50_000_000,
        "starts_on": "2019-01-01",
        "ends_on": "2021-12-31",
        "targets": [{"metric": "jobs_created", "quarter": "2019Q1", "value": "10"}],
        **extra,
    }


def after_quarter(quarter: str, days: int = 4) -> str:
    """A business time ``days`` after the quarter ended, at 09:00 UTC (2019Q1: 2019-04-05);
    for text that is not a quarter of the plan's years, a fixed time in 2019."""
    try:
        Quarter.parse(quarter)
    except ValueError:
        return "2019-04-05T09:00:00+00:00"
    end = Quarter.parse(quarter).end + timedelta(days=days, hours=9)
    return end.isoformat()


def report(
    agency: str,
    code: str,
    quarter: str = "2019Q1",
    value: Any = "12",
    sid: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "kind": "outcome.report",
        "submission_id": sid or f"rep-{code}-{quarter}",
        "agency": agency,
        "submitted_at": after_quarter(quarter),
        "program_code": code,
        "report_id": f"{code}/jobs_created/{quarter}",
        "metric": "jobs_created",
        "quarter": quarter,
        "value": value,
        **extra,
    }


def signed(pair: AgencyKeyPair, submission: dict[str, Any]) -> bytes:
    return orjson.dumps(
        {
            "submission": submission,
            "signature": {
                "algorithm": "ed25519",
                "key_id": pair.key_id,
                "value": pair.sign(canonical(submission)),
            },
        }
    )


def bad_inputs(
    ledger: Ledger, owner: AgencyKeyPair, other: AgencyKeyPair
) -> list[tuple[str, bytes]]:
    """(expected rejection code, message bytes), one or more for every class of bad input.

    ``owner`` owns programme P-BPA-01 (registered); ``other`` is another member's key.
    """
    ok = report(owner.agency, "P-BPA-01", "2019Q2", sid="bad-base")
    forged = orjson.loads(signed(owner, ok))
    forged["submission"]["value"] = "999"
    wrong_key = orjson.loads(signed(other, {**ok, "submission_id": "bad-wrong-key"}))
    stranger = AgencyKeyPair.generate("NOPE")
    return [
        ("malformed_json", b'{"submission": {"kind": "outcome.report"'),
        ("not_utf8", b'{"submission": "\xff\xfe"}'),
        ("empty", b""),
        ("oversized", b"{" + b" " * (256 * 1024 + 10) + b"}"),
        (
            "unknown_kind",
            signed(owner, {**ok, "kind": "outcome.delete", "submission_id": "bad-kind"}),
        ),
        (
            "unsupported_schema_version",
            signed(owner, {**ok, "schema_version": 7, "submission_id": "bad-ver"}),
        ),
        (
            "invalid",
            signed(
                owner,
                {k: v for k, v in ok.items() if k != "metric"} | {"submission_id": "bad-missing"},
            ),
        ),
        ("invalid", signed(owner, {**ok, "value": {"amount": 3}, "submission_id": "bad-type"})),
        (
            "number_out_of_range",
            signed(owner, {**ok, "value": "NaN", "submission_id": "bad-nan"}),
        ),
        (
            "number_out_of_range",
            signed(owner, {**ok, "value": "0E+999999999", "submission_id": "bad-exponent"}),
        ),
        (
            "number_out_of_range",
            signed(owner, {**ok, "value": "1E+30", "submission_id": "bad-huge"}),
        ),
        (
            "too_many_decimal_places",
            signed(owner, {**ok, "value": "1.0000001", "submission_id": "bad-places"}),
        ),
        (
            "number_out_of_range",
            signed(
                owner,
                {
                    **registration(owner.agency, "P-BPA-77", sid="bad-target"),
                    "targets": [{"metric": "jobs_created", "quarter": "2019Q1", "value": "0E+99"}],
                },
            ),
        ),
        (
            "quarter_out_of_range",
            signed(owner, {**ok, "quarter": "9999Q4", "submission_id": "bad-quarter"}),
        ),
        (
            "naive_timestamp",
            signed(
                owner, {**ok, "submitted_at": "2019-04-05T09:00:00", "submission_id": "bad-naive"}
            ),
        ),
        (
            "control_characters",
            signed(
                owner,
                registration(owner.agency, "P-BPA-78", sid="bad-nul", title_en="Youth\x00jobs"),
            ),
        ),
        (
            "control_characters",
            signed(
                owner,
                registration(owner.agency, "P-BPA-79", sid="bad-c1", title_ko="청년\x9b31m 일자리"),
            ),
        ),
        (
            "evidence_uri_scheme",
            signed(
                owner,
                {
                    **ok,
                    "submission_id": "bad-uri",
                    "evidence": {"uri": "javascript:alert(1)", "sha256": "0" * 64},
                },
            ),
        ),
        (
            "malformed_json",
            orjson.dumps(
                {"submission": {**ok, "submission_id": "bad-inf"}, "signature": {}}
            ).replace(b'"12"', b"Infinity"),
        ),
        (
            "quarter_not_ended",
            signed(
                owner,
                {**report(owner.agency, "P-BPA-01", "2030Q4"), "submission_id": "bad-future"}
                | {"submitted_at": "2019-07-05T09:00:00+00:00"},
            ),
        ),
        (
            "metric_not_declared",
            signed(
                owner,
                {
                    **ok,
                    "metric": "vulnerable_beneficiaries",
                    "value": "10000000",
                    "submission_id": "bad-undeclared",
                },
            ),
        ),
        (
            "before_program_start",
            signed(
                owner, {**report(owner.agency, "P-BPA-01", "2018Q4"), "submission_id": "bad-early"}
            ),
        ),
        (
            "value_out_of_range",
            signed(owner, {**ok, "value": "-5", "submission_id": "bad-negative"}),
        ),
        (
            "value_out_of_range",
            signed(owner, {**ok, "value": "1e12", "submission_id": "bad-absurd"}),
        ),
        (
            "unknown_agency",
            signed(stranger, {**ok, "agency": "NOPE", "submission_id": "bad-stranger"}),
        ),
        (
            "unknown_program",
            signed(owner, {**report(owner.agency, "P-BPA-99"), "submission_id": "bad-prog"}),
        ),
        ("bad_signature", orjson.dumps(forged)),
        (
            "missing_signature",
            orjson.dumps({"submission": {**ok, "submission_id": "bad-unsigned"}}),
        ),
        ("key_of_another_agency", orjson.dumps(wrong_key)),
        (
            "not_owner",
            signed(
                other, {**report(other.agency, "P-BPA-01", "2019Q3"), "submission_id": "bad-owner"}
            ),
        ),
    ]
