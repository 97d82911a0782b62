"""``impact review``, ``impact report`` and ``impact council decide``: the council's quarter.

Each quarter the council sees the ranked candidates (``review``), reads the report that
explains every score (``report``), and decides which programmes become joint projects
(``council decide``), each decision an event in the ledger.
"""

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from impact.cli import parse
from impact.cli.lazy import bootstrap
from impact.cli.lazy import commands as c
from impact.cli.render import err, out, print_json, recorded
from impact.domain.quarter import Quarter

council_app = typer.Typer(
    help="The council: decisions on a quarter's candidates.", no_args_is_help=True
)

QuarterArgument = Annotated[
    Quarter,
    typer.Argument(parser=parse.quarter, help="Quarter, e.g. 2019Q1.", show_default=False),
]


def _ranking_json(review: Any, titles: dict[str, dict[str, Any]], **more: Any) -> dict[str, Any]:
    """The review as JSON, each candidate with its agency and titles; ``more`` before them."""
    data = review.as_json()
    ranking = data.pop("candidates")
    for item in ranking:
        t = titles.get(item["program_code"], {})
        item.update(
            agency=t.get("agency", ""),
            title_ko=t.get("title_ko", ""),
            title_en=t.get("title_en", ""),
        )
    return {**data, **more, "ranking": ranking}


def review(
    quarter: QuarterArgument,
    as_json: Annotated[bool, typer.Option("--json", help="Print the ranking as JSON.")] = False,
    as_of: Annotated[
        datetime | None,
        typer.Option(
            "--as-of",
            parser=parse.time,
            metavar="TIME",
            help="Replay as known at this recorded time (ISO 8601); records nothing.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Score a quarter in-process, record the review as an event, and print the ranking.

    Run again on the same log, it finds the same inputs digest and records nothing new.
    With --as-of it replays the review as it was known then, e.g. to reproduce a past one.
    """
    from impact import review_service
    from impact.orchestration.run import (
        outcome_of,
        partition_key_of,
        reviewable,
        run_load,
        run_review,
    )
    from impact.projections.scoring import programme_titles
    from impact.report.table import ranking_table

    if as_of is None:
        reviewable(partition_key_of(quarter))  # before anything is built or recorded
    with bootstrap() as platform:
        store = platform.projections
        if as_of is not None:
            run_load(platform.settings)
            replay = review_service.replay(store, quarter, as_of=as_of)
            titles = programme_titles(store)
            if as_json:
                print_json(
                    _ranking_json(
                        replay.review,
                        titles,
                        recorded=False,
                        replay=True,
                        matches_recorded=replay.matches_recorded,
                    )
                )
            else:
                out.print(ranking_table(replay.review, titles))
                out.print(f"inputs digest {replay.review.inputs_digest}")
            err.print(replay.note)
            return
        outcome = outcome_of(run_review(platform.settings, partition_key_of(quarter)), store)
        titles = programme_titles(store)
    done = outcome.review
    if not done.candidates:
        err.print(
            f"no programme is a candidate for {quarter}: a programme counts in the review of "
            "a quarter it runs in, when registered (--occurred-at) before that quarter ends"
        )
    if as_json:
        print_json(_ranking_json(done, titles, recorded=outcome.recorded, decided=outcome.decided))
        err.print(outcome.note)
    else:
        out.print(ranking_table(done, titles))
        for candidate in done.candidates:
            for flag in candidate.flags:
                out.print(
                    f"⚑ {candidate.program_code} {flag.metric} ({flag.kind}): {flag.reason}"
                    f" — counted {flag.treatment.replace('_', ' ')}"
                )
        out.print(f"inputs digest {done.inputs_digest} · as of {done.as_of.isoformat()}")
        out.print(outcome.note)


def report(
    quarter: QuarterArgument,
    out_file: Annotated[Path, typer.Option("--out", help="The HTML file to write.")],
) -> None:
    """Write the council's report of a quarter: one self-contained HTML page (Korean and English)."""
    from impact.orchestration.run import partition_key_of, reviewable, run_load
    from impact.review_service import write_report

    reviewable(partition_key_of(quarter))  # a quarter that can have a review, and so a report
    with bootstrap() as platform:
        run_load(platform.settings)
        size = write_report(platform.projections, quarter, out_file)
    out.print(f"wrote the council report of {quarter} to {out_file} ({size // 1024} KiB)")


@council_app.command("decide")
def council_decide(
    quarter: Annotated[
        Quarter,
        typer.Argument(parser=parse.quarter, help="The review's quarter, e.g. 2019Q1."),
    ],
    program: Annotated[str, typer.Argument(help="Programme code, e.g. P-BPA-01.")],
    reason: Annotated[str, typer.Option(help="Why the council decided so.")],
    promote: Annotated[
        bool, typer.Option("--promote", help="Make it a joint project (or --defer, --decline).")
    ] = False,
    defer: Annotated[
        bool,
        typer.Option("--defer", help="Decide again in a later quarter (or --promote, --decline)."),
    ] = False,
    decline: Annotated[
        bool, typer.Option("--decline", help="Do not promote it (or --promote, --defer).")
    ] = False,
    meeting: Annotated[
        str | None, typer.Option(help="Meeting reference (default: council-QUARTER).")
    ] = None,
    participant: Annotated[
        list[str],
        typer.Option(help="Agency of the joint project (repeat; default: every active agency)."),
    ] = [],  # noqa: B006
    actor: Annotated[str, typer.Option(help="Who records it, as the log names them.")] = "council",
    occurred_at: parse.OccurredAt = None,
) -> None:
    """Record the council's decision on a programme the quarter's review scored: exactly one
    of --promote, --defer or --decline is required.

    Run `impact review QUARTER` first; the decision is published to the events topic by the
    next `impact load` (or review)."""
    chosen = [
        name
        for name, flag in (("promote", promote), ("defer", defer), ("decline", decline))
        if flag
    ]
    if len(chosen) != 1:
        raise typer.BadParameter(
            "choose exactly one of them", param_hint="'--promote', '--defer' or '--decline'"
        )
    q = str(quarter)
    command = c.DecidePromotion(
        quarter=q,
        program_code=program,
        decision=chosen[0],  # type: ignore[arg-type]
        reason=reason,
        meeting_ref=meeting or f"council-{q}",
        participants=tuple(participant),
        actor=actor,
        occurred_at=occurred_at or parse.now(),
    )
    with bootstrap() as platform:
        settings = platform.settings
        changed = platform.ledger.handle(command)
        joint = (
            platform.ledger.program(program).joint_participants if chosen[0] == "promote" else ()
        )
    if not changed:
        recorded(False, "", f"{program}: {chosen[0]} in the review of {q}")
        return
    if joint:
        out.print(f"{program} promoted in the review of {q}: a joint project of {', '.join(joint)}")
    else:
        out.print(f"{program}: {chosen[0]} recorded in the review of {q}")
    out.print(f"the next load publishes the decision to {settings.events_topic}")
