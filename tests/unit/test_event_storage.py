"""Stored events read back as they were written, and old versions are upcast."""

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

import orjson
from eventsourcing.persistence import StoredEvent

from impact.contract import EventEnvelope, envelope_for
from impact.domain.base import event_id
from impact.domain.program import Program, Target
from impact.domain.review import PromotionReview
from impact.eventstore import OrjsonTranscoder, PydanticMapper
from tests import commands as cmd


def registered(ledger):
    ledger.handle(
        cmd.register_program(
            "P-BPA-01",
            "BPA",
            "S4-T2",
            "플라스틱 ZERO 🐢",
            "Plastic ZERO",
            5,
            date(2019, 1, 1),
            targets=(
                Target(metric="plastic_collected_kg", quarter="2019Q1", value=Decimal("0.1")),
            ),
            occurred_at=datetime(2018, 12, 1, tzinfo=UTC),
        )
    )


def test_every_stored_event_reads_back_equal_with_decimals_and_hangul_intact(ledger):
    registered(ledger)
    ledger.handle(
        cmd.report_outcome(
            "P-BPA-01", "BPA", "r1", "plastic_collected_kg", "2019Q1", Decimal("12.345")
        )
    )
    program = ledger.program("P-BPA-01")
    assert program.title_ko == "플라스틱 ZERO 🐢"
    assert program.targets[0].value == Decimal("0.1")
    assert program.current_value("plastic_collected_kg", "2019Q1") == Decimal("12.345")


def test_a_stored_v1_outcome_without_a_unit_reads_as_v2_with_the_catalogue_unit():
    mapper = PydanticMapper(transcoder=OrjsonTranscoder())
    v1_state = {
        "timestamp": "2019-04-01T00:00:00+00:00",
        "occurred_at": "2019-04-01T00:00:00+00:00",
        "actor": "BPA",
        "report_id": "r1",
        "metric": "plastic_collected_kg",
        "quarter": "2019Q1",
        "value": "10",
        "evidence": None,
        "submission_id": None,
    }
    stored = StoredEvent(
        originator_id=uuid4(),
        originator_version=2,
        topic="impact.domain.program:Program.OutcomeReported",
        state=orjson.dumps(v1_state),
    )
    event = mapper.to_domain_event(stored)
    assert isinstance(event, Program.OutcomeReported)
    assert event.unit == "kg"
    assert mapper.to_stored_event(event).state.find(b'"class_version":2') > 0


def test_the_envelope_on_the_log_carries_a_deterministic_id_and_both_clocks(ledger):
    registered(ledger)
    notification = ledger.notifications(1, 100)[-1]
    event = ledger.mapper.to_domain_event(notification)
    envelope = envelope_for(notification.id, event)
    assert envelope.type == "Program.Registered"
    assert envelope.aggregate_type == "program"
    assert envelope.event_id == event_id(envelope.aggregate_id, 1)
    assert envelope.occurred_at == datetime(2018, 12, 1, tzinfo=UTC)
    assert envelope.recorded_at > envelope.occurred_at
    assert "originator_topic" not in envelope.payload
    assert EventEnvelope.from_bytes(envelope.to_bytes()) == envelope


def test_a_stored_v1_review_score_reads_as_v2_without_a_chain_position():
    state = {"candidates": [], "inputs_digest": "0" * 64, "policy_version": 1}
    PromotionReview.CandidatesScored.upcast_v1_v2(state)
    assert state["chain_position"] is None and state["chain_hash"] is None
