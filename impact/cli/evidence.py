"""``impact evidence …``: the evidence register, for agencies, the secretariat and auditors.

``add FILE`` registers a document (sha256, size, media type, title) for the agency that
holds it and prints the address to cite, ``docreg:SHA256``; ``check FILE`` tells an
auditor whether a file is a registered document, and who attested it; ``attest`` records
that another member, or an auditor, vouches for a registered document.
"""

import hashlib
import mimetypes
from pathlib import Path
from typing import Annotated

import typer

from impact.cli import parse
from impact.cli.lazy import bootstrap
from impact.cli.lazy import commands as c
from impact.cli.render import out, print_json
from impact.domain.evidence import DocumentFacts, EvidenceDocument
from impact.errors import NotFoundError

evidence_app = typer.Typer(
    help="The evidence register: register a document, check a file, attest.",
    no_args_is_help=True,
)

FileArgument = Annotated[
    Path,
    typer.Argument(exists=True, dir_okay=False, readable=True, help="The document's file."),
]


def document_facts(path: Path, title: str | None = None) -> DocumentFacts:
    """A file's register facts: its sha256 and size read in chunks, its media type by name."""
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return DocumentFacts(
        sha256=digest.hexdigest(), size=size, media_type=media_type, title=title or path.name
    )


def _describe(document: EvidenceDocument) -> dict[str, object]:
    return {
        "uri": document.uri,
        "sha256": document.sha256,
        "size": document.size,
        "media_type": document.media_type,
        "title": document.title,
        "owner": document.owner,
        "registered_at": document.registered_at.isoformat(),
        "attested_by": [a.attester for a in document.attestations],
    }


@evidence_app.command("add")
def evidence_add(
    file: FileArgument,
    agency: Annotated[str, typer.Option(help="The agency that holds the document, e.g. BPA.")],
    title: Annotated[str | None, typer.Option(help="Title (default: the file name).")] = None,
    actor: Annotated[
        str | None, typer.Option(help="Who registers it (default: the agency).")
    ] = None,
    occurred_at: parse.OccurredAt = None,
) -> None:
    """Register a document: cite it in outcomes as docreg:SHA256 with the same sha256."""
    facts = document_facts(file, title)
    command = c.RegisterEvidence(
        document=facts,
        owner=agency,
        actor=actor or agency,
        occurred_at=occurred_at or parse.now(),
    )
    with bootstrap() as platform:
        platform.ledger.handle(command)
    out.print(f"registered {file.name} ({facts.size} bytes, {facts.media_type}) for {agency}")
    out.print(f"cite it as: uri docreg:{facts.sha256}  sha256 {facts.sha256}")


@evidence_app.command("check")
def evidence_check(
    file: FileArgument,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the register's entry as JSON.")
    ] = False,
) -> None:
    """Check a file against the register: exit 0 when it is a registered document, 1 when not."""
    facts = document_facts(file)
    with bootstrap() as platform:
        try:
            document = platform.ledger.evidence(facts.sha256)
        except NotFoundError:
            document = None
    if document is None:
        if as_json:
            print_json({"registered": False, "sha256": facts.sha256, "size": facts.size})
        else:
            out.print(
                f"{file.name} (sha256 {facts.sha256}) is not in the evidence register: "
                "no outcome may count it as registered evidence"
            )
        raise typer.Exit(1)
    entry = _describe(document)
    if as_json:
        print_json({"registered": True, **entry})
        return
    attested = ", ".join(a.attester for a in document.attestations)
    out.print(
        f"{file.name} is registered: {document.title!r} of {document.owner}, "
        f"{document.size} bytes, {document.media_type}, since {document.registered_at:%Y-%m-%d}"
    )
    out.print(f"attested by: {attested}" if attested else "not attested by anyone yet")


@evidence_app.command("attest")
def evidence_attest(
    sha256: Annotated[str, typer.Argument(help="The registered document's sha256.")],
    attester: Annotated[str, typer.Option("--by", help="Another member agency, or auditor:FIRM.")],
    note: Annotated[str, typer.Option(help="What was checked.")] = "",
    occurred_at: parse.OccurredAt = None,
) -> None:
    """Record that another member, or an auditor, vouches for a registered document."""
    command = c.AttestEvidence(
        sha256=sha256,
        attester=attester,
        note=note,
        actor=attester,
        occurred_at=occurred_at or parse.now(),
    )
    with bootstrap() as platform:
        platform.ledger.handle(command)
    out.print(f"document {sha256[:12]}… attested by {attester}")
