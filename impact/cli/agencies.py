"""``impact keys``, ``impact submit`` and ``impact ingest``: the agencies' side and the desk.

An agency signs what it sends with a key it alone holds; the desk (``ingest``) applies
each submission to the ledger or rejects it with its reason.
"""

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from impact.cli import parse
from impact.cli.lazy import bootstrap
from impact.cli.render import err, out
from impact.errors import AlreadyExistsError, NotFoundError, SigningError

keys_app = typer.Typer(
    help="Agencies' Ed25519 signing keys: an agency generates its own; staff register, "
    "revoke and list the public halves.",
    no_args_is_help=True,
)

SECRETARIAT = "consortium-secretariat"
Agency = Annotated[str, typer.Option(help="Agency code, e.g. KAMCO.")]
Actor = Annotated[str, typer.Option(help="Who records it, as the log names them.")]
AgencyDir = Annotated[
    Path | None,
    typer.Option(
        "--dir",
        help="The agency's own folder (default: <IMPACT_AGENCIES_DIR>/<AGENCY>); never inside "
        "the platform's state folder.",
        show_default=False,
    ),
]
Time = Annotated[
    datetime | None,
    typer.Option(
        parser=parse.time, metavar="TIME", help="ISO 8601 (default: now).", show_default=False
    ),
]


@keys_app.command("generate")
def keys_generate(agency: Agency, directory: AgencyDir = None) -> None:
    """On the agency's machine: create an Ed25519 key pair in the agency's own folder.

    The private key stays there (0600); hand the .pub file to the secretariat, who registers
    it with `impact keys register`. Nothing is sent or registered by this command."""
    from impact.agency_keys import AgencyFolder, check_agency_code
    from impact.signing import fingerprint

    settings = bootstrap().settings  # the folder alone: no service of the platform is built
    made = AgencyFolder.of(settings, check_agency_code(agency), directory).generate()
    for line in (
        f"key id       {made.pair.key_id}",
        f"fingerprint  {fingerprint(made.pair.public)}",
        f"public key   {made.public_path}",
        f"private key  {made.private_path} (keep it here; it never leaves the agency)",
    ):
        out.print(line, soft_wrap=True)  # paths whole, to be copied
    err.print(
        f"next: give {made.public_path.name} to the secretariat, who runs "
        f"`impact keys register --agency {agency} --public-key {made.public_path.name}`"
    )


@keys_app.command("register")
def keys_register(
    agency: Agency,
    public_key: Annotated[
        Path,
        typer.Option(
            "--public-key",
            help="The agency's public key: the .pub file (PEM) `impact keys generate` wrote, "
            "or one line of base64 of the 32 raw bytes.",
        ),
    ],
    valid_from: Time = None,
    actor: Actor = SECRETARIAT,
) -> None:
    """Staff: register an agency's public key; submissions signed with it are accepted from
    --valid-from on. Registering the same key again changes nothing."""
    from impact.agency_keys import check_agency_code
    from impact.application.commands import RegisterKey
    from impact.signing import fingerprint, key_id_of, load_public_key

    check_agency_code(agency)
    public = load_public_key(public_key, f"the public key of {agency}")
    key_id, print_ = key_id_of(public), fingerprint(public)
    now = parse.now()
    with bootstrap() as platform:
        known = platform.ledger.consortium().keys.get((agency, key_id))
        if known is not None:
            if _public_of(known.public_key) != print_:
                raise AlreadyExistsError(
                    f"{agency} already has another key with id {key_id}; generate a new key"
                )
            out.print(
                f"key {key_id} of {agency} is already registered ({print_}), "
                f"valid from {known.valid_from.isoformat()}"
                + (f", revoked at {known.revoked_at.isoformat()}" if known.revoked_at else "")
            )
            return
        command = RegisterKey.of_public_key(
            agency, public, valid_from=valid_from or now, actor=actor, occurred_at=now
        )
        platform.ledger.handle(command)
    out.print(
        f"registered key {key_id} of {agency} ({print_}), "
        f"valid from {command.key.valid_from.isoformat()}"
    )


@keys_app.command("revoke")
def keys_revoke(
    agency: Agency,
    key_id: Annotated[str, typer.Option("--key-id", help="The key's id (`impact keys list`).")],
    revoked_at: Time = None,
    actor: Actor = SECRETARIAT,
) -> None:
    """Staff: revoke an agency's key; from --revoked-at on, nothing signed with it is accepted
    (and `audit verify` flags anything accepted after it)."""
    from impact.agency_keys import check_agency_code
    from impact.application.commands import RevokeKey

    check_agency_code(agency)
    now = parse.now()
    with bootstrap() as platform:
        command = RevokeKey(
            agency=agency, key_id=key_id, revoked_at=revoked_at or now, actor=actor, occurred_at=now
        )
        platform.ledger.handle(command)
    out.print(f"revoked key {key_id} of {agency} at {command.revoked_at.isoformat()}")


