"""``impact``: the command line of the ledger, for staff, agencies, the council, auditors
and operators.

One module per audience, each a few commands::

    setup       init, schema export                      founding the ledger, its contract
    desk        proposal …, program …                    the proposal desk and staff
    agencies    keys …, submit, ingest                   agencies and the submissions desk
    council     review, report, council decide           the council's quarter
    audit       audit …, privacy …                       auditors, the data-protection officer
    operators   relay, load, demo                        operators

and what they share: ``parse`` (what a person types), ``render`` (what is printed, and
where) and ``run`` (exit statuses: 0 done, 2 the user's error as one line, 1 otherwise).
Every command builds its services once, through ``impact.bootstrap``.
"""

import typer

from impact.cli import agencies, audit, council, desk, operators, setup
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
app.add_typer(council.council_app, name="council")
app.add_typer(setup.schema_app, name="schema")
app.command("init")(setup.init)
app.command("relay")(operators.relay)
app.command("load")(operators.load)
app.command("review")(council.review)
app.command("report")(council.report)
app.command("demo")(operators.demo)


def main() -> None:
    run_typer(app)
