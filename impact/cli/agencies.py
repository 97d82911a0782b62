"""``impact keys``, ``impact submit`` and ``impact ingest``: the agencies' side and the desk.

An agency signs what it sends with a key it alone holds; the desk (``ingest``) applies
each submission to the ledger or rejects it with its reason.
"""

from pathlib import Path
from typing import Annotated

import typer

from impact.application.commands import RegisterKey
from impact.bootstrap import bootstrap
from impact.cli import parse
from impact.cli.render import err, out
from impact.domain.consortium import AgencyKey
from impact.ingest.client import read_submissions
from impact.settings import Settings
from impact.signing import AgencyKeyPair, public_key_text

keys_app = typer.Typer(help="Agencies' Ed25519 signing keys.", no_args_is_help=True)


def keys_dir(settings: Settings) -> Path:
    return settings.state_dir / "keys"


def find_key(settings: Settings, agency: str, key_file: Path | None) -> AgencyKeyPair:
    if key_file is not None:
        return AgencyKeyPair.load(key_file)
    candidates = sorted(keys_dir(settings).glob(f"{agency}-*.pem"), key=lambda p: p.stat().st_mtime)
    if not candidates:
        raise typer.BadParameter(
            f"no key of {agency} in {keys_dir(settings)}; "
            f"run `impact keys generate --agency {agency}`",
            param_hint="'--agency'",
        )
    return AgencyKeyPair.load(candidates[-1])


@keys_app.command("generate")
def keys_generate(
    agency: Annotated[str, typer.Option(help="Agency code, e.g. KAMCO.")],
    register: Annotated[
        bool, typer.Option(help="Register the public key with the consortium.")
    ] = True,
) -> None:
    """Create an Ed25519 key pair for an agency (private key stays in the state folder)."""
    pair = AgencyKeyPair.generate(agency)
    with bootstrap() as platform:
        if register:
            now = parse.now()
            key = AgencyKey(
                agency=agency,
                key_id=pair.key_id,
                public_key=public_key_text(pair.public),
                valid_from=now,
            )
            platform.ledger.handle(
                RegisterKey(key=key, actor="consortium-secretariat", occurred_at=now)
            )
        path = pair.save(keys_dir(platform.settings))
    out.print(f"key {pair.key_id} of {agency}: {path}" + (" (registered)" if register else ""))
    out.print(f"public key: {public_key_text(pair.public)}")


def submit(
    files: Annotated[list[Path], typer.Argument(help="JSON or JSON Lines files of submissions.")],
    agency: Annotated[str, typer.Option(help="The sending agency.")],
    key_file: Annotated[
        Path | None,
        typer.Option("--key", help="Private key PEM (default: newest of the agency)."),
    ] = None,
) -> None:
    """Validate, sign and publish submissions to impact.submissions (all or none)."""
    submissions = [s for path in files for s in read_submissions(path)]
    with bootstrap() as platform:
        key = find_key(platform.settings, agency, key_file)
        sent = platform.agency_client(key).send(submissions)
        topic = platform.settings.submissions_topic
    for item in sent:
        out.print(f"sent {item.submission_id} → {topic}[{item.partition}]@{item.offset}")
    out.print(f"{len(sent)} submissions sent")


def ingest(
    until_idle: Annotated[bool, typer.Option("--until-idle", help="Stop when caught up.")] = False,
) -> None:
    """Apply submissions from impact.submissions; rejections go to impact.submissions.rejected."""
    from impact.kafka import keep_running

    def show(code: str, outcome: object) -> None:
        if code != "accepted":
            err.print(f"rejected ({code}): {getattr(outcome, 'message', '')}")

    with bootstrap() as platform:
        desk = platform.ingest()
        stats = keep_running(lambda: desk.run(until_idle=until_idle, on_message=show), "the ingest")
    codes = ", ".join(f"{k} {v}" for k, v in sorted(stats.codes.items()))
    out.print(
        f"ingest: {stats.applied} applied, {stats.rejected} rejected"
        + (f" ({codes})" if codes else "")
    )
