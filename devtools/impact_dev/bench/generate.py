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

GENERATOR_VERSION = 1
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


class ScenarioPlayer:
    """Plays scenario acts straight into a ledger (no Kafka), the way the runner's people would."""

    def __init__(self, ledger: Any, sealer: Any, seed: int) -> None:
        from impact.ingest.desk import SubmissionDesk
        from impact.scenario.runner import scenario_key

        self.ledger = ledger
        self.sealer = sealer
        self.desk = SubmissionDesk(ledger)
        self.keys = {a: scenario_key(seed, a) for a in (*AGENCIES, "BNK")}
        self.rejected = 0

    def play(self, act: Any) -> None:
        handler = getattr(self, "_" + act.kind.replace(".", "_"), None)
        if handler is not None:
            handler(act)

    def _found(self, act: Any) -> None:
        self.ledger.found()
        self.ledger.ensure_baseline_policy()

    def _key_register(self, act: Any) -> None:
        from impact.domain.consortium import AgencyKey
        from impact.signing import public_key_text

        pair = self.keys[act.data["agency"]]
        self.ledger.register_key(
            AgencyKey(
                agency=pair.agency,
                key_id=pair.key_id,
                public_key=public_key_text(pair.public),
                valid_from=act.at,
            ),
            actor="consortium-secretariat",
        )

    def _member_join(self, act: Any) -> None:
        from impact.domain.consortium import Member

        d = act.data
        self.ledger.admit_member(
            Member(
                code=d["code"],
                name_ko=d["name_ko"],
                name_en=d["name_en"],
                joined_on=date.fromisoformat(d["joined_on"]),
            ),
            actor="BUSAN",
            occurred_at=act.at,
        )

    def _proposal_submit(self, act: Any) -> None:
        from impact.privacy import PersonalData

        d = act.data
        sealed = self.sealer.seal(
            d["subject_id"], PersonalData(name=d["name"], contact=d["contact"])
        )
        self.ledger.submit_proposal(
            d["code"],
            d["title"],
            d["text"],
            d["category"],
            channel=d["channel"],
            proposer=sealed,
            occurred_at=act.at,
        )

    def _proposal_start_review(self, act: Any) -> None:
        self.ledger.start_proposal_review(
            act.data["code"], tuple(act.data["panel"]), actor="proposal-desk", occurred_at=act.at
        )

    def _proposal_review(self, act: Any) -> None:
        from impact.domain.proposal import ReviewComment

        scores = {k: Decimal(v) for k, v in act.data["scores"].items()}
        comments = (ReviewComment(reviewer="전문가 패널", comment="검토 의견 기록"),)
        self.ledger.record_proposal_review(
            act.data["code"], scores, comments, actor="proposal-desk", occurred_at=act.at
        )

    def _proposal_adopt(self, act: Any) -> None:
        self.ledger.adopt_proposal(
            act.data["code"], act.data["task"], actor="proposal-desk", occurred_at=act.at
        )

    def _proposal_reject(self, act: Any) -> None:
        self.ledger.reject_proposal(
            act.data["code"], act.data["reason"], actor="proposal-desk", occurred_at=act.at
        )

    def _proposal_merge(self, act: Any) -> None:
        self.ledger.merge_proposal(
            act.data["code"], act.data["into"], actor="proposal-desk", occurred_at=act.at
        )

    def _submission(self, act: Any, message: bytes | None = None) -> None:
        from impact.ingest.client import sign_submission
        from impact.ingest.desk import Source

        if message is None:
            message = sign_submission(self.keys[act.data["agency"]], act.data["submission"])
        outcome = self.desk.process(message, Source("bench.generated", 0, act.seq, act.at))
        self.rejected += outcome.rejected
        self.ledger.save(*outcome.aggregates)

    def _bad_submission(self, act: Any) -> None:
        """An agency's mistake (as the scenario runner makes it): the desk records a rejection."""
        from impact.ingest.client import sign_submission

        submission, agency, kind = act.data["submission"], act.data["agency"], act.data["expect"]
        own = self.keys[agency]
        if kind == "not_owner":
            other = self.keys[act.data["other"]]
            forged = {
                **submission,
                "agency": other.agency,
                "submission_id": submission["submission_id"] + "-x",
            }
            message = sign_submission(other, forged)
        elif kind == "value_out_of_range":
            message = sign_submission(
                own,
                {
                    **submission,
                    "value": "-" + submission["value"].lstrip("-"),
                    "submission_id": submission["submission_id"] + "-neg",
                },
            )
        elif kind == "unknown_program":
            message = sign_submission(
                own,
                {
                    **submission,
                    "program_code": submission["program_code"] + "9",
                    "submission_id": submission["submission_id"] + "-typo",
                },
            )
        elif kind == "duplicate":
            message = sign_submission(own, submission)
        else:
            message = sign_submission(own, submission)[:-17]
        self._submission(act, message)


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
    from impact.domain.consortium import AgencyKey
    from impact.domain.program import Target
    from impact.scenario.runner import scenario_key
    from impact.signing import public_key_text

    folder = cache_dir() / f"ingest-base-{programmes}-{fingerprint(STORE_SOURCES, 'ingest', seed)}"
    path, done = folder / "events.sqlite", folder / "done.json"
    if done.exists():
        return path
    remove(folder)
    folder.mkdir(parents=True)
    ledger = _ledger(path)
    ledger.found()
    ledger.ensure_baseline_policy()
    declared = datetime(2018, 11, 28, 12, tzinfo=UTC)
    for agency in AGENCIES:
        pair = scenario_key(seed, agency)
        ledger.register_key(
            AgencyKey(
                agency=agency,
                key_id=pair.key_id,
                public_key=public_key_text(pair.public),
                valid_from=declared,
            ),
            actor="consortium-secretariat",
        )
    for n in range(programmes):
        agency = AGENCIES[n % len(AGENCIES)]
        targets = tuple(
            Target(metric=m, quarter=q, value=Decimal(100))
            for m in INGEST_METRICS
            for q in INGEST_QUARTERS
        )
        ledger.register_program(
            programme_code(n),
            agency,
            "S1-T1",
            f"벤치 사업 {n}",
            f"Bench programme {n}",
            50_000_000,
            date(2019, 1, 1),
            date(2021, 12, 31),
            targets,
            occurred_at=declared + timedelta(days=10),
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
    from impact.scenario.runner import scenario_key

    keys = {a: scenario_key(seed, a) for a in AGENCIES}
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
