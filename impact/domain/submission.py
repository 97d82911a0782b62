"""What the submissions desk did with each message agencies sent.

An accepted submission is remembered under its sender's ``submission_id`` with a
digest of its content, so the same submission sent again changes nothing, and a
different one reusing the id is refused. It keeps the signed bytes themselves too
(``signed_content``), so an auditor can check the agency's signature and that the
events it caused say what the agency signed. A rejected message is remembered under
its place in the submissions topic, with the reason: a rejection is a fact of the
ledger, published like every other, never a silent drop.

A rejection costs little more than a line, whatever the message held: it keeps the
first ``ORIGINAL_PREFIX_BYTES`` of the original with the original's size and sha256,
enough to find and recognise it. It is filed under an agency (``agency``) only when
that agency's signature verified; otherwise the name the message claims is kept apart
(``claimed_agency``), since anyone can write any name.
"""

import base64
import hashlib
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import event
from pydantic import Field

from impact.domain.base import Aggregate, natural_id

ORIGINAL_PREFIX_BYTES = 4096


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
        class_version: ClassVar[int] = 2
        source_topic: str
        source_partition: int
        source_offset: int
        code: str
        message: str
        submission_id: str | None
        agency: str | None = Field(
            description="The agency whose verified signature the message carried, else None."
        )
        claimed_agency: str | None = Field(
            description="The agency an unverified message names; not authenticated."
        )
        original: str = Field(
            description=f"The first {ORIGINAL_PREFIX_BYTES} bytes of the message, base64 "
            "(the whole message before v2)."
        )
        original_size: int
        original_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """v1 kept the whole message, under the agency it named, verified or not."""
            whole = base64.b64decode(state["original"])
            state["original_sha256"] = hashlib.sha256(whole).hexdigest()
            state["claimed_agency"] = None

    @classmethod
    def of_message(cls, original: bytes, **fields: Any) -> "Rejection":
        """The rejection of a message: its prefix, size and digest, never all of it."""
        return cls(
            original=base64.b64encode(original[:ORIGINAL_PREFIX_BYTES]).decode(),
            original_size=len(original),
            original_sha256=hashlib.sha256(original).hexdigest(),
            **fields,
        )

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
        original_sha256: str,
        claimed_agency: str | None = None,
    ) -> None:
        self.code = code
        self.message = message
