"""The evidence register: documents behind outcomes, checkable by anyone who holds a copy.

An agency (or the secretariat for it) registers a document by its sha256, size, media type
and title; an outcome's evidence names the document by that hash, and its address is an
``https`` URL or the register's own identifier ``docreg:<sha256>``. An auditor with a file
checks it against the register (``impact evidence check FILE``). Another member, or an
auditor, may attest a registered document: an attestation is an event, and the scoring
policy may count attested evidence more than registered evidence, and an outcome whose
document no one registered not at all.
"""

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import event
from pydantic import Field

from impact.domain.base import Aggregate, Model, natural_id
from impact.domain.values import Line
from impact.errors import AlreadyExistsError, SelfAttestationError

SHA256 = r"^[0-9a-f]{64}$"
AUDITOR = r"^auditor:[A-Za-z0-9._-]{1,48}$"
"""An attester who is not a member agency: ``auditor:`` and a reference of the audit firm."""


class Attestation(Model):
    attester: str
    note: str


class DocumentFacts(Model):
    sha256: str = Field(pattern=SHA256)
    size: int = Field(ge=0, le=10**12)
    media_type: Line = Field(min_length=1, max_length=128)
    title: Line = Field(min_length=1, max_length=300)


class EvidenceDocument(Aggregate):
    """One document of the register, named by its sha256."""

    kind = "evidence_document"

    class Registered(Aggregate.Created):
        sha256: str
        size: int
        media_type: str
        title: str
        owner: str

    class Attested(Aggregate.Event):
        """Another member, or an auditor, vouches that the document is what it says."""

        sha256: str
        attester: str
        note: str

    @staticmethod
    def create_id(sha256: str, **_: object) -> UUID:
        return natural_id("evidence", sha256)

    @event(Registered)
    def __init__(
        self,
        sha256: str,
        size: int,
        media_type: str,
        title: str,
        owner: str,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        self.sha256 = sha256
        self.size = size
        self.media_type = media_type
        self.title = title
        self.owner = owner
        self.registered_at = occurred_at
        self.attestations: list[Attestation] = []

    @classmethod
    def register(
        cls, facts: DocumentFacts, owner: str, occurred_at: datetime, actor: str
    ) -> "EvidenceDocument":
        return cls(
            sha256=facts.sha256,
            size=facts.size,
            media_type=facts.media_type,
            title=facts.title,
            owner=owner,
            occurred_at=occurred_at,
            actor=actor,
        )

    @property
    def uri(self) -> str:
        return f"docreg:{self.sha256}"

    @property
    def attested(self) -> bool:
        return bool(self.attestations)

    def attest(self, attester: str, note: str, occurred_at: datetime, actor: str) -> None:
        if attester == self.owner:
            raise SelfAttestationError(
                f"{attester} registered document {self.sha256[:12]}…; another member or an "
                f"auditor (auditor:<firm>) must attest it"
            )
        if any(a.attester == attester for a in self.attestations):
            raise AlreadyExistsError(f"{attester} already attested document {self.sha256[:12]}…")
        self._attested(
            sha256=self.sha256, attester=attester, note=note, occurred_at=occurred_at, actor=actor
        )

    @event(Attested)
    def _attested(
        self, sha256: str, attester: str, note: str, occurred_at: datetime, actor: str
    ) -> None:
        self.attestations.append(Attestation(attester=attester, note=note))
