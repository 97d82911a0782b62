"""``impact proposal …`` and ``impact program …``: what the proposal desk and staff enter.

Citizens' proposals go from submission through expert review to adoption into the plan
(or rejection). An agency's programme facts entered by staff are the contract's
submissions, checked as a signed one would be, under a reference of their own.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

import typer

from impact.application import commands as c
from impact.bootstrap import bootstrap
from impact.cli import parse
from impact.cli.render import out
from impact.contract.submissions import CorrectOutcome, RegisterProgram, ReportOutcome
from impact.domain.program import Evidence, Target
from impact.domain.proposal import ReviewComment
from impact.domain.quarter import Quarter
from impact.privacy import PersonalData

proposal_app = typer.Typer(help="Citizen proposals: submit, review, decide.", no_args_is_help=True)
program_app = typer.Typer(
    help="Programmes: register, report outcomes, correct them.", no_args_is_help=True
)

Actor = Annotated[str, typer.Option()]


def _staff_entry(cls: type[Any], reference: str, agency: str, at: datetime, **fields: Any) -> Any:
    """An agency's fact entered by staff: the contract's command, validated as a submission is."""
    return cls.create(submission_id=reference[:128], agency=agency, submitted_at=at, **fields)


# -- proposals ----------------------------------------------------------------------


@proposal_app.command("submit")
def proposal_submit(
    code: Annotated[str, typer.Option(help="Proposal reference, e.g. C-2018-0001.")],
    title: Annotated[str, typer.Option()],
    text: Annotated[str, typer.Option()] = "",
    category: Annotated[str, typer.Option()] = "general",
    channel: Annotated[str, typer.Option()] = "website",
    proposer_id: Annotated[
        str | None, typer.Option(help="Opaque subject reference of the citizen.")
    ] = None,
    proposer_name: Annotated[
        str | None, typer.Option(help="Sealed under the citizen's own key.")
    ] = None,
    proposer_contact: Annotated[str, typer.Option()] = "",
    occurred_at: parse.OccurredAt = None,
) -> None:
    """Record a citizen's proposal (personal data is sealed, never stored in the clear)."""
    with bootstrap() as platform:
        sealed = None
        if proposer_name:
            subject = proposer_id or f"subject:{code}"
            personal = PersonalData(name=proposer_name, contact=proposer_contact)
            sealed = platform.sealer.seal(subject, personal)
        platform.ledger.handle(
            c.SubmitProposal(
                code=code,
                title=title,
                text=text,
                category=category,
                channel=channel,  # type: ignore[arg-type]
                proposer=sealed,
                occurred_at=occurred_at or parse.now(),
            )
        )
    out.print(f"proposal {code} submitted")


@proposal_app.command("start-review")
def proposal_start_review(
    code: str,
    panel: Annotated[list[str], typer.Option(help="Expert reviewer (repeat).")],
    actor: Actor = "proposal-desk",
    occurred_at: parse.OccurredAt = None,
) -> None:
    """Hand a proposal to an expert panel."""
    command = c.StartProposalReview(
        code=code, panel=tuple(panel), actor=actor, occurred_at=occurred_at or parse.now()
    )
    with bootstrap() as platform:
        platform.ledger.handle(command)
    out.print(f"review of {code} started")


@proposal_app.command("review")
def proposal_review(
    code: str,
    score: Annotated[
        list[parse.Score],
        typer.Option(
            parser=parse.score, metavar="CRITERION=VALUE", help="criterion=0..100 (repeat)."
        ),
    ],
    comment: Annotated[
        list[ReviewComment],
        typer.Option(
            parser=parse.comment, metavar="REVIEWER: TEXT", help="reviewer: text (repeat)."
        ),
    ] = [],  # noqa: B006
    actor: Actor = "proposal-desk",
    occurred_at: parse.OccurredAt = None,
) -> None:
    """Record the expert panel's scores and comments."""
    command = c.RecordProposalReview(
        code=code,
        scores=dict(score),
        comments=tuple(comment),
        actor=actor,
        occurred_at=occurred_at or parse.now(),
    )
    with bootstrap() as platform:
        platform.ledger.handle(command)
    out.print(f"review of {code} recorded")


@proposal_app.command("adopt")
def proposal_adopt(
    code: str,
    task: Annotated[str, typer.Option(help="Plan task, e.g. S4-T2.")],
    actor: Actor = "proposal-desk",
    occurred_at: parse.OccurredAt = None,
) -> None:
    """Adopt a reviewed proposal into a task of the plan."""
    command = c.AdoptProposal(
        code=code, task_code=task, actor=actor, occurred_at=occurred_at or parse.now()
    )
    with bootstrap() as platform:
        platform.ledger.handle(command)
    out.print(f"proposal {code} adopted into {task}")


