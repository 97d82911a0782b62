"""The ``impact`` application: the audience modules' commands on one typer app, and ``main``."""

import typer

from impact.cli import (
    agencies,
    audit,
    council,
    desk,
    evidence,
    operators,
    people,
    reference,
    setup,
)
from impact.cli.run import run_typer

app = typer.Typer(
    help="Busan social-value impact ledger: proposals, programmes, outcomes and promotion reviews.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(audit.audit_app, name="audit")
app.add_typer(audit.privacy_app, name="privacy")
app.add_typer(agencies.keys_app, name="keys")
app.command("submit")(agencies.submit)
app.command("ingest")(agencies.ingest)
app.add_typer(desk.proposal_app, name="proposal")
app.add_typer(desk.program_app, name="program")
app.add_typer(evidence.evidence_app, name="evidence")
app.add_typer(council.council_app, name="council")
app.add_typer(setup.schema_app, name="schema")
app.command("init")(setup.init)
app.command("relay")(operators.relay)
app.command("acls")(operators.acls)
app.command("load")(operators.load)
app.command("review")(council.review)
app.command("report")(council.report)
app.command("demo")(operators.demo)
app.command("catalogue")(reference.catalogue)
app.command("plan")(reference.plan)
app.command("export")(people.export)
app.add_typer(people.submissions_app, name="submissions")
app.add_typer(people.template_app, name="template")
app.command("site")(people.site)


def main() -> None:
    run_typer(app)
