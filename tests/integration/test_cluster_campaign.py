"""Broker fault trials on the three-node cluster while the ledger works, as in production.

The relay, the ingest and the loader run as long-lived processes of their own (``impact
relay``, ``impact ingest``, ``impact load --follow``) on a PostgreSQL event store, while a
staff member records proposals and an agency sends signed submissions (some of them bad)
without pause. Each trial, at a random moment (seeded), SIGKILLs the node leading the events
topic's busiest partition, measures how long each process stalled (from the kill until it
moved on again), starts the node again and waits until every partition has its three
in-sync replicas. Nobody restarts the relay, the ingest or the loader. At the end:

- every stored event is on the events topic once, in order per aggregate;
- every good submission applied once, every bad one refused, every rejection once on the
  rejections topic and nowhere else; every proposal stored once;
- ClickHouse's ``raw_events`` holds each record of the topic once;
- ``impact audit verify`` is clean.

``IMPACT_CLUSTER_TRIALS`` sets the number of trials (3 by default; ``make cluster-campaign``
runs 24), ``IMPACT_CLUSTER_SEED`` the seed of the moments, ``IMPACT_CLUSTER_REPORT`` a file
for the trial table as JSON.

The second test restarts the three nodes one after the other (SIGTERM, start, wait in sync)
while the main job plays the scenario on the cluster, and compares its inputs digest with
the same run on the single broker (``IMPACT_CLUSTER_DEMO_UNTIL``: the last quarter played,
2019Q4 by default; empty for the whole scenario).
"""

import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from impact.application.commands import SubmitProposal
from impact.bootstrap import bootstrap, build_ledger
from impact.domain.proposal import Proposal
from impact.domain.submission import Rejection, Submission
from impact.ingest.ingest import tracking_name
from impact.ingest.relay import highest_published
from impact.kafka import ensure_topics, producer
from impact.kafka.access import agency_principal
from tests import commands as cmd
from tests.integration.cluster_support import end_offsets, ledger_settings, wait_for
from tests.integration.conftest import own_settings, process_environment
from tests.integration.kafka_reading import read_records
from tests.integration.test_relay import assert_exactly_once_and_contiguous
from tests.submissions import registered_key, registration, report, signed

pytestmark = [pytest.mark.integration, pytest.mark.cluster]

IMPACT = str(Path(sys.executable).parent / "impact")
TRIALS = int(os.environ.get("IMPACT_CLUSTER_TRIALS", "3"))
SEED = int(os.environ.get("IMPACT_CLUSTER_SEED", "20181128"))
DEMO_UNTIL = os.environ.get("IMPACT_CLUSTER_DEMO_UNTIL", "2019Q4")
STALL_LIMIT = 240.0
"""Seconds a process may stall after a kill before the trial fails."""


@dataclass
class Trial:
    node: int
    partition: int
    failover_s: float
    stalls_s: dict[str, float]
    rejoined_s: float


@dataclass
class Work:
    """What the staff member and the agency did while the trials ran."""

    proposals: int = 0
    good: list[str] = field(default_factory=list)
    bad: list[str] = field(default_factory=list)
    resent_batches: int = 0
    errors: list[BaseException] = field(default_factory=list)


def last_number(log: Path, pattern: re.Pattern[str]) -> int:
    """The number in the last line of ``log`` that ``pattern`` matches (0 before any)."""
    found = pattern.findall(log.read_text(errors="replace")) if log.exists() else []
    return int(found[-1]) if found else 0


RELAYED = re.compile(r"up to notification (\d+)")
LOADED = re.compile(r"loaded (\d+) records")


