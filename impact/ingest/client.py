"""The agency client: validate a submission against the contract, sign it, publish it."""

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from impact.canonical_json import canonical
from impact.contract.submissions import MAX_SUBMISSION_BYTES, submission_adapter
from impact.errors import SubmissionError
from impact.kafka import (
    SUBMISSIONS_MAX_BYTES,
    close_producer,
    ensure_topics,
    kafka_errors,
    producer,
)
from impact.settings import KafkaConnection, Topics
from impact.signing import AgencyKeyPair


@dataclass(frozen=True)
class Sent:
    submission_id: str
    partition: int
    offset: int


def read_submissions(path: Path) -> Iterator[dict[str, Any]]:
    """Submissions from a JSON file (one object or an array) or a JSON Lines file."""
    text = path.read_text(encoding="utf-8")
    stripped = text.lstrip()
    if path.suffix == ".jsonl" or (stripped.startswith("{") and "\n{" in stripped.rstrip()):
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise SubmissionError(f"{path}:{number}: not JSON: {exc}") from None
        return
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SubmissionError(f"{path}: not JSON: {exc}") from None
    yield from (document if isinstance(document, list) else [document])


def sign_submission(key: AgencyKeyPair, submission: dict[str, Any]) -> bytes:
    """Validate, then sign: the signed message bytes, ready for the topic."""
    try:
        parsed = submission_adapter.validate_python(submission)
    except ValidationError as exc:
        where = submission.get("submission_id", "?") if isinstance(submission, dict) else "?"
        details = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5]
        )
        raise SubmissionError(f"submission {where}: {details}") from None
    if parsed.agency != key.agency:
        raise SubmissionError(
            f"submission {parsed.submission_id} is from {parsed.agency}, but the key is {key.agency}'s"
        )
    message = orjson.dumps(
        {
            "submission": submission,
            "signature": {
                "algorithm": "ed25519",
                "key_id": key.key_id,
                "value": key.sign(canonical(submission)),
            },
        }
    )
    if len(message) > MAX_SUBMISSION_BYTES:
        raise SubmissionError(
            f"submission {parsed.submission_id} is {len(message)} bytes; the limit is {MAX_SUBMISSION_BYTES}"
        )
    return message


def routing_key(submission: dict[str, Any]) -> bytes:
    return str(submission.get("program_code") or submission.get("submission_id")).encode()


class AgencyClient:
    def __init__(self, kafka: KafkaConnection, topics: Topics, key: AgencyKeyPair) -> None:
        self.kafka = kafka
        self.topics = topics
        self.key = key

    def send(self, submissions: Iterable[dict[str, Any]]) -> list[Sent]:
        """Validate and sign all of them first; send only if every one is valid."""
        prepared = [
            (str(s.get("submission_id")), routing_key(s), sign_submission(self.key, s))
            for s in submissions
        ]
        return self.send_raw(prepared)

    def send_raw(self, messages: Iterable[tuple[str, bytes, bytes]]) -> list[Sent]:
        """Publish (label, key, value) triples as they are; for tests and tools."""
        ensure_topics(self.kafka, self.topics)
        topic = self.topics.submissions
        what = f"publishing to {topic}"
        with kafka_errors(what):
            sender = producer(self.kafka, what, max_request_size=SUBMISSIONS_MAX_BYTES)
            try:
                futures = [
                    (label, sender.send(topic, key=key, value=value))
                    for label, key, value in messages
                ]
                sender.flush()
                sent = []
                for label, future in futures:
                    metadata = future.get(timeout=30)
                    sent.append(Sent(label, metadata.partition, metadata.offset))
                return sent
            finally:
                close_producer(sender)
