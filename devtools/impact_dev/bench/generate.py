"""The bench's data: event stores filled through the ledger, built once and cached.

``build_store`` plays the bundled scenario (``build_scenario(scale=S)``, S chosen so the
scenario holds at least the wanted number of events) straight through the ledger: staff
acts through the ledger's use cases, agencies' signed submissions through the
submissions desk (signature checked, rules applied, a ``Submission.Accepted`` recorded
beside each), skipping Kafka on the way in. Quarterly reviews and council decisions are
left out (they need ClickHouse); scoring policy v1 is adopted so a replayed log can be
reviewed. It stops once the store holds the wanted number of events: the log is a
prefix of the scenario's history. The store is cached under ``.state/bench/cache``,
keyed by size, seed and a fingerprint of the domain code, and reused by every run.

``build_ingest_base`` makes a small store (consortium, keys, programmes) for the ingest
and latency figures, and ``outcome_submissions`` the signed outcome reports they send.
"""

import hashlib
import math
import os
import shutil
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from impact_dev.bench.common import Progress, cache_dir, fingerprint, remove, write_json

GENERATOR_VERSION = 2
STORE_SOURCES = ("impact/domain",)
"""The event classes: a store built by other code is rebuilt. (Bump GENERATOR_VERSION when
the generator itself changes what it stores.)"""
EVENTS_PER_SCALE = 1700
"""Roughly how many events each step of the scenario's scale adds (measured: ~1,740)."""

AGENCIES = ("KAMCO", "KIBO", "BPA", "HUG", "KOSPO", "KSD", "HF")
INGEST_METRICS = ("jobs_created", "youth_participants")
INGEST_QUARTERS = tuple(f"{y}Q{q}" for y in (2019, 2020, 2021) for q in (1, 2, 3, 4))


def scale_for(events: int) -> int:
    return max(1, math.ceil(events / EVENTS_PER_SCALE))


def _ledger(path: Path, cached: bool = True) -> Any:
    from impact.ledger import Ledger

    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)}
    if cached:
        # One writer: aggregates may stay in memory between acts.
        env |= {
            "AGGREGATE_CACHE_MAXSIZE": "50000",
            "AGGREGATE_CACHE_FASTFORWARD": "n",
            "DEEPCOPY_FROM_AGGREGATE_CACHE": "n",
        }
    return Ledger(env=env)


def open_ledger(path: Path) -> Any:
    """A ledger on a cached store, for reading (the relay's use)."""
    return _ledger(path, cached=False)


def bench_key(seed: int, agency: str) -> Any:
    """An agency's signing key in the benchmarks, derived from the seed so that cached stores
    and generated submissions agree. The benchmarks play every agency in one process, on
    stores of their own; the platform and the demo never derive an agency's key (each agency
    generates its own, in its own folder: ``impact.agency_keys``)."""
    from impact.signing import AgencyKeyPair

    secret = hashlib.sha256(f"impact-scenario:{seed}:{agency}".encode()).digest()
    return AgencyKeyPair.from_seed(agency, secret)


class ScenarioPlayer:
    """Plays scenario acts straight into a ledger (no Kafka), the way the runner's people would:
    staff acts as commands, agencies' messages through the submissions desk."""

    def __init__(self, ledger: Any, sealer: Any, seed: int) -> None:
        from impact.ingest.desk import SubmissionDesk
        from impact.scenario.acts import AGENCIES as SCENARIO_AGENCIES
        from impact.scenario.acts import ScenarioActs

        self.ledger = ledger
        self.acts = ScenarioActs({a: bench_key(seed, a) for a in SCENARIO_AGENCIES}, sealer)
        self.desk = SubmissionDesk()
        self.rejected = 0

    def play(self, act: Any) -> None:
        from impact.application.commands import AdoptBaselinePolicy, FoundConsortium
        from impact.ingest.desk import Source

        command = self.acts.command(act)
        if command is not None:
            self.ledger.handle(command)
            if isinstance(command, FoundConsortium):
                self.ledger.handle(AdoptBaselinePolicy(occurred_at=command.occurred_at))
            return
        message = self.acts.message(act)
        if message is not None:
            uow = self.ledger.unit_of_work(from_submissions=True)
            verdict = self.desk.process(
                message[2], Source("bench.generated", 0, act.seq, act.at), uow
            )
            self.rejected += verdict.rejected
            uow.commit()


def _build_dir(folder: Path) -> Path:
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK) and shutil.disk_usage(shm).free > 8 * 2**30:
        work = shm / f"impact-{folder.name}-{os.getpid()}"
        remove(work)
        work.mkdir(parents=True)
        return work
    folder.mkdir(parents=True)
    return folder


