"""``impact catalogue`` and ``impact plan``: what the ledger's entries refer to.

A report names a metric of the catalogue (in its unit, within its range); a programme and
an adopted proposal name a task of the plan. These two commands list them, so nobody has
to read the source to find a code.
"""

from datetime import date
from typing import Annotated

import typer
from rich.table import Table

from impact.cli import parse
from impact.cli.lazy import bootstrap
from impact.cli.render import err, out, print_json
from impact.domain.metrics import CURRENT_CATALOGUE
from impact.domain.plan import DECLARED_ON, STRATEGIES_2018, TASKS_2018, PlanVersion
from impact.errors import NotFoundError

AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def catalogue(as_json: AsJson = False) -> None:
    """The metric catalogue: each metric's code, unit, allowed range, names in Korean and
    English, how a quarter's reports add up and which way is better. `program report
    --metric` takes a code from here and `--value` a number in its unit, within its range."""
    metrics = CURRENT_CATALOGUE.metrics
    if as_json:
        print_json(CURRENT_CATALOGUE.model_dump(mode="json"))
        return
    table = Table(title=f"metric catalogue v{CURRENT_CATALOGUE.version}")
    for column, justify in (
        ("metric", "left"),
        ("unit", "left"),
        ("range", "right"),
        ("strategy", "left"),
        ("adds up as", "left"),
        ("better", "left"),
        ("name (ko)", "left"),
        ("name (en)", "left"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for m in metrics:
        table.add_row(
            m.code,
            m.unit,
            f"{m.minimum}..{m.maximum}",
            m.strategy,
            m.aggregation,
            m.better,
            m.name_ko,
            m.name_en,
        )
    out.print(table)


def _declared() -> PlanVersion:
    return PlanVersion(
        revision=1, effective_on=DECLARED_ON, strategies=STRATEGIES_2018, tasks=TASKS_2018
    )


def plan(
    on: Annotated[
        date | None,
        typer.Option(
            parser=parse.date,
            metavar="DATE",
            help="The plan's revision in force on this day, YYYY-MM-DD (default: today).",
            show_default=False,
        ),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """The plan: its strategies and their tasks, as in force on a day. `program register
    --task` and `proposal adopt --task` take a task code from here (e.g. S4-T2)."""
    day = on or parse.now().date()
    with bootstrap() as platform:
        try:
            version = platform.ledger.plan().version_on(day)
        except NotFoundError:
            version = _declared()
            err.print("the plan is not declared in this ledger yet (`impact init` declares it)")
    if as_json:
        print_json(version.model_dump(mode="json"))
        return
    table = Table(
        title=f"the plan, revision {version.revision} in force since {version.effective_on}"
    )
    for column in ("code", "name (ko)", "name (en)"):
        table.add_column(column)
    for strategy in version.strategies:
        table.add_row(strategy.code, strategy.name_ko, strategy.name_en, style="bold")
        for task in version.tasks:
            if task.strategy == strategy.code:
                table.add_row(f"  {task.code}", task.name_ko, task.name_en)
    out.print(table)
    if version.note:
        out.print(version.note)
