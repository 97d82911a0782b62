"""The JSON Schema files in the repository are the contract the code speaks."""

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import jsonschema

from impact.contract import envelope_for
from impact.contract.schemas import contract_schemas, export
from impact.domain.program import Target
from tests import commands as cmd

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


def test_the_schema_files_in_the_repository_are_up_to_date(tmp_path):
    export(tmp_path)
    fresh = {p.relative_to(tmp_path).as_posix(): p.read_text() for p in tmp_path.rglob("*.json")}
    kept = {p.relative_to(SCHEMAS).as_posix(): p.read_text() for p in SCHEMAS.rglob("*.json")}
    assert kept == fresh, "run `impact schema export schemas` and commit the result"


def test_every_event_the_ledger_stores_validates_against_its_schema(ledger):
    ledger.handle(cmd.submit_proposal("C-1", "제안", "본문 🐢", "environment"))
    ledger.handle(cmd.start_proposal_review("C-1", ("e1",), actor="desk"))
    ledger.handle(cmd.record_proposal_review("C-1", {"impact": Decimal(70)}, (), actor="desk"))
    ledger.handle(cmd.adopt_proposal("C-1", "S4-T2", actor="desk"))
    ledger.handle(
        cmd.register_program(
            "P-BPA-01",
            "BPA",
            "S4-T2",
            "캠페인",
            "Campaign",
            10,
            date(2019, 1, 1),
            targets=(Target(metric="plastic_collected_kg", quarter="2019Q1", value=Decimal(5)),),
            origin_proposals=("C-1",),
        )
    )
    ledger.handle(
        cmd.report_outcome(
            "P-BPA-01", "BPA", "r1", "plastic_collected_kg", "2019Q1", Decimal("1.5")
        )
    )
    ledger.handle(cmd.correct_outcome("P-BPA-01", "BPA", "r2", "r1", Decimal(2), "recount"))
    schemas = contract_schemas()
    seen = set()
    for notification, event in ledger.iter_events():
        message = json.loads(envelope_for(notification.id, event).to_bytes())
        jsonschema.validate(message, schemas[f"events/{message['type']}.json"])
        seen.add(message["type"])
    assert {"Program.OutcomeCorrected", "Proposal.Adopted", "Consortium.Founded"} <= seen


def test_a_message_with_a_wrong_field_fails_its_schema():
    schema = contract_schemas()["events/Program.OutcomeReported.json"]
    validator = jsonschema.Draft202012Validator(schema)
    errors = list(
        validator.iter_errors({"type": "Program.OutcomeReported", "payload": {"metric": 3}})
    )
    assert errors
