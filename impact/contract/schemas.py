"""JSON Schema files for every message of the contract, one file per message type."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, create_model

from impact.contract.events import ENVELOPE_FIELDS, HIDDEN_FIELDS, EventEnvelope, aggregate_type_of
from impact.contract.submissions import (
    AnswerPartnership,
    ChangeProgramStatus,
    CorrectOutcome,
    DeclareMetrics,
    JoinPartner,
    RegisterDocument,
    RegisterProgram,
    ReportOutcome,
    SignedSubmission,
)
from impact.domain.base import Aggregate
from impact.domain.consortium import Consortium
from impact.domain.evidence import EvidenceDocument
from impact.domain.plan import Plan
from impact.domain.program import Program
from impact.domain.proposal import Proposal
from impact.domain.review import PromotionReview
from impact.domain.submission import Rejection, Submission

SUBMISSION_MODELS = (
    RegisterProgram,
    DeclareMetrics,
    ReportOutcome,
    CorrectOutcome,
    JoinPartner,
    AnswerPartnership,
    ChangeProgramStatus,
    RegisterDocument,
)
AGGREGATES: tuple[type[Aggregate], ...] = (
    Consortium,
    Plan,
    Proposal,
    Program,
    EvidenceDocument,
    PromotionReview,
    Submission,
    Rejection,
)
BASE_EVENT_NAMES = frozenset({"Event", "Created", "Snapshot"})
SCHEMA_BASE = "https://busan-impact-ledger.example/schemas/"


def event_classes() -> Iterator[type[BaseModel]]:
    """Every event class of every aggregate, in a stable order."""
    for aggregate in AGGREGATES:
        for name in sorted(vars(aggregate)):
            member = vars(aggregate)[name]
            if (
                name not in BASE_EVENT_NAMES
                and isinstance(member, type)
                and issubclass(member, Aggregate.Event)
            ):
                yield member


def log_message_model(event_cls: type[BaseModel]) -> type[BaseModel]:
    """The envelope of one event type, with its payload spelled out."""
    skipped = set(ENVELOPE_FIELDS) | set(HIDDEN_FIELDS)
    payload_fields: dict[str, Any] = {
        name: (field.annotation, field)
        for name, field in event_cls.model_fields.items()
        if name not in skipped
    }
    name = event_cls.__qualname__.replace(".", "")
    payload = create_model(
        f"{name}Payload", __config__=ConfigDict(extra="forbid"), **payload_fields
    )
    # Literal types built at run time: the checker cannot see them, pydantic can.
    fields: dict[str, Any] = {
        "type": (Literal[event_cls.__qualname__], ...),
        "schema_version": (Literal[getattr(event_cls, "class_version", 1)], ...),
        "aggregate_type": (Literal[aggregate_type_of(event_cls)], ...),
        "payload": (payload, ...),
    }
    doc = (event_cls.__doc__ or f"{event_cls.__qualname__} on impact.events.").strip()
    model: type[BaseModel] = create_model(name, __base__=EventEnvelope, __doc__=doc, **fields)
    return model


def contract_schemas() -> dict[str, dict[str, Any]]:
    """File name → JSON Schema, for every message type of the contract."""
    schemas: dict[str, dict[str, Any]] = {}
    for event_cls in event_classes():
        file_name = f"events/{event_cls.__qualname__}.json"
        schema = log_message_model(event_cls).model_json_schema(mode="serialization")
        schema["$id"] = SCHEMA_BASE + file_name
        schemas[file_name] = schema
    # What agencies send: each kind of submission, and the signed message that carries one.
    for model in (*SUBMISSION_MODELS, SignedSubmission):
        file_name = f"submissions/{model.__name__}.json"
        schema = model.model_json_schema(mode="validation")
        schema["$id"] = SCHEMA_BASE + file_name
        schemas[file_name] = schema
    return schemas


def export(directory: Path) -> list[Path]:
    """Write every schema under ``directory``; remove files of types that no longer exist."""
    written: list[Path] = []
    schemas = contract_schemas()
    for file_name, schema in schemas.items():
        path = directory / file_name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n",
            encoding="utf-8",
        )
        written.append(path)
    for stale in directory.rglob("*.json"):
        if stale.relative_to(directory).as_posix() not in schemas:
            stale.unlink()
    return written
