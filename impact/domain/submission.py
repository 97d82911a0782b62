"""What the submissions desk did with each message agencies sent.

An accepted submission is remembered under its sender's ``submission_id`` with a
digest of its content, so the same submission sent again changes nothing, and a
different one reusing the id is refused. It keeps the signed bytes themselves too
(``signed_content``), so an auditor can check the agency's signature and that the
events it caused say what the agency signed. A rejected message is remembered under
its place in the submissions topic, with the reason and the original bytes: a
rejection is a fact of the ledger, published like every other, never a silent drop.
"""

from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import event
from pydantic import Field

from impact.domain.base import Aggregate, natural_id


class Submission(Aggregate):
    kind = "submission"

    class Accepted(Aggregate.Created):
        class_version: ClassVar[int] = 2
        submission_id: str
        agency: str
        submission_kind: str
        digest: str = Field(
            pattern=r"^[0-9a-f]{64}$", description="sha256 of the signed canonical bytes."
        )
        key_id: str
        signature: str = Field(description="Ed25519 signature, base64, over the canonical bytes.")
        source: str = Field(description="topic:partition:offset it was read from.")
        signed_content: str | None = Field(
            description="The RFC 8785 canonical JSON of the submission that was signed (UTF-8 "
            "text of the signed bytes); None for submissions accepted before v2."
        )

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """v1 kept only the digest of what was signed."""
            state["signed_content"] = None

    @staticmethod
    def create_id(agency: str, submission_id: str, **_: object) -> UUID:
        return natural_id("submission", f"{agency}:{submission_id}")

    @event(Accepted)
    def __init__(
        self,
        submission_id: str,
        agency: str,
        submission_kind: str,
        digest: str,
        key_id: str,
        signature: str,
        source: str,
        occurred_at: datetime,
        actor: str,
        signed_content: str | None = None,
    ) -> None:
        self.submission_id = submission_id
        self.agency = agency
        self.digest = digest
        self.accepted_at = occurred_at


class Rejection(Aggregate):
    kind = "rejection"

    class Recorded(Aggregate.Created):
        source_topic: str
        source_partition: int
        source_offset: int
        code: str
        message: str
        submission_id: str | None
        agency: str | None
        original: str = Field(description="The message's bytes, base64.")
        original_size: int

    @staticmethod
    def create_id(
        source_topic: str, source_partition: int, source_offset: int, **_: object
    ) -> UUID:
        return natural_id("rejection", f"{source_topic}:{source_partition}:{source_offset}")

    @event(Recorded)
    def __init__(
        self,
        source_topic: str,
        source_partition: int,
        source_offset: int,
        code: str,
        message: str,
        submission_id: str | None,
        agency: str | None,
        original: str,
        original_size: int,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        self.code = code
        self.message = message