class Campaign:
    def __init__(self, cluster, settings, tmp_path: Path, seed: int) -> None:
        self.cluster = cluster
        self.settings = settings
        self.tmp = tmp_path
        self.rng = random.Random(seed)
        self.work = Work()
        self.stop = threading.Event()
        self.env = process_environment(
            settings, IMPACT_REPLICATION_FACTOR="3", IMPACT_KAFKA_PATIENCE="600"
        )
        self.logs = {name: tmp_path / f"{name}.log" for name in ("relay", "ingest", "loader")}
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.ledger = build_ledger(settings)

    # -- the processes and the work around them -------------------------------------------

    def start(self) -> None:
        commands = {
            "relay": [IMPACT, "relay"],
            "ingest": [IMPACT, "ingest"],
            "loader": [IMPACT, "load", "--follow"],
        }
        for name, args in commands.items():
            with self.logs[name].open("ab") as log:
                self.processes[name] = subprocess.Popen(
                    args, env=self.env, stdout=log, stderr=subprocess.STDOUT
                )

    def progress(self) -> dict[str, int]:
        """How far each has got: the agency's acknowledged submissions (the ingest has nothing
        new to read while they stall), the relay's notification, the ingest's submissions, the
        loader's records."""
        ingested = sum(
            self.ledger.tracked_position(tracking_name(self.settings.submissions_topic, p)) or 0
            for p in range(self.settings.events_partitions)
        )
        return {
            "agency": len(self.work.good) + len(self.work.bad),
            "relay": last_number(self.logs["relay"], RELAYED),
            "ingest": ingested,
            "loader": last_number(self.logs["loader"], LOADED),
        }

    def staff(self) -> None:
        """A proposal every 0.2 s, straight into the event store (the desk's staff)."""
        try:
            with bootstrap(self.settings) as desk:
                while not self.stop.is_set():
                    self.work.proposals += 1
                    desk.ledger.handle(
                        SubmitProposal(
                            code=f"C-CL-{self.work.proposals:05d}",
                            title="클러스터 시험 제안",
                            occurred_at=datetime(2019, 2, 1, tzinfo=UTC),
                        )
                    )
                    self.stop.wait(0.2)
        except BaseException as exc:  # reported by the test, not lost in the thread
            self.work.errors.append(exc)

    def agency(self, pair) -> None:
        """Every half second: two programmes registered, a report of each, and every fourth
        time a report of a programme nobody registered. A batch whose sending failed (a node
        died under it) is sent again whole, as an agency's client would."""
        kafka = self.settings.kafka_for(agency_principal(pair.agency))
        sender = producer(kafka, "the campaign's agency")
        batch_no = 0
        try:
            while not self.stop.is_set():
                batch_no += 1
                messages, good, bad = [], [], []
                for i in range(2):
                    code = f"P-BPA-{batch_no:05d}-{i}"
                    for payload in (
                        registration("BPA", code),
                        report("BPA", code, "2019Q1"),
                    ):
                        messages.append((code.encode(), signed(pair, payload)))
                        good.append(payload["submission_id"])
                if batch_no % 4 == 0:
                    ghost = f"P-BPA-GHOST-{batch_no:05d}"
                    payload = report("BPA", ghost, "2019Q1")
                    messages.append((ghost.encode(), signed(pair, payload)))
                    bad.append(payload["submission_id"])
                while True:
                    try:
                        futures = [
                            sender.send(self.settings.submissions_topic, key=k, value=v)
                            for k, v in messages
                        ]
                        for future in futures:
                            future.get(timeout=60)
                        break
                    except Exception:
                        self.work.resent_batches += 1
                        sender.close(timeout=1)
                        time.sleep(1)
                        sender = producer(kafka, "the campaign's agency")
                self.work.good += good
                self.work.bad += bad
                self.stop.wait(0.5)
        except BaseException as exc:
            self.work.errors.append(exc)
        finally:
            sender.close(timeout=5)

    def _led_by_another(self, partition: int, node: int) -> bool:
        """Whether a node other than ``node`` leads ``partition`` of the events topic now."""
        try:
            partitions = self.cluster.partitions(self.settings.events_topic)
        except Exception:  # the killed node was asked: ask again
            return False
        return {p.partition: p.leader for p in partitions}[partition] not in (node, -1)

    def _stacks(self, names: list[str]) -> str:
        """Where each stalled process's threads are (py-spy, when installed): a stall that
        ends a trial says what the process waited on."""
        spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        if not Path(spy).exists():
            return " (py-spy is not installed: no stacks)"
        dumps = []
        for name in names:
            process = self.processes.get(name)
            if process is None or process.poll() is not None:
                continue
            dumped = subprocess.run(
                [spy, "dump", "--pid", str(process.pid)], capture_output=True, text=True, timeout=60
            )
            dumps.append(
                f"\n--- the {name}'s threads:\n{dumped.stdout[-6000:]}{dumped.stderr[-500:]}"
            )
        return "".join(dumps)

    def alive(self) -> None:
        for name, process in self.processes.items():
            assert process.poll() is None, (
                f"the {name} exited ({process.returncode}) and nobody may restart it:\n"
                + self.logs[name].read_text(errors="replace")[-3000:]
            )

    # -- one trial --------------------------------------------------------------------------

    def trial(self, number: int) -> Trial:
        time.sleep(self.rng.uniform(2.0, 8.0))
        ends = end_offsets(self.settings)
        partition = max(ends, key=lambda p: ends[p])
        leaders = {
            p.partition: p.leader for p in self.cluster.partitions(self.settings.events_topic)
        }
        node = leaders[partition]
        before = self.progress()
        self.cluster.kill(node)
        killed_at = time.monotonic()

        failover: float | None = None
        stalls: dict[str, float] = {}
        while failover is None or len(stalls) < len(before):
            waited = time.monotonic() - killed_at
            if failover is None and self._led_by_another(partition, node):
                failover = waited
            now = self.progress()
            for name in before:
                if name not in stalls and now[name] > before[name]:
                    stalls[name] = waited
            self.alive()
            stalled = sorted(set(before) - set(stalls))
            assert waited < STALL_LIMIT, (
                f"trial {number}: after {waited:.0f} s "
                + ("" if failover is not None else f"partition {partition} has no leader and ")
                + f"still stalled: {stalled} (progress {before} → "
                f"{now}; the agency had {len(self.work.good) + len(self.work.bad)} submissions "
                f"acknowledged, {self.work.resent_batches} batches sent again)"
                + self._stacks(stalled)
            )
            time.sleep(0.1)
        restarted = time.monotonic()
        self.cluster.restart(node, timeout=120)
        topics = (self.settings.events_topic, self.settings.submissions_topic)

        def whole() -> bool:
            return (
                all(len(p.isr) == 3 for topic in topics for p in self.cluster.partitions(topic))
                and not self.cluster.status().under_replicated
            )

        wait_for(whole, STALL_LIMIT, f"node {node} back in sync")
        rejoined = time.monotonic() - restarted
        self.alive()
        return Trial(node, partition, round(failover, 2), stalls, round(rejoined, 2))

    # -- the end ------------------------------------------------------------------------------

    def drain(self) -> None:
        """Stop the work, let the processes catch up by themselves, then stop them."""
        self.stop.set()
        try:
            self._catch_up()
        except AssertionError as exc:
            tails = "\n".join(
                f"--- the {name}'s log ends:\n" + log.read_text(errors="replace")[-2000:]
                for name, log in self.logs.items()
            )
            raise AssertionError(f"{exc}\n{tails}") from None
        self.alive()
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def _catch_up(self) -> None:
        stored = self.ledger.max_notification_id
        wait_for(
            lambda: highest_published(self.settings.kafka, self.settings.events_topic) == stored(),
            STALL_LIMIT,
            "the relay to publish every stored event",
        )
        submitted = sum(end_offsets(self.settings, self.settings.submissions_topic).values())
        wait_for(
            lambda: self.progress()["ingest"] >= submitted,
            STALL_LIMIT,
            "the ingest to decide every submission",
        )
        wait_for(
            lambda: highest_published(self.settings.kafka, self.settings.events_topic) == stored(),
            STALL_LIMIT,
            "the relay to publish the ingest's last events",
        )
        records = len(read_records(self.settings, self.settings.events_topic))
        wait_for(
            lambda: self.progress()["loader"] >= records,
            STALL_LIMIT,
            f"the loader to load all {records} records",
        )


