"""``impact proposal …`` and ``impact program …``: what the proposal desk and staff enter.

Citizens' proposals go from submission through expert review to adoption into the plan
(or rejection). An agency's programme facts entered by staff are the contract's
submissions, checked as a signed one would be, under a reference of their own.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, get_args

import typer

from impact.cli import parse
from impact.cli.lazy import bootstrap
from impact.cli.lazy import commands as c
from impact.cli.render import recorded
from impact.contract.submissions import CorrectOutcome, RegisterProgram, ReportOutcome
from impact.domain.program import Evidence, Target
from impact.domain.proposal import Channel, ReviewComment
from impact.domain.quarter import Quarter
from impact.privacy import PersonalData

proposal_app = typer.Typer(help="Citizen proposals: submit, review, decide.", no_args_is_help=True)
program_app = typer.Typer(
    help="Programmes: register, report outcomes, correct them.", no_args_is_help=True
)

Actor = Annotated[
    str, typer.Option(help="Who records it, as the log names them (a person or a desk).")
]
CHANNELS = ", ".join(get_args(Channel))
ProposalCode = Annotated[str, typer.Argument(help="Proposal code, e.g. C-2018-0001.")]


def _staff_entry(cls: type[Any], reference: str, agency: str, at: datetime, **fields: Any) -> Any:
    """An agency's fact entered by staff: the contract's command, validated as a submission is."""
    return cls.create(submission_id=reference[:128], agency=agency, submitted_at=at, **fields)


# -- proposals ----------------------------------------------------------------------


@proposal_app.command("submit")
def proposal_submit(
    code: Annotated[
        str,
        typer.Option(
            parser=parse.proposal_code,
            metavar="CODE",
            help="Proposal code: C-YEAR-NUMBER, e.g. C-2018-0001.",
        ),
    ],
    title: Annotated[str, typer.Option(help="The proposal's title, one line (up to 300).")],
    text: Annotated[str, typer.Option(help="What the citizen proposes, in full.")] = "",
    category: Annotated[
        str, typer.Option(help="Free-text topic, e.g. environment, jobs, housing.")
    ] = "general",
    channel: Annotated[
        str, typer.Option(help=f"How it reached the desk: one of {CHANNELS}.")
    ] = "website",
    proposer_id: Annotated[
        str | None,
        typer.Option(
            help="Opaque subject id of the citizen, e.g. citizen-0001; their personal data is "
            "sealed under this subject's key (default: subject:CODE), which `privacy erase` "
            "destroys.",
            show_default=False,
        ),
    ] = None,
    proposer_name: Annotated[
        str | None,
        typer.Option(
            help="The citizen's name; sealed under their own key, never stored in the clear.",
            show_default=False,
        ),
    ] = None,
    proposer_contact: Annotated[
        str, typer.Option(help="The citizen's e-mail or phone; sealed with the name.")
    ] = "",
    occurred_at: parse.OccurredAt = None,
) -> None:
    """Record a citizen's proposal (personal data is sealed, never stored in the clear)."""
    with bootstrap() as platform:
        sealed = None
        if proposer_name:
            subject = proposer_id or f"subject:{code}"
            personal = PersonalData(name=proposer_name, contact=proposer_contact)
            sealed = platform.sealer.seal(subject, personal)
        changed = platform.ledger.handle(
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
    recorded(changed, f"proposal {code} submitted", f"proposal {code}")


@proposal_app.command("start-review")
def proposal_start_review(
    code: ProposalCode,
    panel: Annotated[list[str], typer.Option(help="Expert reviewer (repeat).")],
    actor: Actor = "proposal-desk",
    occurred_at: parse.OccurredAt = None,
) -> None:
    """Hand a proposal to an expert panel."""
    command = c.StartProposalReview(
        code=code, panel=tuple(panel), actor=actor, occurred_at=occurred_at or parse.now()
    )
    with bootstrap() as platform:
        changed = platform.ledger.handle(command)
    recorded(changed, f"review of {code} started", f"the review of {code}")


@proposal_app.command("review")
def proposal_review(
    code: ProposalCode,
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
        changed = platform.ledger.handle(command)
    recorded(changed, f"review of {code} recorded", f"the review of {code}")


@proposal_app.command("adopt")
def proposal_adopt(
    code: ProposalCode,
    task: Annotated[str, typer.Option(help="A task of the plan (`impact plan`), e.g. S4-T2.")],
    actor: Actor = "proposal-desk",
    occurred_at: parse.OccurredAt = None,
) -> None:
    """Adopt a reviewed proposal into a task of the plan."""
    command = c.AdoptProposal(
        code=code, task_code=task, actor=actor, occurred_at=occurred_at or parse.now()
    )
    with bootstrap() as platform:
        changed = platform.ledger.handle(command)
    recorded(changed, f"proposal {code} adopted into {task}", f"proposal {code} adopted")


@proposal_app.command("reject")
def proposal_reject(
    code: ProposalCode,
    reason: Annotated[str, typer.Option(help="Why it is rejected; kept in the log.")],
    actor: Actor = "proposal-desk",
    occurred_at: parse.OccurredAt = None,
) -> None:
    """Reject a reviewed proposal, saying why."""
    command = c.RejectProposal(
        code=code, reason=reason, actor=actor, occurred_at=occurred_at or parse.now()
    )
    with bootstrap() as platform:
        changed = platform.ledger.handle(command)
    recorded(changed, f"proposal {code} rejected", f"proposal {code} rejected")


# -- programmes ---------------------------------------------------------------------


@program_app.command("register")
def program_register(
    code: Annotated[str, typer.Option(help="Programme code, e.g. P-BPA-01.")],
    agency: Annotated[str, typer.Option(help="Owning agency, e.g. BPA.")],
    task: Annotated[str, typer.Option(help="A task of the plan (`impact plan`), e.g. S4-T2.")],
    title_ko: Annotated[str, typer.Option(help="The programme's title in Korean.")],
    title_en: Annotated[str, typer.Option(help="The programme's title in English.")],
    budget_krw: Annotated[int, typer.Option(help="Budget in KRW, a whole number.")],
    starts_on: Annotated[
        date,
        typer.Option(
            parser=parse.date, metavar="DATE", help="First day of the programme, YYYY-MM-DD."
        ),
    ],
    ends_on: Annotated[
        date | None,
        typer.Option(
            parser=parse.date,
            metavar="DATE",
            help="Last day, YYYY-MM-DD (default: open-ended).",
            show_default=False,
        ),
    ] = None,
    target: Annotated[
        list[Target],
        typer.Option(
            parser=parse.target,
            metavar="METRIC:QUARTER:VALUE",
            help="A quarter's target of a metric of `impact catalogue`, in its unit, e.g. "
            "jobs_created:2019Q1:30 (repeat).",
        ),
    ] = [],  # noqa: B006
    origin: Annotated[
        list[str],
        typer.Option(help="Code of an adopted proposal it came from, e.g. C-2018-0001 (repeat)."),
    ] = [],  # noqa: B006
    measure: Annotated[
        list[str],
        typer.Option(
            help="A metric of `impact catalogue` it will report besides its targets' (repeat)."
        ),
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
        changed = platform.ledger.handle(command)
    recorded(changed, f"programme {code} registered by {agency} under {task}", f"programme {code}")


@program_app.command("report")
def program_report(
    program: Annotated[str, typer.Option(help="Programme code, e.g. P-BPA-01.")],
    agency: Annotated[str, typer.Option(help="The agency that owns it, e.g. BPA.")],
    metric: Annotated[
        str,
        typer.Option(help="A metric code; `impact catalogue` lists them, e.g. jobs_created."),
    ],
    quarter: Annotated[
        Quarter,
        typer.Option(
            parser=parse.quarter, metavar="QUARTER", help="The quarter it counts for, e.g. 2019Q1."
        ),
    ],
    value: Annotated[
        Decimal,
        typer.Option(
            parser=parse.decimal,
            metavar="NUMBER",
            help="In the metric's unit and range (`impact catalogue`), e.g. 31 or 6150.5.",
        ),
    ],
    report_id: Annotated[
        str | None,
        typer.Option(
            help="Stable id of the report, which a correction names (default: "
            "PROGRAM/METRIC/QUARTER).",
            show_default=False,
        ),
    ] = None,
    evidence_uri: Annotated[
        str | None,
        typer.Option(
            help="Where the evidence is kept (with --evidence-sha256).", show_default=False
        ),
    ] = None,
    evidence_sha256: Annotated[
        str | None,
        typer.Option(help="sha256 of the evidence file, 64 hex digits.", show_default=False),
    ] = None,
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
        changed = platform.ledger.handle(command)
    recorded(changed, f"{program}: {metric} {q} = {value} reported (report {rid})", f"report {rid}")


@program_app.command("correct")
def program_correct(
    program: Annotated[str, typer.Option(help="Programme code, e.g. P-BPA-01.")],
    agency: Annotated[str, typer.Option(help="The agency that owns it, e.g. BPA.")],
    corrects: Annotated[
        str,
        typer.Option(
            help="The id of the report it corrects, e.g. P-BPA-01/jobs_created/2019Q1 (as "
            "`program report` printed it)."
        ),
    ],
    value: Annotated[
        Decimal,
        typer.Option(
            parser=parse.decimal,
            metavar="NUMBER",
            help="The corrected value, in the metric's unit (`impact catalogue`).",
        ),
    ],
    reason: Annotated[str, typer.Option(help="Why it is corrected; kept in the log.")],
    report_id: Annotated[
        str | None,
        typer.Option(
            help="Stable id of the correction (default: CORRECTS-cN, N the programme's next "
            "version).",
            show_default=False,
        ),
    ] = None,
    occurred_at: parse.OccurredAt = None,
) -> None:
    """Correct an earlier report; the original stays in the log."""
    at = occurred_at or parse.now()
    with bootstrap() as platform:
        rid = report_id or f"{corrects}-c{platform.ledger.program(program).version + 1}"
        changed = platform.ledger.handle(
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
    recorded(
        changed,
        f"{program}: report {corrects} corrected to {value} (report {rid})",
        f"report {rid}",
    )
