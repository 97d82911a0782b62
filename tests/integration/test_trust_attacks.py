"""The five ways an agency inflated its own programme's score, sent as signed submissions:
each is refused by the desk, or accepted and not counted under scoring policy v2, and the
programme's score does not move."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from impact.domain.quarter import Quarter
from impact.domain.scoring import POLICY_V1, POLICY_V2, score_quarter
from impact.ingest.desk import Source, SubmissionDesk
from impact.orchestration.run import run_load
from impact.projections.scoring import quarter_inputs, review_quarter
from tests import commands as cmd
from tests.submissions import registered_key, registration, report, signed

pytestmark = pytest.mark.integration

Q1 = Quarter(2019, 1)
ARRIVAL = datetime(2026, 5, 1, tzinfo=UTC)


def send(ledger, desk, message, offset):
    uow = ledger.unit_of_work(from_submissions=True)
    verdict = desk.process(message, Source("impact.submissions", 0, offset, ARRIVAL), uow)
    uow.commit()
    return verdict


def attacks(bpa):
    """The five, as the issue found them accepted and counted."""
    sent_at = "2026-04-30T09:00:00+00:00"
    partner = {"schema_version": 1, "kind": "program.partner", "agency": "BPA",
               "submitted_at": "2019-02-01T09:00:00+00:00", "program_code": "P-BPA-01"}  # fmt: skip
    return [
        (
            "reach inflated with a metric it never committed to",
            signed(
                bpa,
                report("BPA", "P-BPA-01", "2019Q1", "10000000", sid="attack-reach")
                | {"metric": "vulnerable_beneficiaries", "report_id": "attack-reach"},
            ),
        ),
        *(
            (
                "invented civic partner",
                signed(
                    bpa,
                    partner
                    | {
                        "submission_id": f"attack-civic-{n}",
                        "partner": {"kind": "civic", "name": f"Fake civic group {n}"},
                    },
                ),
            )
            for n in range(6)
        ),
        (
            "another agency named a partner without being asked",
            signed(
                bpa,
                partner
                | {
                    "submission_id": "attack-kamco",
                    "partner": {"kind": "agency", "name": "KAMCO", "code": "KAMCO"},
                },
            ),
        ),
        (
            "an outcome for a quarter years ahead",
            signed(
                bpa,
                report("BPA", "P-BPA-01", "2030Q4", "5000", sid="attack-future")
                | {"report_id": "attack-future", "submitted_at": sent_at},
            ),
        ),
        (
            "evidence that runs a script",
            signed(
                bpa,
                report("BPA", "P-BPA-01", "2019Q2", "900", sid="attack-uri")
                | {
                    "report_id": "attack-uri",
                    "evidence": {"uri": "javascript:alert(document.domain)", "sha256": "0" * 64},
                },
            ),
        ),
    ]


def test_each_attack_is_refused_or_not_counted_and_the_score_does_not_move(ledger, settings, store):
    bpa = registered_key(ledger, "BPA")
    ksd = registered_key(ledger, "KSD")
    ledger.handle(cmd.baseline_policy())
    ledger.handle(cmd.adopt_policy(POLICY_V2, "2019Q1"))
    desk = SubmissionDesk()
    plastic = [{"metric": "plastic_collected_kg", "quarter": "2019Q1", "value": "1000"}]
    honest = [
        signed(
            bpa, registration("BPA", "P-BPA-01", task_code="S4-T2", targets=plastic, ends_on=None)
        ),
        signed(ksd, registration("KSD", "P-KSD-01", task_code="S4-T2", targets=plastic)),
        signed(
            bpa,
            report("BPA", "P-BPA-01", "2019Q1", "1200")
            | {"metric": "plastic_collected_kg", "report_id": "bpa-q1"},
        ),
        signed(
            ksd,
            report("KSD", "P-KSD-01", "2019Q1", "900")
            | {"metric": "plastic_collected_kg", "report_id": "ksd-q1"},
        ),
    ]
    for offset, message in enumerate(honest):
        verdict = send(ledger, desk, message, offset)
        assert not verdict.rejected, verdict.message
    run_load(settings)
    before = review_quarter(store, Q1)
    assert before.policy.version == 2

    verdicts = {}
    for offset, (attack, message) in enumerate(attacks(bpa), start=len(honest)):
        verdict = send(ledger, desk, message, offset)
        verdicts.setdefault(attack, []).append(verdict.code)
    assert verdicts == {
        "reach inflated with a metric it never committed to": ["metric_not_declared"],
        "invented civic partner": ["accepted"] * 6,  # named, never counted: no identifier
        "another agency named a partner without being asked": ["accepted"],  # until KAMCO accepts
        "an outcome for a quarter years ahead": ["quarter_not_ended"],
        "evidence that runs a script": ["evidence_uri_scheme"],
    }
    run_load(settings)
    after = review_quarter(store, Q1)
    score = {c.program_code: c for c in after.candidates}
    unmoved = {c.program_code: c for c in before.candidates}
    assert score["P-BPA-01"].score == unmoved["P-BPA-01"].score
    assert score["P-BPA-01"].components == unmoved["P-BPA-01"].components

    # Under v1's rules the same log would have counted the partners named without consent.
    raw = quarter_inputs(store, Q1, after.as_of)
    v1 = {c.program_code: c for c in score_quarter(raw.for_policy(POLICY_V1), POLICY_V1)}
    assert v1["P-BPA-01"].components["breadth"] == Decimal("1.0000")
    assert score["P-BPA-01"].components["breadth"] == Decimal("0.0000")

    # Once KAMCO accepts, with its own signed answer, it counts.
    kamco = registered_key(ledger, "KAMCO")
    answer = {"schema_version": 1, "kind": "program.partner.answer", "agency": "KAMCO",
              "submission_id": "kamco-accepts", "submitted_at": "2019-02-02T09:00:00+00:00",
              "program_code": "P-BPA-01", "accept": True}  # fmt: skip
    assert not send(ledger, desk, signed(kamco, answer), 99).rejected
    run_load(settings)
    accepted = {c.program_code: c for c in review_quarter(store, Q1).candidates}
    assert accepted["P-BPA-01"].components["breadth"] > Decimal(0)
