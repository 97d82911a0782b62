"""A signed submission no layer can hold is refused at the desk, through the real broker,
and the review computed in the embedded ClickHouse engine is the one without it."""

import pytest

from impact.domain.quarter import Quarter
from impact.domain.submission import Rejection
from impact.orchestration.run import run_review
from impact.projections.scoring import recorded_review
from tests.integration.kafka_reading import read_rejections
from tests.submissions import registered_key, registration, report, signed

pytestmark = pytest.mark.integration


def poisoned(bpa):
    """(code, message): signed by BPA, valid JSON, each holding one value no layer can hold."""
    ok = report("BPA", "P-BPA-01", value="5")
    return [
        ("number_out_of_range", {**ok, "value": "0E+999999999", "submission_id": "p-exp"}),
        ("number_out_of_range", {**ok, "value": "1E+30", "submission_id": "p-huge"}),
        ("number_out_of_range", {**ok, "value": "-1E+19", "submission_id": "p-low"}),
        ("too_many_decimal_places", {**ok, "value": "1E-999999999", "submission_id": "p-tiny"}),
        (
            "number_out_of_range",
            {
                **registration("BPA", "P-BPA-09", sid="p-target"),
                "targets": [{"metric": "jobs_created", "quarter": "2019Q1", "value": "0E+999"}],
            },
        ),
        ("quarter_out_of_range", {**ok, "quarter": "9999Q4", "submission_id": "p-quarter"}),
        ("naive_timestamp", {**ok, "submitted_at": "2019-04-05T09:00", "submission_id": "p-tz"}),
        (
            "control_characters",
            registration("BPA", "P-BPA-08", sid="p-nul", title_en="<b>\x00\x1b[2J</b>"),
        ),
        (
            "evidence_uri_scheme",
            {
                **ok,
                "submission_id": "p-uri",
                "evidence": {"uri": "javascript:alert(document.cookie)", "sha256": "a" * 64},
            },
        ),
    ]


def test_values_no_layer_can_hold_are_refused_and_the_review_is_the_one_without_them(
    ledger, settings, platform, store
):
    bpa, kibo = registered_key(ledger, "BPA"), registered_key(ledger, "KIBO")
    good = [
        signed(bpa, registration("BPA", "P-BPA-01")),
        signed(kibo, registration("KIBO", "P-KIBO-01")),
    ]
    reports = [
        signed(bpa, report("BPA", "P-BPA-01", value="7")),
        signed(kibo, report("KIBO", "P-KIBO-01", value="12.5")),
    ]
    bad = poisoned(bpa)
    client = platform.agency_client(bpa)
    client.send_raw([(f"g{i}", b"k", m) for i, m in enumerate(good)])
    client.send_raw(
        [(code, b"k", signed(bpa, message)) for code, message in bad[: len(bad) // 2]]
        + [(f"r{i}", b"k", m) for i, m in enumerate(reports)]
        + [(code, b"k", signed(bpa, message)) for code, message in bad[len(bad) // 2 :]]
    )

    stats = platform.ingest().run(until_idle=True)

    assert stats.applied == len(good) + len(reports)
    assert sorted(stats.codes) == sorted({code for code, _ in bad})
    assert sum(stats.codes.values()) == len(bad)
    published = read_rejections(settings)
    assert sorted(r["code"] for r in published) == sorted(code for code, _ in bad)
    assert all("Traceback" not in r["message"] and r["message"] for r in published)
    recorded = [e for _, e in ledger.iter_events() if isinstance(e, Rejection.Recorded)]
    # Refused by the contract, yet BPA's signature verifies: filed under BPA.
    assert {(r.agency, r.claimed_agency) for r in recorded} == {("BPA", None)}

    result = run_review(settings, "2019-01-01")
    assert result.success
    review = recorded_review(store, Quarter(2019, 1))
    assert review is not None
    assert sorted(c.program_code for c in review.candidates) == ["P-BPA-01", "P-KIBO-01"]
