"""The main job: the bundled Busan 2018-2021 scenario through the whole platform.

It plays the scenario (``impact.scenario``) on the ledger of the current settings:
citizens' proposals and the expert panel through the proposal desk, the agencies'
signed submissions through Kafka and the ingest, twelve quarterly reviews through
the relay, ClickHouse and Dagster, and the council's decisions. It ends with the
ranking of the last quarter reviewed and the council's report.

How far it got is known from the ledger itself: each act is stored together with a
tracking record of its position in the scenario (``impact.scenario.runner``), so a
run killed at any instant resumes exactly after the last act stored, says so, and a
finished one shows its result. ``<state>/demo.json`` names the scenario played (seed,
scale, last quarter), written before the first act; ``--fresh`` starts clean (it
deletes the ledger's state and topics).
"""

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from impact.bootstrap import bootstrap, build_ledger
from impact.domain.quarter import Quarter
from impact.errors import DemoStateError
from impact.kafka import delete_topics, keep_running, ledger_topics
from impact.scenario.generator import Act, Scenario, build_scenario
from impact.scenario.runner import RunReport, ScenarioRunner, progress_name
from impact.settings import Settings


@dataclass
class Played:
    """Which scenario the ledger holds (how far it got is in the ledger)."""

    seed: int
    scale: int
    until: str | None
    finished_before: bool = False
    """A run recorded before progress was kept in the ledger said it had finished."""

    @classmethod
    def load(cls, path: Path) -> "Played | None":
        if not path.exists():
            return None
        data = json.loads(path.read_text())
        return cls(data["seed"], data["scale"], data["until"], bool(data.get("done")))

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.__dict__))
        tmp.replace(path)


def wipe(settings: Settings) -> None:
    """Delete the ledger's state (event store, ClickHouse, keys) and its Kafka topics."""
    delete_topics(settings.kafka, [t.name for t in ledger_topics(settings.topics)])
    for name in (
        "events.sqlite",
        "events.sqlite-wal",
        "events.sqlite-shm",
        "subject-keys.sqlite",
        "demo.json",
        "reports",
    ):
        path = settings.state_dir / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    clickhouse = settings.clickhouse_dsn
    if clickhouse.startswith("chdb://"):
        shutil.rmtree(clickhouse[len("chdb://") :], ignore_errors=True)


MAIN_JOB_PATIENCE = 120.0
"""Seconds of Kafka failures in a row the main job waits out before it gives up (exit 2)."""


def run_demo(
    settings: Settings,
    out: Console,
    seed: int = 20181128,
    scale: int = 1,
    until: str | None = None,
    fresh: bool = False,
) -> RunReport | None:
    progress_file = settings.state_dir / "demo.json"
    if fresh:
        with out.status("starting clean: deleting the ledger's state and topics"):
            wipe(settings)
    state = Played.load(progress_file)
    ledger = build_ledger(settings)
    if state is None and ledger.max_notification_id() > 0:
        raise DemoStateError(
            f"the ledger in {settings.state_dir} already holds events the demo did not record; "
            f"run `impact demo --fresh` to start clean (this deletes them), or set IMPACT_STATE_DIR"
        )
    if state is not None and (state.seed, state.scale, state.until) != (seed, scale, until):
        raise DemoStateError(
            f"the ledger holds the scenario with seed {state.seed}, scale {state.scale}, until "
            f"{state.until}; run `impact demo --fresh` to start clean with other settings"
        )
    scenario = build_scenario(seed=seed, scale=scale)
    acts = scenario.acts
    if until is not None:
        last = str(Quarter.parse(until))
        cutoff = next(
            (a.at for a in acts if a.kind == "council" and a.data["quarter"] == last), None
        )
        if cutoff is None:
            raise DemoStateError(
                f"the scenario reviews 2019Q1 to 2021Q4; {until} is not among them"
            )
        acts = scenario.acts = [a for a in acts if a.at <= cutoff]
    progress = progress_name(seed, scale, until)
    played = ledger.tracked_position(progress) or 0
    ledger.close()
    done = played > len(acts) or (state is not None and state.finished_before)
    if done:
        out.print(
            f"the scenario is already recorded (seed {seed}, scale {scale}): showing the result; "
            f"`impact demo --fresh` starts clean"
        )
    elif state is not None:
        out.print(f"resuming the interrupted run after act {played} of {len(acts)}")
    else:
        out.print(
            f"starting clean: the Busan scenario, {len(acts)} acts (seed {seed}, scale {scale})"
        )
        Played(seed, scale, until).save(progress_file)

    report = None
    if not done:

        def where() -> int:
            """How many acts the ledger says were played (kept with the data)."""
            ledger = build_ledger(settings)
            try:
                return ledger.tracked_position(progress) or 0
            finally:
                ledger.close()

        # A Kafka failure (a node of a cluster restarting under it) is waited out: the play
        # starts again from the acts the ledger holds, as after a kill.
        report = keep_running(
            lambda: _play(scenario, settings, progress, out),
            "the main job",
            give_up_after=settings.kafka_patience or MAIN_JOB_PATIENCE,
            progress=where,
        )
    reviews = [Quarter.parse(a.data["quarter"]) for a in acts if a.kind == "review"]
    _finish(settings, out, reviews[-1])
    return report


