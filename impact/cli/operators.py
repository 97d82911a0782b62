"""``impact relay``, ``impact load`` and ``impact demo``: what operators run.

The relay publishes the ledger's stored events to the events topic (``IMPACT_EVENTS_TOPIC``,
``impact.events`` by default); the load job carries
them into ClickHouse's projections; the demo plays the Busan scenario through all of it.
"""

import socket
from collections.abc import Callable
from typing import Annotated, TypeVar

import typer

from impact.cli import parse
from impact.cli.lazy import bootstrap
from impact.cli.render import err, out
from impact.domain.quarter import Quarter
from impact.errors import InfrastructureError, LogError
from impact.settings import Settings

T = TypeVar("T")

UNTIL_IDLE_PATIENCE = 30.0
"""Seconds a command run ``--until-idle`` keeps trying to reach Kafka before it gives up
(exit 2); a long-running relay or ingest keeps trying for ``LONG_RUNNING_PATIENCE``."""
LONG_RUNNING_PATIENCE = 120.0


def keep_publishing(
    work: Callable[[], T],
    what: str,
    settings: Settings,
    until_idle: bool,
    progress: Callable[[], object] | None = None,
) -> T:
    """``work`` run again after each Kafka failure, as ``keep_running`` does, for a bounded
    time of failures in a row (``progress``: how far the work has got, so a run that moved
    it starts the count again): then the error says what could not be reached, and the
    command exits 2."""
    from impact.kafka import keep_running

    patience = settings.kafka_patience or (
        UNTIL_IDLE_PATIENCE if until_idle else LONG_RUNNING_PATIENCE
    )
    try:
        return keep_running(work, what, give_up_after=patience, progress=progress)
    except LogError as exc:
        raise InfrastructureError(
            f"{what} gave up after {patience:.0f} s of failures to reach Kafka at "
            f"{settings.kafka_bootstrap_servers} ({exc}); start the broker (`make up`) or set "
            "KAFKA_BOOTSTRAP_SERVERS to a running one"
        ) from exc


def relay(
    until_idle: Annotated[
        bool,
        typer.Option(
            "--until-idle",
            help="Stop when caught up; give up with exit 2 when Kafka cannot be reached.",
        ),
    ] = False,
) -> None:
    """Publish stored domain events to the events topic, IMPACT_EVENTS_TOPIC (impact.events by
    default), exactly once and in order per aggregate; without --until-idle it keeps running."""
    with bootstrap() as platform:
        publisher = platform.relay()
        stats = keep_publishing(
            lambda: publisher.run(
                until_idle=until_idle,
                on_batch=lambda s: err.print(
                    f"relayed {s.published} (up to notification {s.last_notification_id})"
                ),
            ),
            "the relay",
            platform.settings,
            until_idle,
            progress=lambda: publisher.stats.published,
        )
    out.print(
        f"relay: {stats.published} events published after notification {stats.resumed_after}"
        + (f"; {stats.foreign} foreign records on the topic reported" if stats.foreign else "")
    )


def load(
    follow: Annotated[
        bool,
        typer.Option(
            "--follow",
            help="Keep loading the events topic as it grows (the loader alone: no relay, no "
            "Dagster run); the embedded ClickHouse stays open in this process meanwhile.",
        ),
    ] = False,
) -> None:
    """Run the load job in-process: relay, load into ClickHouse, refresh projections."""
    if follow:
        _follow()
        return
    from impact.orchestration.run import materialized, run_load

    with bootstrap() as platform:
        meta = materialized(run_load(platform.settings), "raw_events")
    out.print(f"loaded {meta['loaded']} records; ClickHouse holds {meta['distinct_events']} events")


def _follow() -> None:
    """The loader kept running, as a process of its own beside the relay and the ingest: each
    stored batch is said on standard error ("loaded N records", counting from this process's
    start), a Kafka outage is waited out for ``LONG_RUNNING_PATIENCE`` seconds, and each start
    again resumes from what ClickHouse holds."""
    with bootstrap() as platform:
        earlier = 0  # what the starts before this one loaded

        def once() -> None:
            nonlocal earlier
            loader = platform.loader()
            try:
                loader.run(
                    until_idle=False,
                    on_batch=lambda s: err.print(
                        f"loaded {earlier + s.loaded} records", markup=False
                    ),
                )
            finally:
                earlier += loader.stats.loaded

        keep_publishing(
            once, "the loader", platform.settings, until_idle=False, progress=lambda: earlier
        )


def demo(
    scale: Annotated[int, typer.Option(help="Multiply programmes and outcomes (load tests).")] = 1,
    seed: Annotated[int, typer.Option(help="Seed of the scenario generator.")] = 20181128,
    until: Annotated[
        Quarter | None,
        typer.Option(
            parser=parse.quarter,
            metavar="QUARTER",
            help="Stop after the council of this quarter, e.g. 2019Q4.",
        ),
    ] = None,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Start clean: delete the ledger's state and topics.")
    ] = False,
) -> None:
    """The main job: Busan 2018-2021 through Kafka, the ledger, ClickHouse and Dagster, with the review."""
    from impact.demo import run_demo

    with bootstrap() as platform:
        _require_local_broker(platform.settings)
        run_demo(
            platform.settings,
            out,
            seed=seed,
            scale=scale,
            until=str(until) if until else None,
            fresh=fresh,
        )


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


def acls() -> None:
    """Print the commands that create the ledger's principals and ACLs on a Kafka cluster.

    The local broker (`impact-dev infra up`) makes them itself; a production cluster gets
    them from its operator: run these with an administrator's admin.properties, after
    creating the topics (the relay and the ingest create missing ones only where they hold
    the administrator's login).
    """
    from impact.kafka.access import grant_commands
    from impact.kafka.clients import topic_commands

    settings = Settings()
    bootstrap_servers = settings.kafka_bootstrap_servers
    out.print(
        "# admin.properties: security.protocol=SASL_SSL, sasl.mechanism=SCRAM-SHA-512,\n"
        "#   sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required\n"
        '#   username="admin" password="…"; and ssl.truststore.* for the cluster\'s CA.\n'
        "# The broker: authorizer.class.name=org.apache.kafka.metadata.authorizer."
        "StandardAuthorizer,\n"
        "#   allow.everyone.if.no.acl.found=false, super.users=User:admin (and the brokers' own).",
        soft_wrap=True,
    )
    for line in [
        *topic_commands(bootstrap_servers, settings.topics),
        *grant_commands(bootstrap_servers, settings.topics, settings.relay_transactional_id),
    ]:
        out.print(line, soft_wrap=True, markup=False, highlight=False)
