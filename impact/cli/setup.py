"""``impact init`` and ``impact schema export``: founding the ledger, and its public contract."""

from pathlib import Path
from typing import Annotated

import typer

from impact.cli import parse
from impact.cli.lazy import bootstrap
from impact.cli.lazy import commands as c
from impact.cli.render import out
from impact.contract.schemas import export

schema_app = typer.Typer(help="The public contract as JSON Schema files.", no_args_is_help=True)


def init() -> None:
    """Found the consortium (7 agencies and Busan City) and declare the 2018 plan, once."""
    with bootstrap() as platform:
        did = platform.ledger.handle(c.FoundConsortium())
        out.print("founded the consortium and declared the plan" if did else "already founded")
        if platform.ledger.handle(c.AdoptBaselinePolicy(occurred_at=parse.now())):
            out.print("adopted scoring policy v1, in force since the founding quarter")


@schema_app.command("export")
def schema_export(
    directory: Annotated[Path, typer.Argument(help="Where to write the files.")],
) -> None:
    """Write one JSON Schema per message type of the contract."""
    written = export(directory)
    out.print(f"wrote {len(written)} schemas under {directory}")