def audit_verify(env: dict[str, str], attempts: int = 3) -> None:
    """``impact audit verify`` clean. An auditor's command that could not read the cluster
    (exit 2: once, right after a node's restart, reading the end offsets timed out after 30 s)
    is run again, as its user would, and says so; a finding (exit 1) fails at once."""
    for attempt in range(1, attempts + 1):
        verified = subprocess.run(
            [IMPACT, "audit", "verify"], env=env, capture_output=True, text=True, timeout=600
        )
        output = verified.stdout[-3000:] + verified.stderr[-3000:]
        if verified.returncode != 2 or attempt == attempts:
            assert verified.returncode == 0, output
            return
        print(f"audit verify could not read the cluster (attempt {attempt}): {output.strip()}")
        time.sleep(10)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def table(trials: list[Trial]) -> str:
    lines = [
        f"{'trial':>5} {'node':>4} {'part':>4} {'failover':>9} {'agency':>7} {'relay':>7} "
        f"{'ingest':>7} {'loader':>7} {'rejoined':>9}"
    ]
    for i, t in enumerate(trials, 1):
        s = t.stalls_s
        lines.append(
            f"{i:>5} {t.node:>4} {t.partition:>4} {t.failover_s:>8.1f}s {s['agency']:>6.1f}s "
            f"{s['relay']:>6.1f}s {s['ingest']:>6.1f}s {s['loader']:>6.1f}s {t.rejoined_s:>8.1f}s"
        )
    for name in ("agency", "relay", "ingest", "loader"):
        values = [t.stalls_s[name] for t in trials]
        lines.append(
            f"{name} stall: p50 {statistics.median(values):.1f} s, "
            f"p90 {percentile(values, 0.9):.1f} s, max {max(values):.1f} s"
        )
    failovers = [t.failover_s for t in trials]
    lines.append(
        f"new leader: p50 {statistics.median(failovers):.1f} s, max {max(failovers):.1f} s; "
        f"nodes killed: {dict(sorted(Counter(t.node for t in trials).items()))}"
    )
    return "\n".join(lines)