@keys_app.command("list")
def keys_list(
    agency: Annotated[str | None, typer.Option(help="Only this agency's keys.")] = None,
) -> None:
    """Staff: the registered keys, with when each is valid."""
    from impact.agency_keys import left_in_state

    now = parse.now()
    with bootstrap() as platform:
        try:
            keys = platform.ledger.consortium().keys
        except NotFoundError:
            keys = {}
        stray = left_in_state(platform.settings)
    if stray:
        err.print(
            f"warning: {len(stray)} agency private key(s) in {stray[0].parent}, written by an "
            "earlier version: move each to its agency (`--dir` of `impact submit`) and delete "
            "them here; the platform must not hold an agency's key"
        )
    table = Table("agency", "key id", "fingerprint", "valid from", "revoked at / valid")
    shown = 0
    for (code, key_id), key in sorted(keys.items(), key=lambda i: (i[0][0], i[1].valid_from)):
        if agency is not None and code != agency:
            continue
        if key.revoked_at is not None:
            state = key.revoked_at.isoformat() + (" (revoked)" if key.revoked_at <= now else "")
        else:
            state = "valid" if key.valid_from <= now else "not yet valid"
        table.add_row(code, key_id, _public_of(key.public_key), key.valid_from.isoformat(), state)
        shown += 1
    if not shown:
        out.print(f"no key of {agency} is registered" if agency else "no key is registered")
        return
    out.print(table)


def _public_of(public_key: str) -> str:
    from impact.signing import fingerprint, public_key_from_text

    try:
        return fingerprint(public_key_from_text(public_key))
    except SigningError:
        return "(not an Ed25519 key)"


def submit(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="JSON or JSON Lines files of submissions.", exists=True, dir_okay=False
        ),
    ],
    agency: Annotated[str, typer.Option(help="The sending agency.")],
    key_file: Annotated[
        Path | None,
        typer.Option(
            "--key", help="Private key PEM (default: the newest in the agency's own folder)."
        ),
    ] = None,
    directory: AgencyDir = None,
    wait: Annotated[
        bool,
        typer.Option("--wait", help="Wait for the desk's verdict on each and print it."),
    ] = False,
    wait_seconds: Annotated[
        float, typer.Option("--wait-seconds", help="How long --wait waits at most.")
    ] = 120.0,
) -> None:
    """Validate, sign and publish submissions to the submissions topic,
    IMPACT_SUBMISSIONS_TOPIC (impact.submissions by default); all of them or none.

    Reads JSON, JSON Lines, or a workbook (.xlsx) or .csv made from `impact template`."""
    from impact.agency_keys import find_key
    from impact.agency_sheets import read_any
    from impact.cli.people import wait_and_print

    with bootstrap() as platform:
        key = find_key(platform.settings, agency, key_file, directory)
        submissions = [s for path in files for s in read_any(path, agency)]
        sent = platform.agency_client(key).send(submissions)
        topic = platform.settings.submissions_topic
        for item in sent:
            out.print(f"sent {item.submission_id} → {topic}[{item.partition}]@{item.offset}")
        out.print(f"{len(sent)} submissions sent")
        if wait:
            wait_and_print(platform, agency, sent, wait_seconds)


def ingest(
    until_idle: Annotated[
        bool,
        typer.Option(
            "--until-idle",
            help="Stop when caught up; give up with exit 2 when Kafka cannot be reached.",
        ),
    ] = False,
) -> None:
    """Apply submissions from the submissions topic, IMPACT_SUBMISSIONS_TOPIC
    (impact.submissions by default), to the ledger; each rejection, with its reason, goes to
    IMPACT_REJECTIONS_TOPIC (impact.submissions.rejected). Without --until-idle it keeps
    running."""
    from impact.cli.operators import keep_publishing

    def show(code: str, outcome: object) -> None:
        if code != "accepted":
            err.print(f"rejected ({code}): {getattr(outcome, 'message', '')}")

    with bootstrap() as platform:
        desk = platform.ingest()
        stats = keep_publishing(
            lambda: desk.run(until_idle=until_idle, on_message=show),
            "the ingest",
            platform.settings,
            until_idle,
            progress=lambda: (desk.stats.applied, desk.stats.rejected, desk.stats.skipped),
        )
    codes = ", ".join(f"{k} {v}" for k, v in sorted(stats.codes.items()))
    out.print(
        f"ingest: {stats.applied} applied, {stats.rejected} rejected"
        + (f" ({codes})" if codes else "")
        + (f"; {stats.skipped} already decided by another ingest" if stats.skipped else "")
    )
