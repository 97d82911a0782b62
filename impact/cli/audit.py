"""``impact audit`` and ``impact privacy``: what auditors and the data-protection officer run.

Auditors hold the log and the platform's public key: they verify it end to end, replay it
as known at any time, reproduce a past review to the byte and trace a proposal or
programme. The data-protection officer erases a citizen's personal data without
rewriting anything.
"""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from impact.cli import parse
from impact.cli.lazy import bootstrap
from impact.cli.render import mark, out, print_json, progress
from impact.domain.quarter import Quarter
from impact.errors import NotFoundError

if TYPE_CHECKING:
    from impact.settings import Settings

audit_app = typer.Typer(
    help="Auditors: verify the log end to end, replay it as of any time, reproduce past "
    "reviews, trace a proposal or programme.",
    no_args_is_help=True,
)
privacy_app = typer.Typer(
    help="Citizens' personal data: where it is sealed, and erasing it.", no_args_is_help=True
)

AsOf = Annotated[
    datetime | None,
    typer.Option(
        "--as-of",
        parser=parse.time,
        metavar="TIME",
        help="Recorded time, ISO 8601 (UTC unless it says otherwise); default: now.",
        show_default=False,
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


# -- verify -------------------------------------------------------------------------


def trusted_keys(settings: "Settings", trust: list[str]) -> dict[str, str]:
    """Key id → public key of every platform key to trust: those given, else this platform's own."""
    from impact.contract.chain import public_path, trusted_key

    if trust:
        return dict(trusted_key(t) for t in trust)
    for candidate in (public_path(settings.platform_key_path), settings.platform_key_path):
        if candidate.is_file():
            return dict([trusted_key(str(candidate))])
    return {}


@audit_app.command("verify")
def verify_command(
    trust: Annotated[
        list[str],
        typer.Option(
            "--trust",
            help="A platform public key to trust (base64, or a .pub/.pem file; repeat). "
            "Default: this platform's own key.",
        ),
    ] = [],  # noqa: B006
    as_json: AsJson = False,
) -> None:
    """Check the event store, the events topic (IMPACT_EVENTS_TOPIC) and its signed
    checkpoints end to end.

    Exits 1 and names each failure's place (event store row, Kafka partition and offset,
    field) when anything is missing, doubled, out of order, altered or wrongly signed.
    """
    from impact.audit.verify import verify

    with bootstrap() as platform:
        settings = platform.settings
        report = verify(
            settings.kafka_for("auditor"),
            settings.topics,
            platform.ledger,
            trusted_keys(settings, trust),
            platform.sealer,
            progress=lambda s: progress(f"{s}…"),
        )
    if as_json:
        print_json(report.as_json())
    else:
        out.print(
            f"verified {report.stored} stored events against {report.published} records "
            f"of {report.events_topic} and {report.checkpoints} checkpoints"
        )
        for check in report.checks:
            out.print(
                Text.assemble(
                    mark(check.ok), f" {check.name}: {check.description} ({check.checked} checked)"
                )
            )
            for note in check.notes:
                out.print(Text(f"    {note}", style="dim"))
            for finding in check.findings[:50]:
                out.print(
                    Text.assemble("    ", (finding.where, "red"), f": {finding.what}"),
                    highlight=False,
                )
            if len(check.findings) > 50:
                out.print(f"    … and {len(check.findings) - 50} more")
        out.print(
            Text("the log verifies end to end", style="green")
            if report.ok
            else Text(f"verification failed: {len(report.findings)} findings", style="bold red")
        )
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("platform-key")
def platform_key_command() -> None:
    """Print the platform's public key (checkpoints are signed with it); created if needed."""
    from impact.contract.chain import PlatformKey, public_path

    settings = bootstrap().settings  # the key alone: no service of the platform is built
    key = PlatformKey.load_or_create(settings.platform_key_path)
    out.print(
        f"key id      {key.key_id}\npublic key  {key.public_text}\n"
        f"file        {public_path(settings.platform_key_path)}"
    )


# -- replay, reproduce, history -----------------------------------------------------


def _ranking(quarter: dict[str, Any]) -> Table:
    table = Table(title=f"{quarter['quarter']} as known then (policy v{quarter['policy_version']})")
    for name, justify in (
        ("rank", "right"),
        ("programme", "left"),
        ("agency", "left"),
        ("title", "left"),
        ("score", "right"),
        ("eligible", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for c in quarter["ranking"]:
        table.add_row(
            str(c["rank"]),
            c["program_code"],
            c["agency"],
            c["title_ko"],
            c["score"],
            "yes" if c["eligible"] else f"no: {c['failed_gate']}",
        )
    return table


@audit_app.command("replay")
def replay_command(
    as_of: AsOf = None,
    as_json: AsJson = False,
    keep: Annotated[bool, typer.Option("--keep", help="Keep the replay's database.")] = False,
) -> None:
    """Rebuild every projection from offset 0 of the events topic (IMPACT_EVENTS_TOPIC) into a
    fresh ClickHouse database, with only what was recorded by --as-of, and print the state and
    each quarter's ranking then."""
    from impact.audit.replay import replay
    from impact.projections.loader import SignedLog

    with bootstrap() as platform:
        s = platform.settings
        result = replay(SignedLog.of(s, role="auditor"), s.clickhouse, as_of, keep=keep)
    data = result.as_json()
    if as_json:
        print_json(data)
        return
    where = f"database {result.database} (kept)" if keep else "a fresh database (dropped after)"
    out.print(
        f"replayed {result.loaded} events recorded by {data['known_until'] or 'now'} "
        f"({result.after_as_of} recorded later left out) into {where} in "
        f"{result.seconds:.2f} s ({result.events_per_second:,.0f} events/s)"
    )
    state = Table(title="state as known then")
    state.add_column("what")
    state.add_column("count", justify="right")
    for name, value in result.counts.items():
        state.add_row(name.replace("_", " "), str(value))
    out.print(state)
    members = Table(title="members")
    for column in ("code", "name", "kind", "joined", "left", "active"):
        members.add_column(column)
    for m in result.members:
        members.add_row(
            m["code"],
            f"{m['name_ko']} / {m['name_en']}",
            m.get("kind", "agency"),
            m["joined_on"],
            m.get("left_on") or "",
            "yes" if m["active"] else "no",
        )
    out.print(members)
    for quarter in data["quarters"]:
        if "error" in quarter:
            out.print(f"{quarter['quarter']}: {quarter['error']}")
            continue
        out.print(_ranking(quarter))
        recorded = quarter.get("recorded_review")
        note = f"inputs digest {quarter['inputs_digest']}"
        if recorded:
            note += (
                f" · review recorded at {recorded['recorded_at']} "
                f"(as of {recorded['as_of']}): "
                + (
                    "same inputs"
                    if recorded["same_inputs_as_this_replay"]
                    else "inputs changed since"
                )
            )
        out.print(note)


@audit_app.command("reproduce")
def reproduce_command(
    quarter: Annotated[
        Quarter | None,
        typer.Argument(parser=parse.quarter, help="Quarter, e.g. 2019Q1.", show_default=False),
    ] = None,
    every: Annotated[
        bool, typer.Option("--all", help="Every recorded review of every quarter.")
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Replay to the moment a quarter's review was recorded and check its ranking and inputs
    digest are identical to those recorded; exits 1 on the first difference."""
    from impact.audit.replay import recorded_scorings, reproduce
    from impact.projections.loader import SignedLog

    if (quarter is None) == (not every):
        raise typer.BadParameter(
            "give one of them: a quarter, e.g. 2019Q1, or --all", param_hint="'QUARTER' or '--all'"
        )
    settings = bootstrap().settings  # the replays build their own databases
    which = str(quarter) if quarter is not None else None
    scorings = recorded_scorings(settings.kafka_for("auditor"), settings.events_topic, which)
    if not scorings:
        raise NotFoundError(
            f"no review of {which or 'any quarter'} is recorded on {settings.events_topic}"
        )
    results = []
    for scoring in scorings:
        result = reproduce(SignedLog.of(settings, role="auditor"), settings.clickhouse, scoring)
        results.append(result)
        if not as_json:
            head = (
                f"{scoring.quarter} review v{scoring.review_version} recorded at "
                f"{scoring.recorded_at.isoformat()} (as of {scoring.as_of.isoformat()}, "
                f"{scoring.where})"
            )
            if result.identical:
                out.print(
                    Text.assemble(
                        mark(True, yes="identical"),
                        f" {head}: inputs digest {scoring.inputs_digest[:16]}…, "
                        f"{len(scoring.candidates)} programmes, "
                        f"same bytes ({result.seconds:.2f} s)",
                    )
                )
            else:
                out.print(
                    Text.assemble(mark(False, no="differs"), f" {head}: {result.first_difference}")
                )
    if as_json:
        print_json([r.as_json() for r in results])
    if not all(r.identical for r in results):
        raise typer.Exit(1)


@audit_app.command("history")
def history_command(
    ident: Annotated[
        str,
        typer.Argument(
            help="Proposal code (C-2018-0001), programme code (P-BPA-01) or aggregate id."
        ),
    ],
    as_of: AsOf = None,
    as_json: AsJson = False,
) -> None:
    """The full timeline of a proposal or programme, from the log: proposal, review, adoption,
    programme, outcomes, corrections, scores, decisions, joint project."""
    from impact.audit.history import timeline
    from impact.audit.replay import replay_into_fresh_database
    from impact.projections.loader import SignedLog

    with bootstrap() as platform:
        s = platform.settings
        db = replay_into_fresh_database(SignedLog.of(s, role="auditor"), s.clickhouse, as_of)
        try:
            found = timeline(db.store, ident, platform.sealer)
        finally:
            db.drop()
    if as_json:
        print_json(found.as_json())
        return
    table = Table(
        title=f"history of {ident}: proposals {', '.join(found.proposals) or '-'}; "
        f"programmes {', '.join(found.programmes) or '-'}"
    )
    for column in ("#", "recorded", "occurred", "subject", "what", "by"):
        table.add_column(column)
    for e in found.entries:
        table.add_row(
            str(e.notification_id),
            f"{e.recorded_at:%Y-%m-%d %H:%M:%S}",
            f"{e.occurred_at:%Y-%m-%d}",
            e.subject,
            e.summary,
            e.actor,
        )
    out.print(table)


# -- privacy ------------------------------------------------------------------------


@privacy_app.command("erase")
def erase_command(
    subject: Annotated[
        str,
        typer.Argument(
            help="The proposer's subject id, e.g. citizen-0001, or subject:C-2018-0001 for a "
            "proposal submitted without --proposer-id; `impact privacy status C-2018-0001` "
            "names a proposal's."
        ),
    ],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Destroy a proposer's key: their name and contact then read as [erased] everywhere, and
    nothing in the log is rewritten (the chain and checkpoints still verify)."""
    from impact.audit.erasure import erase

    if not yes:
        typer.confirm(
            f"Destroy the key of {subject}? Their personal data cannot be read again", abort=True
        )
    with bootstrap() as platform:
        result = erase(platform.ledger, platform.sealer, subject)
    where = ", ".join(f"{code} (notification {nid})" for nid, code in result.proposals)
    where = where or "no proposal"
    out.print(
        f"erased {subject} at {result.erased_at}: the key is destroyed; sealed in {where}, "
        "which now read as [erased]"
    )


@privacy_app.command("status")
def status_command(
    subject: Annotated[
        str,
        typer.Argument(
            help="The proposer's subject id (e.g. citizen-0001), or a proposal code "
            "(e.g. C-2018-0001) to find the subject its proposer's data is sealed under."
        ),
    ],
    as_json: AsJson = False,
) -> None:
    """Whether a subject's key exists, and which records hold their sealed data. Given a
    proposal code, it names the subject first: the id `privacy erase` takes."""
    from impact.audit.erasure import subject_records

    proposal = None
    with bootstrap() as platform:
        if parse.PROPOSAL_CODE.fullmatch(subject) and platform.sealer.vault.state(subject) == (
            "unknown"
        ):
            proposal, sealed = subject, platform.ledger.proposal(subject).proposer
            if sealed is None:
                raise NotFoundError(f"proposal {proposal} holds no personal data")
            subject = sealed.subject_id
        found = subject_records(platform.ledger, platform.sealer, subject)
    if as_json:
        print_json({**({"proposal": proposal} if proposal else {}), **found.as_json()})
        return
    if proposal:
        out.print(f"proposal {proposal}: its proposer's data is sealed under subject {subject}")
    state = {
        "held": "key held",
        "erased": f"erased at {found.erased_at}",
        "unknown": "no key here",
    }[found.key]
    where = ", ".join(f"{code} (notification {nid})" for nid, code in found.proposals) or "none"
    out.print(f"{subject}: {state}; sealed in {where}")
