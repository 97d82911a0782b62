"""``impact keys``, ``impact submit`` and ``impact ingest``: the agencies' side and the desk."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from impact.application.commands import RegisterKey
from impact.bootstrap import build_ledger
from impact.domain.consortium import AgencyKey
from impact.settings import Settings
from impact.signing import AgencyKeyPair, public_key_text

keys_app = typer.Typer(help="Agencies' Ed25519 signing keys.", no_args_is_help=True)
out = Console()
err = Console(stderr=True)


def keys_dir(settings: Settings) -> Path:
    return settings.state_dir / "keys"


def find_key(settings: Settings, agency: str, key_file: Path | None) -> AgencyKeyPair:
    if key_file is not None:
        return AgencyKeyPair.load(key_file)
    candidates = sorted(keys_dir(settings).glob(f"{agency}-*.pem"), key=lambda p: p.stat().st_mtime)
    if not candidates:
        raise typer.BadParameter(
            f"no key of {agency} in {keys_dir(settings)}; run `impact keys generate --agency {agency}`"
        )
    return AgencyKeyPair.load(candidates[-1])


@keys_app.command("generate")
def keys_generate(
    agency: Annotated[str, typer.Option(help="Agency code, e.g. KAMCO.")],
    register: Annotated[bool, typer.Option(help="Register the public key with the consortium.")] = True,
) -> None:
    """Create an Ed25519 key pair for an agency (private key stays in the state folder)."""
    settings = Settings()
    pair = AgencyKeyPair.generate(agency)
    if register:
        now = datetime.now(tz=UTC)
        build_ledger(settings).handle(RegisterKey(
            key=AgencyKey(agency=agency, key_id=pair.key_id, public_key=public_key_text(pair.public),
                          valid_from=now),
            actor="consortium-secretariat", occurred_at=now,
        ))
    path = pair.save(keys_dir(settings))
    out.print(f"key {pair.key_id} of {agency}: {path}" + (" (registered)" if register else ""))
    out.print(f"public key: {public_key_text(pair.public)}")


def submit(
    files: Annotated[list[Path], typer.Argument(help="JSON or JSON Lines files of submissions.")],
    agency: Annotated[str, typer.Option(help="The sending agency.")],
    key_file: Annotated[Path | None, typer.Option("--key", help="Private key PEM (default: newest of the agency).")] = None,
) -> None:
    """Validate, sign and publish submissions to impact.submissions (all or none)."""
    from impact.ingest.client import AgencyClient, read_submissions

    settings = Settings()
    submissions = [s for path in files for s in read_submissions(path)]
    sent = AgencyClient(settings, find_key(settings, agency, key_file)).send(submissions)
    for item in sent:
        out.print(f"sent {item.submission_id} → {settings.submissions_topic}[{item.partition}]@{item.offset}")
    out.print(f"{len(sent)} submissions sent")


def ingest(
    until_idle: Annotated[bool, typer.Option("--until-idle", help="Stop when caught up.")] = False,
) -> None:
    """Apply submissions from impact.submissions; rejections go to impact.submissions.rejected."""
    from impact.ingest.ingest import Ingest
    from impact.kafka import keep_running

    settings = Settings()

    def show(code: str, outcome: object) -> None:
        if code != "accepted":
            err.print(f"rejected ({code}): {getattr(outcome, 'message', '')}")

    desk = Ingest(build_ledger(settings), settings)
    stats = keep_running(lambda: desk.run(until_idle=until_idle, on_message=show), "the ingest")
    out.print(
        f"ingest: {stats.applied} applied, {stats.rejected} rejected"
        + (f" ({', '.join(f'{k} {v}' for k, v in sorted(stats.codes.items()))})" if stats.codes else "")
    )