def _play(scenario: Scenario, settings: Settings, progress: str, out: Console) -> RunReport:
    """Play the acts the ledger does not hold yet (it tracks how many were played)."""
    from impact.orchestration.run import partition_key_of, run_review

    def review(quarter: str) -> None:
        run_review(settings, partition_key_of(Quarter.parse(quarter)))

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with bootstrap(settings) as platform, Progress(*columns, console=out, transient=False) as bar:
        played = platform.ledger.tracked_position(progress) or 0
        order = {act.seq: n for n, act in enumerate(scenario.acts, start=1)}
        task = bar.add_task("acts", total=len(scenario.acts), completed=played)

        def on_act(act: Act) -> None:
            bar.update(task, completed=order[act.seq], description=_describe(act))
            if act.kind in ("review", "council") and not out.is_terminal:
                # No live bar in a log: a line per quarterly step instead.
                out.print(f"[{order[act.seq]}/{len(scenario.acts)}] {_describe(act)} done")

        runner = ScenarioRunner(scenario, platform, review, on_act=on_act, progress=progress)
        report = runner.run()
    out.print(
        f"played {report.acts} acts: {report.submissions_sent} submissions sent, {report.applied} applied, "
        f"{report.rejected} rejected ({', '.join(f'{k} {v}' for k, v in sorted(report.rejection_codes.items()))}); "
        f"{report.reviews} quarterly reviews; council: "
        + ", ".join(f"{k} {v}" for k, v in sorted(report.decisions.items()))
    )
    if report.promoted:
        out.print(
            "promoted to joint projects: " + ", ".join(f"{p} ({q})" for p, q in report.promoted)
        )
    return report


def _describe(act: Act) -> str:
    if act.kind in ("review", "council"):
        return f"{act.at:%Y-%m-%d} {act.kind} {act.data['quarter']}"
    return f"{act.at:%Y-%m-%d} {act.kind}"


def _finish(settings: Settings, out: Console, quarter: Quarter) -> None:
    from impact.orchestration.run import (
        materialized,
        outcome_of,
        partition_key_of,
        run_load,
        run_review,
    )
    from impact.projections.scoring import programme_titles
    from impact.projections.store import ProjectionStore
    from impact.report.table import ranking_table

    with out.status(f"the ranking of {quarter} and the council's report"):
        store = ProjectionStore(settings.clickhouse)
        result = run_review(settings, partition_key_of(quarter))
        review = outcome_of(result, store).review
        path = materialized(result, "council_report")["path"]
        run_load(settings)  # the load's checks, on the log as the main job leaves it
    out.print(ranking_table(review, programme_titles(store)))
    out.print(f"inputs digest {review.inputs_digest}")
    out.print(f"council report: {path}")
