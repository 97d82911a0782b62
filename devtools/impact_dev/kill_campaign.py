"""The kill campaign: SIGKILL the main job, the ingest, the relay and the loader at random
moments while they work, restart each, and count what was lost or doubled.

On a state folder and topics of its own (the shared broker is only borrowed):

1. *the main job* (``impact demo``) is started and killed again and again at a random
   moment of its first seconds, then left to finish; its last quarter's inputs digest
   must be the uninterrupted run's (run first, on another state folder, unless given);
2. *the ingest* (``impact ingest --until-idle``): each round sends a batch of new signed
   submissions, kills the ingest soon after it starts applying them, and restarts it;
3. *the relay* (``impact relay --until-idle``): each round records new proposals, kills
   the relay once it publishes, and restarts it;
4. *the loader* (``impact load``): each round drops the disposable ClickHouse database,
   kills the load at a random moment of a full reload from offset 0, and restarts it.

A round's *recovery* is the time the restarted process took to pass the point it was
killed at (the main job), or to finish the interrupted work (the others). At the end:
``impact audit verify`` is clean; every submission is applied once; every stored event is
once on the events topic; ClickHouse's ``raw_events`` rows equal its distinct event ids,
all of the topic's. The seed fixes every random moment, so a campaign can be repeated.
"""

import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from impact.application.commands import SubmitProposal
from impact.bootstrap import bootstrap, build_ledger
from impact.contract.events import EventEnvelope
from impact.domain.submission import Rejection, Submission
from impact.ingest.client import routing_key, sign_submission
from impact.ingest.ingest import tracking_name
from impact.ingest.relay import highest_published
from impact.kafka import delete_topics, read_topic_records
from impact.projections.store import ProjectionStore
from impact.scenario.generator import build_scenario
from impact.scenario.runner import progress_name
from impact.settings import Settings

IMPACT = str(Path(sys.executable).parent / "impact")
SEED = 20181128
"""The scenario's seed (the campaign's own seed only picks the moments)."""
AGENCIES = ("KAMCO", "KIBO", "BPA", "HUG", "KOSPO", "KSD", "HF")
SHARES = {"main job": 0.4, "ingest": 0.25, "relay": 0.25, "loader": 0.1}
"""How the kills are shared out among the processes."""


@dataclass
class Tally:
    process: str
    kills: int = 0
    recoveries: list[float] = field(default_factory=list)
    lost: int = 0
    doubled: int = 0

    @property
    def longest_recovery(self) -> float:
        return max(self.recoveries, default=0.0)


@dataclass
class Outcome:
    tallies: list[Tally]
    digest: str
    reference: str
    audit_clean: bool
    seconds: float

    @property
    def passed(self) -> bool:
        return (
            self.digest == self.reference
            and self.audit_clean
            and all(t.lost == t.doubled == 0 for t in self.tallies)
        )

    def table(self) -> str:
        lines = [
            f"{'process':<10} {'kills':>5} {'longest recovery':>17} {'lost':>5} {'doubled':>8}",
        ]
        for t in self.tallies:
            lines.append(
                f"{t.process:<10} {t.kills:>5} {t.longest_recovery:>15.1f} s {t.lost:>5} "
                f"{t.doubled:>8}"
            )
        total = sum(t.kills for t in self.tallies)
        lines.append(f"{'all':<10} {total:>5}")
        same = "equal" if self.digest == self.reference else "DIFFERENT"
        lines.append(
            f"inputs digest {self.digest[:16]}… {same} to the uninterrupted run's; "
            f"audit verify {'clean' if self.audit_clean else 'FAILED'}; {self.seconds:.0f} s"
        )
        return "\n".join(lines)


def share(kills: int) -> dict[str, int]:
    """The kills of each process: ``kills`` in all, at least one each."""
    counts = {p: max(1, round(kills * s)) for p, s in SHARES.items()}
    counts["main job"] += kills - sum(counts.values())
    return counts


def digest_in(output: str) -> str:
    found = re.search(r"inputs digest ([0-9a-f]{64})", output)
    if not found:
        raise RuntimeError(f"no inputs digest in the main job's output:\n{output[-2000:]}")
    return found.group(1)