@proposal_app.command("reject")
def proposal_reject(
    code: str,
    reason: Annotated[str, typer.Option()],
    actor: Actor = "proposal-desk",
    occurred_at: parse.OccurredAt = None,
) -> None:
    """Reject a reviewed proposal, saying why."""
    command = c.RejectProposal(
        code=code, reason=reason, actor=actor, occurred_at=occurred_at or parse.now()
    )
    with bootstrap() as platform:
        platform.ledger.handle(command)
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
    starts_on: Annotated[date, typer.Option(parser=parse.date, metavar="DATE", help="YYYY-MM-DD")],
    ends_on: Annotated[
        date | None, typer.Option(parser=parse.date, metavar="DATE", help="YYYY-MM-DD")
    ] = None,
    target: Annotated[
        list[Target],
        typer.Option(
            parser=parse.target,
            metavar="METRIC:QUARTER:VALUE",
            help="metric:QUARTER:value (repeat).",
        ),
    ] = [],  # noqa: B006
    origin: Annotated[list[str], typer.Option(help="Adopted proposal it came from (repeat).")] = [],  # noqa: B006
    measure: Annotated[
        list[str],
        typer.Option(help="A metric it will report besides its targets' (repeat)."),
    ] = [],  # noqa: B006
    occurred_at: parse.OccurredAt = None,
) -> None:
    """Register an agency's programme under a task of the plan."""
    command = _staff_entry(
        RegisterProgram,
        f"staff:register:{code}",
        agency,
        occurred_at or parse.now(),
        program_code=code,
        task_code=task,
        title_ko=title_ko,
        title_en=title_en,
        budget_krw=budget_krw,
        starts_on=starts_on,
        ends_on=ends_on,
        targets=tuple(target),
        origin_proposals=tuple(origin),
        measures=tuple(measure),
    )
    with bootstrap() as platform:
        platform.ledger.handle(command)
    out.print(f"programme {code} registered by {agency} under {task}")


@program_app.command("report")
def program_report(
    program: Annotated[str, typer.Option(help="Programme code.")],
    agency: Annotated[str, typer.Option(help="Reporting agency.")],
    metric: Annotated[str, typer.Option()],
    quarter: Annotated[
        Quarter, typer.Option(parser=parse.quarter, metavar="QUARTER", help="e.g. 2019Q1")
    ],
    value: Annotated[Decimal, typer.Option(parser=parse.decimal, metavar="NUMBER")],
    report_id: Annotated[str | None, typer.Option(help="Stable id (default: derived).")] = None,
    evidence_uri: Annotated[str | None, typer.Option()] = None,
    evidence_sha256: Annotated[str | None, typer.Option()] = None,
    occurred_at: parse.OccurredAt = None,
) -> None:
    """Report one outcome of a programme for a quarter."""
    q = str(quarter)
    evidence = (
        Evidence(uri=evidence_uri, sha256=evidence_sha256)
        if evidence_uri and evidence_sha256
        else None
    )
    rid = report_id or f"{program}/{metric}/{q}"
    command = _staff_entry(
        ReportOutcome,
        f"staff:{rid}",
        agency,
        occurred_at or parse.now(),
        program_code=program,
        report_id=rid,
        metric=metric,
        quarter=q,
        value=value,
        evidence=evidence,
    )
    with bootstrap() as platform:
        platform.ledger.handle(command)
    out.print(f"{program}: {metric} {q} = {value} reported (report {rid})")


@program_app.command("correct")
def program_correct(
    program: Annotated[str, typer.Option()],
    agency: Annotated[str, typer.Option()],
    corrects: Annotated[str, typer.Option(help="The report id it corrects.")],
    value: Annotated[Decimal, typer.Option(parser=parse.decimal, metavar="NUMBER")],
    reason: Annotated[str, typer.Option()],
    report_id: Annotated[str | None, typer.Option()] = None,
    occurred_at: parse.OccurredAt = None,
) -> None:
    """Correct an earlier report; the original stays in the log."""
    at = occurred_at or parse.now()
    with bootstrap() as platform:
        rid = report_id or f"{corrects}-c{platform.ledger.program(program).version + 1}"
        platform.ledger.handle(
            _staff_entry(
                CorrectOutcome,
                f"staff:{rid}",
                agency,
                at,
                program_code=program,
                report_id=rid,
                corrects=corrects,
                value=value,
                reason=reason,
            )
        )
    out.print(f"{program}: report {corrects} corrected to {value} (report {rid})")