@pytest.mark.timeout(900 + TRIALS * (STALL_LIMIT + 60))
def test_leaders_killed_while_the_relay_the_ingest_and_the_loader_run(
    cluster, tmp_path, postgres_database
):
    settings = ledger_settings(cluster, tmp_path / "state", event_store_dsn=postgres_database)
    assert settings.event_store_dsn.startswith("postgresql://")
    ensure_topics(settings.kafka, settings.topics, settings.relay_transactional_id)
    with bootstrap(settings) as platform:
        platform.ledger.handle(cmd.found())
        pair = registered_key(platform.ledger, "BPA")
    campaign = Campaign(cluster, settings, tmp_path, SEED)
    began = time.monotonic()
    campaign.start()
    workers = [
        threading.Thread(target=campaign.staff, daemon=True),
        threading.Thread(target=campaign.agency, args=(pair,), daemon=True),
    ]
    for worker in workers:
        worker.start()
    trials: list[Trial] = []
    try:
        wait_for(lambda: all(campaign.progress().values()), 120, "every process to start moving")
        for number in range(1, TRIALS + 1):
            trials.append(campaign.trial(number))
            t = trials[-1]
            print(
                f"trial {number}/{TRIALS}: node {t.node} (leader of partition {t.partition}) "
                f"killed; new leader after {t.failover_s:.1f} s; stalls "
                + ", ".join(f"{k} {v:.1f} s" for k, v in t.stalls_s.items())
                + f"; back in sync {t.rejoined_s:.1f} s after its restart",
                flush=True,
            )
        campaign.drain()
    finally:
        campaign.stop.set()
        for worker in workers:
            worker.join(timeout=120)
        for process in campaign.processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()
    assert not campaign.work.errors, campaign.work.errors
    work = campaign.work

    ledger = campaign.ledger
    events = [event for _, event in ledger.iter_events()]
    accepted = Counter(e.submission_id for e in events if isinstance(e, Submission.Accepted))
    rejections = {
        str(e.originator_id): e.submission_id for e in events if isinstance(e, Rejection.Recorded)
    }
    proposals = Counter(e.code for e in events if isinstance(e, Proposal.Submitted))
    lost = [sid for sid in work.good if accepted[sid] == 0]
    doubled = [sid for sid, n in accepted.items() if n > 1]
    refused = set(rejections.values())
    assert not lost and not doubled, f"lost {lost[:5]}…, doubled {doubled[:5]}…"
    assert set(accepted) == set(work.good)
    assert set(work.bad) <= refused, sorted(set(work.bad) - refused)[:5]
    # A batch sent again after a failure may repeat a message: refused as a duplicate.
    assert refused <= set(work.bad) | set(work.good)
    assert len(proposals) == work.proposals and set(proposals.values()) == {1}
    on_topic = Counter(
        orjson.loads(r.value)["rejection_id"]
        for r in read_records(settings, settings.rejections_topic)
    )
    assert set(on_topic) == set(rejections) and set(on_topic.values()) == {1}
    assert_exactly_once_and_contiguous(ledger, settings)

    check = tmp_path / "check.json"
    subprocess.run(
        [sys.executable, "-m", "tests.integration.loader_process", "check", str(check)],
        env=campaign.env,
        capture_output=True,
        timeout=120,
        check=True,
    )
    records = len(read_records(settings, settings.events_topic))
    assert orjson.loads(check.read_bytes())["rows"] == [records, records]
    audit_verify(campaign.env)
    ledger.close()

    took = time.monotonic() - began
    print(table(trials))
    print(
        f"{TRIALS} trials in {took:.0f} s (seed {SEED}): {ledger_max(settings)} events stored "
        f"and published once each, {records} records loaded once each; "
        f"{len(work.good)} submissions applied once, {len(work.bad)} bad ones refused, "
        f"{len(rejections)} rejections once on the topic ({work.resent_batches} batches sent "
        f"again), {work.proposals} proposals; audit verify clean"
    )
    if report_path := os.environ.get("IMPACT_CLUSTER_REPORT"):
        Path(report_path).write_bytes(
            orjson.dumps(
                {
                    "seed": SEED,
                    "seconds": round(took),
                    "trials": [asdict(t) for t in trials],
                    "records": records,
                    "submissions": len(work.good),
                    "bad": len(work.bad),
                    "rejections": len(rejections),
                    "proposals": work.proposals,
                    "lost": 0,
                    "doubled": 0,
                },
                option=orjson.OPT_INDENT_2,
            )
        )