def environment(root: Path, tag: str) -> dict[str, str]:
    """The variables of a ledger of its own under ``root``: state, ClickHouse, topics."""
    return {
        "IMPACT_STATE_DIR": str(root / "state"),
        "IMPACT_AGENCIES_DIR": str(root / "agencies"),
        "CLICKHOUSE_DSN": f"chdb://{root / 'clickhouse'}",
        "IMPACT_EVENTS_TOPIC": f"kill.{tag}.events",
        "IMPACT_SUBMISSIONS_TOPIC": f"kill.{tag}.submissions",
        "IMPACT_REJECTIONS_TOPIC": f"kill.{tag}.rejected",
        "IMPACT_CHECKPOINTS_TOPIC": f"kill.{tag}.checkpoints",
        "IMPACT_RELAY_TRANSACTIONAL_ID": f"kill-{tag}-relay",
        # Its own state folder, the machine's broker: log in with that broker's credentials.
        "IMPACT_KAFKA_CREDENTIALS": str(Settings().kafka_credentials_dir),
    }


def settings_of(variables: dict[str, str]) -> Settings:
    """The settings those variables give (over the environment's)."""
    return Settings(**variables)  # type: ignore[arg-type]  # by the variables' names


class Campaign:
    def __init__(
        self,
        root: Path,
        seed: int,
        kills: int,
        until: str | None,
        say: Callable[[str], None],
        reference: str | None = None,
    ) -> None:
        self.root = root
        self.rng = random.Random(seed)
        self.kills = share(kills)
        self.until = until
        self.say = say
        self.reference = reference
        tag = f"{seed}-{uuid.uuid4().hex[:8]}"
        self.variables = environment(root / "ledger", tag)
        self.env = {**os.environ, **self.variables}
        self.relay_env = {**self.env, "IMPACT_RELAY_BATCH_SIZE": "10"}
        """The relay's rounds publish in small transactions, so a kill finds it part-way."""
        self.settings = settings_of(self.variables)
        self.tag = tag
        self.sent: list[str] = []
        self._keys: dict[str, Any] = {}
        """The submission ids the ingest rounds sent (each must be applied once)."""
        self.proposals = 0
        self.topics = [self.variables]
        """The variables naming the campaign's topics (deleted once it passed)."""

    # -- running processes ------------------------------------------------------

    def _demo_args(self) -> list[str]:
        return [IMPACT, "demo", *(["--until", self.until] if self.until else [])]

    def _run(self, args: list[str], env: dict[str, str], what: str) -> tuple[str, float]:
        began = time.monotonic()
        done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=3600)
        if done.returncode != 0:
            raise RuntimeError(f"{what} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done.stdout, time.monotonic() - began

    def _start(
        self, args: list[str], log: Path, env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        with log.open("ab") as output:
            return subprocess.Popen(args, env=env or self.env, stdout=output, stderr=output)

    @staticmethod
    def _kill(process: subprocess.Popen[bytes]) -> bool:
        """SIGKILL it; whether it was still running."""
        running = process.poll() is None
        process.send_signal(signal.SIGKILL)
        process.wait()
        return running

    # -- the campaign -------------------------------------------------------------

    def run(self) -> Outcome:
        began = time.monotonic()
        self.root.mkdir(parents=True, exist_ok=True)
        if self.reference is None:
            self.say("the uninterrupted run, for reference (its own state folder and topics)")
            ref = environment(self.root / "reference", f"{self.tag}-ref")
            self.topics.append(ref)
            output, took = self._run(self._demo_args(), {**os.environ, **ref}, "the reference")
            self.reference = digest_in(output)
            self.say(f"  inputs digest {self.reference[:16]}… in {took:.0f} s")
        main = self.main_job()
        ingest = self.ingest()
        relay = self.relay()
        loader = self.loader()
        tallies = [main, ingest, relay, loader]
        audit = self.check(tallies)
        outcome = Outcome(tallies, self.digest, self.reference, audit, time.monotonic() - began)
        if outcome.passed:  # else they are kept, to look into
            for variables in self.topics:
                delete_topics(
                    self.settings.kafka, [v for k, v in variables.items() if "TOPIC" in k]
                )
        return outcome

    def main_job(self) -> Tally:
        tally = Tally("main job")
        name = progress_name(SEED, 1, self.until)
        log = self.root / "main-job.log"

        def played() -> int:
            ledger = build_ledger(self.settings)
            try:
                return ledger.tracked_position(name) or 0
            finally:
                ledger.close()

        # (acts played when it was killed, when this run started): a run's recovery is
        # the time it took to pass the act its predecessor was killed at; a run killed
        # before that leaves it to the next one, whose clock starts at its own start.
        pending: tuple[int, float] | None = None

        def watch(until: float, process: subprocess.Popen[bytes]) -> None:
            nonlocal pending
            while time.monotonic() < until and process.poll() is None:
                if pending is not None and played() > pending[0]:
                    tally.recoveries.append(time.monotonic() - pending[1])
                    pending = None
                time.sleep(0.2)

        while tally.kills < self.kills["main job"]:
            started = time.monotonic()
            process = self._start(self._demo_args(), log)
            if pending is not None:
                pending = (pending[0], started)
            watch(started + self.rng.uniform(0.3, 25.0), process)
            at = played()
            if not self._kill(process):
                if process.returncode != 0:
                    raise RuntimeError(f"the main job failed; see {log}")
                # A short scenario can end before all its kills: the rest go to the ingest
                # and the relay, so the campaign still kills as often as it was asked to.
                left = self.kills["main job"] - tally.kills
                self.kills["ingest"] += left // 2
                self.kills["relay"] += left - left // 2
                self.kills["main job"] = tally.kills
                self.say(f"main job: finished before kill {tally.kills + 1}; {left} kills moved")
                break
            tally.kills += 1
            if pending is None:
                pending = (at, -1.0)
            self.say(
                f"main job: kill {tally.kills}/{self.kills['main job']} after "
                f"{time.monotonic() - started:.1f} s, at act {at}"
            )
        started = time.monotonic()
        if pending is not None:
            pending = (pending[0], started)
        process = self._start(self._demo_args(), log)
        watch(float("inf"), process)
        if process.wait() != 0:
            raise RuntimeError(f"the main job failed after its restarts; see {log}")
        if pending is not None:
            tally.recoveries.append(time.monotonic() - pending[1])
        self.digest = digest_in(log.read_text(errors="replace"))
        self.say(f"main job: finished, inputs digest {self.digest[:16]}…")
        return tally

    # -- the ingest ---------------------------------------------------------------

    def _send_batch(self, round_: int, size: int = 300) -> int:
        """Register ``size`` new programmes by signed submissions; how many were sent."""
        messages = []
        for i in range(size):
            agency = AGENCIES[i % len(AGENCIES)]
            sid = f"kill-{round_}-{i}"
            submission = {
                "schema_version": 1,
                "kind": "program.register",
                "submission_id": sid,
                "agency": agency,
                "submitted_at": "2022-01-10T09:00:00+00:00",
                "program_code": f"P-{agency}-K{round_}-{i}",
                "task_code": "S1-T1",
                "title_ko": "중단 시험 사업",
                "title_en": "Kill campaign programme",
                "budget_krw": 10_000_000,
                "starts_on": "2022-01-01",
                "ends_on": "2022-12-31",
                "targets": [{"metric": "jobs_created", "quarter": "2022Q1", "value": "5"}],
            }
            signed = sign_submission(self._agency_key(agency), submission)
            messages.append((sid, routing_key(submission), signed))
            self.sent.append(sid)
        with bootstrap(self.settings) as platform:
            platform.agency_client(self._agency_key(AGENCIES[0])).send_raw(messages)
        return len(messages)

    def _agency_key(self, agency: str) -> Any:
        """The key the demo's agency signs with, from its own folder (registered by the demo)."""
        from impact.agency_keys import played_agencies

        if not self._keys:
            ledger = build_ledger(self.settings)
            try:
                registered = set(ledger.consortium().keys)
            finally:
                ledger.close()
            played = played_agencies(self.settings, AGENCIES, registered)
            self._keys = {a: pair for a, (pair, _) in played.items()}
        return self._keys[agency]

    def _ingested(self) -> int:
        ledger = build_ledger(self.settings)
        try:
            return sum(
                ledger.tracked_position(tracking_name(self.settings.submissions_topic, p)) or 0
                for p in range(self.settings.events_partitions)
            )
        finally:
            ledger.close()

    def _round(
        self,
        tally: Tally,
        args: list[str],
        progress: Callable[[], int],
        end: int,
        log: Path,
        env: dict[str, str] | None = None,
    ) -> None:
        """Start it, kill it soon after its progress moves, restart it to the end."""
        start = progress()
        process = self._start(args, log, env)
        deadline = time.monotonic() + 120
        while progress() == start and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(self.rng.uniform(0.0, 0.25))
        at = progress()
        if self._kill(process) and at < end:
            tally.kills += 1
            self.say(
                f"{tally.process}: kill {tally.kills}/{self.kills[tally.process]} at {at - start} "
                f"of {end - start}"
            )
        else:
            self.say(f"{tally.process}: it was done before the kill; another round")
        _, took = self._run(args, env or self.env, f"the restarted {tally.process}")
        tally.recoveries.append(took)

    def ingest(self) -> Tally:
        tally = Tally("ingest")
        log = self.root / "ingest.log"
        round_ = 0
        while tally.kills < self.kills["ingest"]:
            self._send_batch(round_)
            round_ += 1
            end = self._ingested() + 300
            self._round(tally, [IMPACT, "ingest", "--until-idle"], self._ingested, end, log)
        return tally

    # -- the relay ----------------------------------------------------------------

    def _record_proposals(self, count: int) -> None:
        with bootstrap(self.settings) as platform:
            at = datetime(2022, 2, 1, tzinfo=UTC)
            for _ in range(count):
                self.proposals += 1
                platform.ledger.handle(
                    SubmitProposal(
                        code=f"C-KILL-{self.proposals:05d}",
                        title="중단 시험 제안",
                        occurred_at=at,
                    )
                )

    def _published(self) -> int:
        return highest_published(self.settings.kafka, self.settings.events_topic)

    def relay(self) -> Tally:
        tally = Tally("relay")
        log = self.root / "relay.log"
        while tally.kills < self.kills["relay"]:
            self._record_proposals(600)
            ledger = build_ledger(self.settings)
            end = ledger.max_notification_id()
            ledger.close()
            args = [IMPACT, "relay", "--until-idle"]
            self._round(tally, args, self._published, end, log, self.relay_env)
        return tally

    # -- the loader ---------------------------------------------------------------

    def loader(self) -> Tally:
        tally = Tally("loader")
        log = self.root / "loader.log"
        clickhouse = Path(self.variables["CLICKHOUSE_DSN"][len("chdb://") :])
        full = 10.0  # the last full reload took this long (a guess before the first)
        while tally.kills < self.kills["loader"]:
            self._record_proposals(100)
            with bootstrap(self.settings) as platform:
                platform.relay().run(until_idle=True)
            shutil.rmtree(clickhouse, ignore_errors=True)  # disposable: reload from offset 0
            started = time.monotonic()
            process = self._start([IMPACT, "load"], log)
            moment = self.rng.uniform(0.3, 0.95) * full
            while time.monotonic() < started + moment and process.poll() is None:
                time.sleep(0.05)
            if self._kill(process):
                tally.kills += 1
                self.say(
                    f"loader: kill {tally.kills}/{self.kills['loader']} after {moment:.1f} s "
                    f"of a full reload"
                )
            else:
                self.say("loader: it was done before the kill; another round")
            _, full = self._run([IMPACT, "load"], self.env, "the restarted loader")
            tally.recoveries.append(full)
        return tally

    # -- the checks -----------------------------------------------------------------

    def check(self, tallies: list[Tally]) -> bool:
        main, ingest, relay, loader = tallies
        self.say("checking: audit verify, submissions, the events topic, ClickHouse")
        self._run([IMPACT, "relay", "--until-idle"], self.env, "the last relay")
        audit = subprocess.run(
            [IMPACT, "audit", "verify"], env=self.env, capture_output=True, text=True, timeout=3600
        )
        (self.root / "audit-verify.log").write_text(audit.stdout + audit.stderr)
        if audit.returncode != 0:
            self.say(f"audit verify failed:\n{audit.stdout[-2000:]}\n{audit.stderr[-2000:]}")

        scenario = build_scenario(seed=SEED)
        acts = scenario.acts
        if self.until is not None:
            cutoff = next(
                a.at for a in acts if a.kind == "council" and a.data["quarter"] == self.until
            )
            acts = [a for a in acts if a.at <= cutoff]
        expected = Counter(
            a.data["submission"]["submission_id"] for a in acts if a.kind == "submission"
        )
        ledger = build_ledger(self.settings)
        accepted: Counter[str] = Counter()
        rejections = 0
        stored = ledger.max_notification_id()
        for _, event in ledger.iter_events():
            if isinstance(event, Submission.Accepted):
                accepted[event.submission_id] += 1
            elif isinstance(event, Rejection.Recorded):
                rejections += 1
        ledger.close()
        bad = sum(1 for a in acts if a.kind == "bad_submission")
        main.lost = sum(1 for s in expected if accepted[s] == 0) + max(0, bad - rejections)
        main.doubled = sum(accepted[s] - 1 for s in expected if accepted[s] > 1)
        main.doubled += max(0, rejections - bad)
        ingest.lost = sum(1 for s in self.sent if accepted[s] == 0)
        ingest.doubled = sum(accepted[s] - 1 for s in self.sent if accepted[s] > 1)

        on_topic = Counter(
            EventEnvelope.from_bytes(r.value).notification_id
            for r in read_topic_records(
                self.settings.kafka, self.settings.events_topic, "impact-kill-campaign"
            )
        )
        relay.lost = sum(1 for n in range(1, stored + 1) if n not in on_topic)
        relay.doubled = sum(c - 1 for c in on_topic.values())

        store = ProjectionStore(self.settings.clickhouse)
        rows, distinct = store.rows("SELECT count(), uniqExact(event_id) FROM {db}.raw_events")[0]
        loader.lost = max(0, len(on_topic) - int(distinct))
        loader.doubled = int(rows) - int(distinct)
        self.say(
            f"  {stored} events stored, {len(on_topic)} distinct on the topic, raw_events "
            f"{rows} rows of {distinct} distinct events; {sum(accepted.values())} submissions "
            f"applied, {rejections} rejected"
        )
        return audit.returncode == 0


def report_json(outcome: Outcome) -> bytes:
    return orjson.dumps(
        {
            "passed": outcome.passed,
            "digest": outcome.digest,
            "reference": outcome.reference,
            "audit_clean": outcome.audit_clean,
            "processes": [
                {
                    "process": t.process,
                    "kills": t.kills,
                    "longest_recovery_s": round(t.longest_recovery, 1),
                    "lost": t.lost,
                    "doubled": t.doubled,
                }
                for t in outcome.tallies
            ],
        },
        option=orjson.OPT_INDENT_2,
    )


def kill_campaign(
    kills: Annotated[
        int, typer.Option(help="Kills in all, shared among the four processes.")
    ] = 100,
    seed: Annotated[int, typer.Option(help="Seed of the random moments.")] = 1128,
    until: Annotated[
        str | None, typer.Option(help="Play the scenario up to this quarter only, e.g. 2019Q1.")
    ] = None,
    reference: Annotated[
        str | None,
        typer.Option(help="The uninterrupted run's inputs digest (else it is run first)."),
    ] = None,
    root: Annotated[
        Path | None, typer.Option(help="Where its state folders go (a new temporary one).")
    ] = None,
) -> None:
    """SIGKILL the main job, the ingest, the relay and the loader at random moments; count
    what was lost or doubled. Exits 1 unless nothing was."""
    folder = root or Path(tempfile.mkdtemp(prefix="impact-kill-campaign-"))

    def say(line: str) -> None:
        print(line, flush=True)

    say(f"kill campaign: {kills} kills {share(kills)}, seed {seed}, in {folder}")
    outcome = Campaign(folder, seed, kills, until, say, reference).run()
    (folder / "campaign.json").write_bytes(report_json(outcome))
    say(outcome.table())
    if not outcome.passed:
        raise typer.Exit(1)