def build_store(
    events: int | None = None,
    seed: int = 20181128,
    scale: int | None = None,
    say: Callable[[str], None] = print,
) -> Path:
    """The cached event store: the scenario's first ``events`` events (``scale`` chosen to hold
    them), or with ``scale`` alone the whole scenario at that scale; built on first use."""
    from impact.bootstrap import build_sealer
    from impact.scenario.generator import build_scenario
    from impact.settings import Settings

    if events is None and scale is None:
        raise ValueError("give events or scale")
    scale = scale or scale_for(events or 0)
    label = f"{events}" if events else f"scale{scale}"
    folder = (
        cache_dir() / f"store-{label}-{fingerprint(STORE_SOURCES, GENERATOR_VERSION, label, seed)}"
    )
    done = folder / "done.json"
    if done.exists():
        return folder / "events.sqlite"
    remove(folder)
    what = f"{events:,} events" if events else "the whole scenario"
    say(
        f"building the event store: {what} (scenario scale {scale}, seed {seed}), once, "
        f"cached in {folder}"
    )
    # Built on tmpfs where there is one (no fsync per transaction), then moved into place.
    work = _build_dir(folder)
    try:
        started = time.monotonic()
        scenario = build_scenario(seed=seed, scale=scale)
        ledger = _ledger(work / "events.sqlite")
        player = ScenarioPlayer(ledger, build_sealer(Settings(state_dir=work)), seed)
        progress = Progress("events stored", events)
        played = stored = 0
        last_at = None
        for act in scenario.acts:
            if act.kind in ("review", "council"):
                continue
            player.play(act)
            played += 1
            last_at = act.at
            if played % 200 == 0:
                stored = ledger.max_notification_id()
                progress(stored)
                if events and stored >= events:
                    break
        stored = ledger.max_notification_id()
        ledger.close()
        if events and stored < events:
            raise RuntimeError(
                f"the scenario at scale {scale} holds only {stored} events; lower EVENTS_PER_SCALE"
            )
        if work != folder:
            shutil.move(str(work), str(folder))
    except BaseException:
        remove(work)
        remove(folder)
        raise
    path = folder / "events.sqlite"
    write_json(
        done,
        {
            "events": stored,
            "wanted": events,
            "scale": scale,
            "seed": seed,
            "acts_played": played,
            "rejected": player.rejected,
            "seconds": round(time.monotonic() - started, 1),
            "last_act_at": last_at.isoformat() if last_at else None,
            "bytes": os.path.getsize(path),
        },
    )
    progress(stored, force=True)
    return path


def store_info(path: Path) -> dict[str, Any]:
    import json

    return json.loads((path.parent / "done.json").read_text())


# -- the ingest's and latency's base --------------------------------------------------


def programme_code(n: int) -> str:
    return f"P-BENCH-{n:05d}"


def build_ingest_base(programmes: int, seed: int = 20181128) -> Path:
    """A store with the consortium, the scenario's agency keys and ``programmes`` programmes."""
    from impact.application.commands import AdoptBaselinePolicy, FoundConsortium, RegisterKey
    from impact.contract.submissions import RegisterProgram
    from impact.domain.consortium import AgencyKey
    from impact.domain.program import Target
    from impact.signing import public_key_text

    folder = cache_dir() / f"ingest-base-{programmes}-{fingerprint(STORE_SOURCES, 'ingest', seed)}"
    path, done = folder / "events.sqlite", folder / "done.json"
    if done.exists():
        return path
    remove(folder)
    folder.mkdir(parents=True)
    ledger = _ledger(path)
    declared = datetime(2018, 11, 28, 12, tzinfo=UTC)
    ledger.handle(FoundConsortium())
    ledger.handle(AdoptBaselinePolicy(occurred_at=declared))
    for agency in AGENCIES:
        pair = bench_key(seed, agency)
        key = AgencyKey(
            agency=agency,
            key_id=pair.key_id,
            public_key=public_key_text(pair.public),
            valid_from=declared,
        )
        ledger.handle(RegisterKey(key=key, actor="consortium-secretariat", occurred_at=declared))
    targets = tuple(
        Target(metric=m, quarter=q, value=Decimal(100))
        for m in INGEST_METRICS
        for q in INGEST_QUARTERS
    )
    for n in range(programmes):
        ledger.handle(
            RegisterProgram.create(
                submission_id=f"bench:register:{n}",
                agency=AGENCIES[n % len(AGENCIES)],
                submitted_at=declared + timedelta(days=10),
                program_code=programme_code(n),
                task_code="S1-T1",
                title_ko=f"벤치 사업 {n}",
                title_en=f"Bench programme {n}",
                budget_krw=50_000_000,
                starts_on=date(2019, 1, 1),
                ends_on=date(2021, 12, 31),
                targets=targets,
            )
        )
    ledger.close()
    write_json(done, {"programmes": programmes})
    return path


def outcome_submissions(
    count: int,
    programmes: int,
    seed: int = 20181128,
    prefix: str = "B",
) -> Iterator[tuple[str, bytes, bytes]]:
    """``count`` signed outcome reports, spread over the base's programmes: (id, key, message)."""
    from impact.ingest.client import routing_key, sign_submission

    keys = {a: bench_key(seed, a) for a in AGENCIES}
    slots = [(m, q) for q in INGEST_QUARTERS for m in INGEST_METRICS]
    for i in range(count):
        n, slot = i % programmes, i // programmes
        if slot >= len(slots):
            raise ValueError(f"{count} reports need more than {programmes} programmes")
        metric, quarter = slots[slot]
        agency, code = AGENCIES[n % len(AGENCIES)], programme_code(n)
        year, q = int(quarter[:4]), int(quarter[-1])
        sent = datetime(year, 3 * q, 28, 9, tzinfo=UTC) + timedelta(days=10)
        submission = {
            "schema_version": 1,
            "kind": "outcome.report",
            "submission_id": f"{prefix}-{i:07d}",
            "agency": agency,
            "submitted_at": sent.isoformat(),
            "program_code": code,
            "report_id": f"{prefix}/{code}/{metric}/{quarter}",
            "metric": metric,
            "quarter": quarter,
            "value": str(50 + i % 100),
            "evidence": {
                "uri": f"https://evidence.example/{agency}/{i}.pdf",
                "sha256": f"{i:064x}",
            },
        }
        yield (
            str(submission["submission_id"]),
            routing_key(submission),
            sign_submission(keys[agency], submission),
        )


def programmes_for(count: int) -> int:
    """Programmes enough for ``count`` reports (one per metric and quarter each)."""
    return max(7, math.ceil(count / (len(INGEST_METRICS) * len(INGEST_QUARTERS))))