def ledger_max(settings) -> int:
    ledger = build_ledger(settings)
    try:
        return ledger.max_notification_id()
    finally:
        ledger.close()


def digest_of(output: str) -> str:
    found = re.findall(r"inputs digest ([0-9a-f]{64})", output)
    assert found, output[-3000:]
    return found[-1]


@pytest.mark.timeout(3600)
def test_a_rolling_restart_of_every_node_during_the_main_job(cluster, broker, tmp_path, chdb_path):
    until = ["--until", DEMO_UNTIL] if DEMO_UNTIL else []
    reference = own_settings(broker, tmp_path / "reference", chdb_path)
    single = subprocess.run(
        [IMPACT, "demo", *until],
        env=process_environment(reference),
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert single.returncode == 0, single.stdout[-3000:] + single.stderr[-3000:]

    settings = ledger_settings(cluster, tmp_path / "cluster")
    env = process_environment(settings, IMPACT_REPLICATION_FACTOR="3")
    log = tmp_path / "demo.log"
    began = time.monotonic()
    with log.open("wb") as output:
        demo = subprocess.Popen(
            [IMPACT, "demo", *until], env=env, stdout=output, stderr=subprocess.STDOUT
        )
    restarts: list[dict[str, float]] = []
    try:
        wait_for(
            lambda: highest_published(settings.kafka, settings.events_topic) > 0,
            300,
            "the main job to publish",
        )
        for node in (1, 2, 3):
            assert demo.poll() is None, "the main job ended before the rolling restart did"
            stopped = time.monotonic()
            cluster.node(node).down(timeout=60)
            down = time.monotonic() - stopped
            cluster.restart(node, timeout=120)
            wait_for(
                lambda: (
                    not cluster.status().under_replicated
                    and all(len(p.isr) == 3 for p in cluster.partitions(settings.events_topic))
                ),
                STALL_LIMIT,
                f"node {node} back in sync",
            )
            restarts.append(
                {"node": node, "stopping_s": round(down, 1), "away_s": time.monotonic() - stopped}
            )
            print(
                f"node {node}: stopped in {down:.1f} s, started and in sync again "
                f"{time.monotonic() - stopped:.1f} s after it was asked to stop",
                flush=True,
            )
        rolled = time.monotonic() - began
        assert demo.wait(timeout=3600) == 0, log.read_text(errors="replace")[-3000:]
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
    took = time.monotonic() - began
    assert digest_of(log.read_text(errors="replace")) == digest_of(single.stdout)
    audit_verify(env)
    print(
        f"main job {'to ' + DEMO_UNTIL if DEMO_UNTIL else 'whole'} on the cluster: {took:.0f} s, "
        f"the three nodes restarted one by one within its first {rolled:.0f} s; inputs digest "
        f"{digest_of(single.stdout)[:16]}… as on the single broker; audit verify clean"
    )
