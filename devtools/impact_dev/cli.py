"""``impact-dev``: the local services and the benchmarks, for development and CI only.

Production runs none of this: it points ``KAFKA_BOOTSTRAP_SERVERS``, ``EVENT_STORE_DSN``
and ``CLICKHOUSE_DSN`` at managed services and uses the ``impact`` command alone.
"""

import typer

from impact.cli.run import run_typer
from impact_dev.bench.cli import bench as bench_command
from impact_dev.cli_infra import app as infra_app
from impact_dev.cli_postgres import app as postgres_app
from impact_dev.kill_campaign import kill_campaign

app = typer.Typer(
    help="Development tools of the Busan impact ledger: the local Kafka broker, the local "
    "PostgreSQL server, the benchmarks and the kill campaign.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(infra_app, name="infra")
app.add_typer(postgres_app, name="postgres")
app.command("bench")(bench_command)
app.command("kill-campaign")(kill_campaign)


def main() -> None:
    run_typer(app)


if __name__ == "__main__":
    main()
