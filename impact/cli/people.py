"""``impact export``, ``impact submissions status``, ``impact template`` and ``impact site``:
the people around the ledger who are not its staff.

The public and other systems take open data (``export``); an agency's staff fill in a
workbook (``template``) and read what became of what they sent (``submissions status``);
citizens follow their proposals on a static site (``site``).
"""

from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from impact.cli import parse
from impact.cli.lazy import bootstrap
from impact.cli.render import err, out, print_json
from impact.domain.quarter import Quarter

if TYPE_CHECKING:
    from impact.bootstrap import Platform
    from impact.ingest.client import Sent

QuarterArgument = Annotated[
    Quarter,
    typer.Argument(parser=parse.quarter, help="Quarter, e.g. 2019Q4.", show_default=False),
]
OutDir = Annotated[Path, typer.Option("--out", help="Folder to write into (created if missing).")]


class ExportFormat(StrEnum):
    csv = "csv"
    parquet = "parquet"


def export(
    quarter: QuarterArgument,
    fmt: Annotated[
        ExportFormat,
        typer.Option("--format", help="csv (UTF-8 with a BOM, for Excel) or parquet."),
    ] = ExportFormat.csv,
    out_dir: OutDir = Path("open-data"),
) -> None:
    """Open data of a quarter: programmes, outcomes (every version), scores, decisions and
    proposals (no personal data), with a data dictionary and JSON Schema beside them."""
    from impact.export import export_quarter

    with bootstrap() as platform:
        written = export_quarter(platform.projections, quarter, fmt.value, out_dir)
    for w in written:
        out.print(f"{w.path}  {w.rows} rows")
    out.print(f"{out_dir / 'data-dictionary.md'}  (한국어 / English), schema/*.schema.json")


submissions_app = typer.Typer(
    help="Agencies: what became of the submissions they sent (receipts).", no_args_is_help=True
)


@submissions_app.command("status")
def submissions_status(
    agency: Annotated[str, typer.Option(help="Agency code, e.g. KAMCO.")],
    since: Annotated[
        datetime | None,
        typer.Option(
            parser=parse.time,
            metavar="TIME",
            help="Only verdicts from this time on (ISO 8601).",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the receipts as JSON.")] = False,
) -> None:
    """Each submission of the agency with the desk's verdict: applied, or refused with its
    code and message, as the ledger recorded it."""
    from impact.agency_keys import check_agency_code
    from impact.receipts import receipts

    check_agency_code(agency)
    with bootstrap() as platform:
        found = receipts(platform.ledger, agency, since)
    if as_json:
        print_json([r.as_json() for r in found])
        return
    if not found:
        out.print(f"no verdict on a submission of {agency} is recorded" + _since(since))
        return
    table = Table("at (UTC)", "submission", "verdict", "code", "message")
    for r in found:
        table.add_row(
            f"{r.at:%Y-%m-%d %H:%M}",
            r.submission_id,
            r.verdict if r.verified else f"{r.verdict} (unverified)",
            "" if r.code == "applied" else r.code,
            r.message,
        )
    out.print(table)
    refused = sum(1 for r in found if r.refused)
    out.print(f"{len(found) - refused} applied, {refused} refused" + _since(since))


def _since(since: datetime | None) -> str:
    return f" since {since.isoformat()}" if since else ""


def wait_and_print(platform: "Platform", agency: str, sent: "list[Sent]", seconds: float) -> None:
    """After ``impact submit --wait``: the desk's verdict on each message sent, as it comes;
    exit status 1 if any was refused, 3 if some verdict did not come within ``seconds``."""
    from impact.receipts import Receipt, wait_for_verdicts

    err.print(f"waiting up to {seconds:g} s for the desk's verdicts on {len(sent)} submissions")

    def show(item: "Sent", receipt: Receipt) -> None:
        if receipt.refused:
            out.print(f"refused  {receipt.submission_id}  {receipt.code}: {receipt.message}")
        else:
            out.print(f"applied  {receipt.submission_id}  ({receipt.kind})")

    found, pending = wait_for_verdicts(
        platform.ledger,
        agency,
        sent,
        platform.settings.submissions_topic,
        seconds,
        on_verdict=show,
    )
    refused = sum(1 for _, r in found if r.refused)
    out.print(
        f"{len(found) - refused} applied, {refused} refused"
        + (f", {len(pending)} without a verdict after {seconds:g} s" if pending else "")
    )
    for item in pending:
        err.print(
            f"no verdict yet on {item.submission_id}: is `impact ingest` running? "
            f"`impact submissions status --agency {agency}` shows it once decided"
        )
    if refused:
        raise typer.Exit(1)
    if pending:
        raise typer.Exit(3)


template_app = typer.Typer(
    help="Agencies: workbooks to fill in and send with `impact submit`.", no_args_is_help=True
)


@template_app.command("outcomes")
def template_outcomes(
    agency: Annotated[str, typer.Option(help="Agency code, e.g. KAMCO.")],
    quarter: Annotated[
        Quarter,
        typer.Option(parser=parse.quarter, help="Quarter, e.g. 2021Q4.", show_default=False),
    ],
    out_file: Annotated[
        Path, typer.Option("--out", help="The workbook to write (.xlsx).", show_default=False)
    ],
) -> None:
    """A workbook of the agency's active programmes and the metrics each reports in the
    quarter, with units and targets (the log is loaded first, so it is current): fill in the
    actuals and send it with `impact submit`."""
    from impact.agency_keys import check_agency_code
    from impact.agency_sheets import template_rows, write_template

    check_agency_code(agency)
    if out_file.suffix.lower() != ".xlsx":
        out_file = out_file.with_suffix(".xlsx")
    from impact.orchestration.run import run_load

    with bootstrap() as platform:
        run_load(platform.settings)  # the projections as the ledger stands now
        rows = template_rows(platform.projections, agency, quarter)
    write_template(rows, agency, quarter, out_file)
    programmes = len({r.program_code for r in rows})
    out.print(f"{out_file}: {programmes} programmes, {len(rows)} rows to fill in")
    if not rows:
        err.print(f"no active programme of {agency} in {quarter} is known to the projections")
    err.print(
        f"next: fill in the yellow cells, then "
        f"`impact submit {out_file.name} --agency {agency} --wait`"
    )


def site(out_dir: OutDir = Path("site")) -> None:
    """The public site, static HTML that needs no server: every citizen proposal, what became
    of it, the programmes it became and their outcomes against targets (no personal data)."""
    from impact.site import build_site

    with bootstrap() as platform:
        pages = build_site(platform.projections, out_dir)
    out.print(
        f"{out_dir / 'index.html'}: {pages['proposals']} proposals, {pages['programmes']} "
        f"programmes, {pages['filters']} filtered lists"
    )
