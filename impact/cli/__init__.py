"""``impact``: the command line of the ledger, for staff, agencies, the council and operators."""

import json
import socket
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console

from impact.application import commands as c
from impact.bootstrap import build_ledger, build_sealer
from impact.cli.agencies import ingest as ingest_command
from impact.cli.agencies import keys_app
from impact.cli.agencies import submit as submit_command
from impact.cli.audit import audit_app, privacy_app
from impact.contract.submissions import (
    CorrectOutcome,
    RegisterProgram,
    ReportOutcome,
    describe_errors,
)
from impact.domain.program import Evidence, Target
from impact.domain.proposal import ReviewComment
from impact.domain.quarter import Quarter
from impact.errors import InfrastructureError
from impact.privacy import PersonalData
from impact.settings import Settings

app = typer.Typer(
    help="Busan social-value impact ledger: proposals, programmes, outcomes and promotion reviews.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(audit_app, name="audit")
app.add_typer(privacy_app, name="privacy")
app.add_typer(keys_app, name="keys")
app.command("submit")(submit_command)
app.command("ingest")(ingest_command)
proposal_app = typer.Typer(help="Citizen proposals: submit, review, decide.", no_args_is_help=True)
program_app = typer.Typer(help="Programmes: register, report outcomes, correct them.", no_args_is_help=True)
app.add_typer(proposal_app, name="proposal")
app.add_typer(program_app, name="program")
council_app = typer.Typer(help="The council: decisions on a quarter's candidates.", no_args_is_help=True)
app.add_typer(council_app, name="council")
schema_app = typer.Typer(help="The public contract as JSON Schema files.", no_args_is_help=True)
app.add_typer(schema_app, name="schema")

out = Console()
if not out.is_terminal:  # piped or captured: keep table rows whole rather than 80 columns
    out = Console(width=160)
err = Console(stderr=True)


def _when(text: str | None) -> datetime:
    """A time the user gave (ISO 8601, UTC unless it says otherwise), or now."""
    if text is None:
        return datetime.now(tz=UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a time; write it as ISO 8601, e.g. 2019-04-05T09:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _decimal(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise typer.BadParameter(f"{what} {text!r} is not a number") from None
    if not value.is_finite():
        raise typer.BadParameter(f"{what} must be a finite number, not {text}")
    return value


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date; write it as YYYY-MM-DD") from None


def _agency_command(cls: type[Any], reference: str, agency: str, at: datetime, **fields: Any) -> Any:
    """An agency's fact entered by staff: the contract's command, checked as a submission is."""
    try:
        return cls.create(submission_id=reference[:128], agency=agency, submitted_at=at, **fields)
    except ValidationError as exc:
        raise typer.BadParameter(describe_errors(exc)) from None


def _quarter(text: str) -> Quarter:
    try:
        return Quarter.parse(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


OccurredAt = Annotated[
    str | None, typer.Option(help="Business time, ISO 8601 (default: now).", show_default=False)
]


# -- set-up -------------------------------------------------------------------------


@app.command()
def init() -> None:
    """Found the consortium (7 agencies and Busan City) and declare the 2018 plan, once."""
    ledger = build_ledger(Settings())
    did = ledger.handle(c.FoundConsortium())
    out.print("founded the consortium and declared the plan" if did else "already founded")
    if ledger.handle(c.AdoptBaselinePolicy(occurred_at=datetime.now(tz=UTC))):
        out.print("adopted scoring policy v1, in force since the founding quarter")


# -- proposals ----------------------------------------------------------------------


@proposal_app.command("submit")
def proposal_submit(
    code: Annotated[str, typer.Option(help="Proposal reference, e.g. C-2018-0001.")],
    title: Annotated[str, typer.Option()],
    text: Annotated[str, typer.Option()] = "",
    category: Annotated[str, typer.Option()] = "general",
    channel: Annotated[str, typer.Option()] = "website",
    proposer_id: Annotated[str | None, typer.Option(help="Opaque subject reference of the citizen.")] = None,
    proposer_name: Annotated[str | None, typer.Option(help="Sealed under the citizen's own key.")] = None,
    proposer_contact: Annotated[str, typer.Option()] = "",
    occurred_at: OccurredAt = None,
) -> None:
    """Record a citizen's proposal (personal data is sealed, never stored in the clear)."""
    settings = Settings()
    sealed = None
    if proposer_name:
        subject = proposer_id or f"subject:{code}"
        sealed = build_sealer(settings).seal(subject, PersonalData(name=proposer_name, contact=proposer_contact))
    build_ledger(settings).handle(c.SubmitProposal(
        code=code, title=title, text=text, category=category, channel=channel,  # type: ignore[arg-type]
        proposer=sealed, occurred_at=_when(occurred_at),
    ))
    out.print(f"proposal {code} submitted")


@proposal_app.command("start-review")
def proposal_start_review(
    code: str,
    panel: Annotated[list[str], typer.Option(help="Expert reviewer (repeat).")],
    actor: Annotated[str, typer.Option()] = "proposal-desk",
    occurred_at: OccurredAt = None,
) -> None:
    """Hand a proposal to an expert panel."""
    build_ledger(Settings()).handle(c.StartProposalReview(
        code=code, panel=tuple(panel), actor=actor, occurred_at=_when(occurred_at)))
    out.print(f"review of {code} started")


@proposal_app.command("review")
def proposal_review(
    code: str,
    score: Annotated[list[str], typer.Option(help="criterion=0..100 (repeat).")],
    comment: Annotated[list[str], typer.Option(help="reviewer: text (repeat).")] = [],  # noqa: B006
    actor: Annotated[str, typer.Option()] = "proposal-desk",
    occurred_at: OccurredAt = None,
) -> None:
    """Record the expert panel's scores and comments."""
    scores = {}
    for item in score:
        name, _, value = item.partition("=")
        scores[name.strip()] = _decimal(value, f"score {name}")
    comments = tuple(
        ReviewComment(reviewer=c.partition(":")[0].strip(), comment=c.partition(":")[2].strip())
        for c in comment
    )
    build_ledger(Settings()).handle(c.RecordProposalReview(
        code=code, scores=scores, comments=comments, actor=actor, occurred_at=_when(occurred_at)))
    out.print(f"review of {code} recorded")


@proposal_app.command("adopt")
def proposal_adopt(
    code: str,
    task: Annotated[str, typer.Option(help="Plan task, e.g. S4-T2.")],
    actor: Annotated[str, typer.Option()] = "proposal-desk",
    occurred_at: OccurredAt = None,
) -> None:
    """Adopt a reviewed proposal into a task of the plan."""
    build_ledger(Settings()).handle(c.AdoptProposal(
        code=code, task_code=task, actor=actor, occurred_at=_when(occurred_at)))
    out.print(f"proposal {code} adopted into {task}")


@proposal_app.command("reject")
def proposal_reject(
    code: str,
    reason: Annotated[str, typer.Option()],
    actor: Annotated[str, typer.Option()] = "proposal-desk",
    occurred_at: OccurredAt = None,
) -> None:
    """Reject a reviewed proposal, saying why."""
    build_ledger(Settings()).handle(c.RejectProposal(
        code=code, reason=reason, actor=actor, occurred_at=_when(occurred_at)))
    out.print(f"proposal {code} rejected")


# -- programmes ---------------------------------------------------------------------


@program_app.command("register")
def program_register(
    code: Annotated[str, typer.Option(help="Programme code, e.g. P-BPA-01.")],
    agency: Annotated[str, typer.Option(help="Owning agency, e.g. BPA.")],
    task: Annotated[str, typer.Option(help="Plan task, e.g. S4-T2.")],
    title_ko: Annotated[str, typer.Option()],
    title_en: Annotated[str, typer.Option()],
    budget_krw: Annotated[int, typer.Option(help="Budget in KRW (integer).")],
    starts_on: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    ends_on: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    target: Annotated[list[str], typer.Option(help="metric:QUARTER:value (repeat).")] = [],  # noqa: B006
    origin: Annotated[list[str], typer.Option(help="Adopted proposal it came from (repeat).")] = [],  # noqa: B006
    occurred_at: OccurredAt = None,
) -> None:
    """Register an agency's programme under a task of the plan."""
    targets = []
    for item in target:
        parts = item.split(":")
        if len(parts) != 3:
            raise typer.BadParameter(f"target {item!r} must be metric:QUARTER:value")
        targets.append(Target(metric=parts[0], quarter=str(_quarter(parts[1])), value=_decimal(parts[2], "target")))
    at = _when(occurred_at)
    build_ledger(Settings()).handle(_agency_command(
        RegisterProgram, f"staff:register:{code}", agency, at, program_code=code, task_code=task,
        title_ko=title_ko, title_en=title_en, budget_krw=budget_krw,
        starts_on=_date(starts_on), ends_on=_date(ends_on) if ends_on else None,
        targets=tuple(targets), origin_proposals=tuple(origin),
    ))
    out.print(f"programme {code} registered by {agency} under {task}")


@program_app.command("report")
def program_report(
    program: Annotated[str, typer.Option(help="Programme code.")],
    agency: Annotated[str, typer.Option(help="Reporting agency.")],
    metric: Annotated[str, typer.Option()],
    quarter: Annotated[str, typer.Option(help="e.g. 2019Q1")],
    value: Annotated[str, typer.Option()],
    report_id: Annotated[str | None, typer.Option(help="Stable id (default: derived).")] = None,
    evidence_uri: Annotated[str | None, typer.Option()] = None,
    evidence_sha256: Annotated[str | None, typer.Option()] = None,
    occurred_at: OccurredAt = None,
) -> None:
    """Report one outcome of a programme for a quarter."""
    q = str(_quarter(quarter))
    evidence = Evidence(uri=evidence_uri, sha256=evidence_sha256) if evidence_uri and evidence_sha256 else None
    rid = report_id or f"{program}/{metric}/{q}"
    build_ledger(Settings()).handle(_agency_command(
        ReportOutcome, f"staff:{rid}", agency, _when(occurred_at), program_code=program,
        report_id=rid, metric=metric, quarter=q, value=_decimal(value, "value"), evidence=evidence,
    ))
    out.print(f"{program}: {metric} {q} = {value} reported (report {rid})")


@program_app.command("correct")
def program_correct(
    program: Annotated[str, typer.Option()],
    agency: Annotated[str, typer.Option()],
    corrects: Annotated[str, typer.Option(help="The report id it corrects.")],
    value: Annotated[str, typer.Option()],
    reason: Annotated[str, typer.Option()],
    report_id: Annotated[str | None, typer.Option()] = None,
    occurred_at: OccurredAt = None,
) -> None:
    """Correct an earlier report; the original stays in the log."""
    ledger = build_ledger(Settings())
    rid = report_id or f"{corrects}-c{ledger.program(program).version + 1}"
    ledger.handle(_agency_command(
        CorrectOutcome, f"staff:{rid}", agency, _when(occurred_at), program_code=program,
        report_id=rid, corrects=corrects, value=_decimal(value, "value"), reason=reason,
    ))
    out.print(f"{program}: report {corrects} corrected to {value} (report {rid})")


# -- the contract -------------------------------------------------------------------


@schema_app.command("export")
def schema_export(directory: Annotated[str, typer.Argument(help="Where to write the files.")]) -> None:
    """Write one JSON Schema per message type of the contract."""
    from pathlib import Path

    from impact.contract.schemas import export

    written = export(Path(directory))
    out.print(f"wrote {len(written)} schemas under {directory}")


# -- the pipeline -------------------------------------------------------------------


@app.command()
def relay(
    until_idle: Annotated[bool, typer.Option("--until-idle", help="Stop when caught up.")] = False,
) -> None:
    """Publish stored domain events to impact.events (exactly once, in order per aggregate)."""
    from impact.ingest.relay import Relay
    from impact.kafka import keep_running

    settings = Settings()
    relay = Relay(build_ledger(settings), settings)
    stats = keep_running(
        lambda: relay.run(
            until_idle=until_idle,
            on_batch=lambda s: err.print(f"relayed {s.published} (up to notification {s.last_notification_id})"),
        ),
        "the relay",
    )
    out.print(f"relay: {stats.published} events published after notification {stats.resumed_after}")


@app.command()
def load() -> None:
    """Run the load job in-process: relay, load into ClickHouse, refresh projections."""
    from impact.orchestration.run import run_load

    result = run_load(Settings())
    meta = result.asset_materializations_for_node("raw_events")[0].metadata
    out.print(f"loaded {meta['loaded'].value} records; ClickHouse holds {meta['distinct_events'].value} events")


def _review_json(review: Any, titles: dict[str, dict[str, Any]], **more: Any) -> str:
    data = review.as_json()
    ranking = data.pop("candidates")
    for item in ranking:
        t = titles.get(item["program_code"], {})
        item.update(agency=t.get("agency", ""), title_ko=t.get("title_ko", ""),
                    title_en=t.get("title_en", ""))
    return json.dumps({**data, **more, "ranking": ranking}, ensure_ascii=False, indent=2)


@app.command()
def review(
    quarter: Annotated[str, typer.Argument(help="Quarter, e.g. 2019Q1.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the ranking as JSON.")] = False,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Replay as known at this recorded time (ISO 8601); records nothing.",
        show_default=False)] = None,
) -> None:
    """Score a quarter in-process, record the review as an event, and print the ranking.

    Run again on the same log, it finds the same inputs digest and records nothing new.
    With --as-of it replays the review as it was known then, e.g. to reproduce a past one.
    """
    from impact import review_service
    from impact.orchestration.run import outcome_of, partition_key_of, run_load, run_review
    from impact.projections.scoring import programme_titles
    from impact.projections.store import ProjectionStore
    from impact.report.table import ranking_table

    q = _quarter(quarter)
    settings = Settings()
    store = ProjectionStore(settings)
    if as_of is not None:
        run_load(settings)
        replay = review_service.replay(store, q, as_of=_when(as_of))  # type: ignore[arg-type]
        titles = programme_titles(store)
        if as_json:
            print(_review_json(replay.review, titles, recorded=False, replay=True,
                               matches_recorded=replay.matches_recorded))
        else:
            out.print(ranking_table(replay.review, titles))
            out.print(f"inputs digest {replay.review.inputs_digest}")
        err.print(replay.note)
        return
    outcome = outcome_of(run_review(settings, partition_key_of(q)), store)
    done = outcome.review
    titles = programme_titles(store)
    if as_json:
        print(_review_json(done, titles, recorded=outcome.recorded, decided=outcome.decided))
        err.print(outcome.note)
    else:
        out.print(ranking_table(done, titles))
        out.print(f"inputs digest {done.inputs_digest} · as of {done.as_of.isoformat()}")
        out.print(outcome.note)


@app.command()
def report(
    quarter: Annotated[str, typer.Argument(help="Quarter, e.g. 2019Q1.")],
    out_file: Annotated[str, typer.Option("--out", help="The HTML file to write.")],
) -> None:
    """Write the council's report of a quarter: one self-contained HTML page (Korean and English)."""
    from pathlib import Path

    from impact.orchestration.run import run_load
    from impact.projections.store import ProjectionStore
    from impact.review_service import write_report

    q = _quarter(quarter)
    settings = Settings()
    run_load(settings)
    path = Path(out_file)
    size = write_report(ProjectionStore(settings), q, path)
    out.print(f"wrote the council report of {q} to {path} ({size // 1024} KiB)")


@council_app.command("decide")
def council_decide(
    quarter: Annotated[str, typer.Argument(help="The review's quarter, e.g. 2019Q1.")],
    program: Annotated[str, typer.Argument(help="Programme code, e.g. P-BPA-01.")],
    reason: Annotated[str, typer.Option(help="Why the council decided so.")],
    promote: Annotated[bool, typer.Option("--promote", help="Make it a joint project.")] = False,
    defer: Annotated[bool, typer.Option("--defer", help="Decide again in a later quarter.")] = False,
    decline: Annotated[bool, typer.Option("--decline", help="Do not promote it.")] = False,
    meeting: Annotated[str | None, typer.Option(help="Meeting reference (default: council-QUARTER).")] = None,
    participant: Annotated[list[str], typer.Option(
        help="Agency of the joint project (repeat; default: every active agency).")] = [],  # noqa: B006
    actor: Annotated[str, typer.Option()] = "council",
    occurred_at: OccurredAt = None,
) -> None:
    """Record the council's decision on a scored programme of a quarter's review."""
    chosen = [name for name, flag in (("promote", promote), ("defer", defer), ("decline", decline)) if flag]
    if len(chosen) != 1:
        raise typer.BadParameter("choose exactly one of --promote, --defer or --decline")
    q = str(_quarter(quarter))
    ledger = build_ledger(Settings())
    ledger.handle(c.DecidePromotion(
        quarter=q, program_code=program, decision=chosen[0], reason=reason,  # type: ignore[arg-type]
        meeting_ref=meeting or f"council-{q}", participants=tuple(participant), actor=actor,
        occurred_at=_when(occurred_at),
    ))
    joint = ledger.program(program).joint_participants if chosen[0] == "promote" else ()
    if joint:
        out.print(f"{program} promoted in the review of {q}: a joint project of {', '.join(joint)}")
    else:
        out.print(f"{program}: {chosen[0]} recorded in the review of {q}")
    out.print("the next load publishes the decision to impact.events")


@app.command()
def demo(
    scale: Annotated[int, typer.Option(help="Multiply programmes and outcomes (load tests).")] = 1,
    seed: Annotated[int, typer.Option(help="Seed of the scenario generator.")] = 20181128,
    until: Annotated[str | None, typer.Option(help="Stop after the council of this quarter, e.g. 2019Q4.")] = None,
    fresh: Annotated[bool, typer.Option("--fresh", help="Start clean: delete the ledger's state and topics.")] = False,
) -> None:
    """The main job: Busan 2018-2021 through Kafka, the ledger, ClickHouse and Dagster, with the review."""
    from impact.demo import run_demo

    settings = Settings()
    _require_local_broker(settings)
    run_demo(settings, out, seed=seed, scale=scale, until=until, fresh=fresh)


def _require_local_broker(settings: Settings) -> None:
    """Say how to start the local broker when the bootstrap address is this machine and
    nothing listens there (a cluster's clients report what they find themselves)."""
    host, port = settings.broker_ports()
    host = host.strip("[]")
    if not (host in ("localhost", "::1") or host.startswith("127.")):
        return
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError:
        raise InfrastructureError(
            f"no Kafka broker listens on {host}:{port}: `make up` (or `impact-dev infra up`) "
            "starts the local one, or point KAFKA_BOOTSTRAP_SERVERS at a running broker"
        ) from None


def main() -> None:
    from impact.cli.run import run_typer

    run_typer(app)

