"""The bench runner: prepares the cached data, runs every phase in its own process, and
sums the runs up as one table of ours against raw baselines measured in the same run.

Figures (``FIGURES``), each measured ``runs`` times, ours and its baselines interleaved:

relay    event store → events topic through ``Relay`` (one transaction per batch, chained
         envelopes, a signed checkpoint per batch) vs the same bytes from a raw kafka-python
         producer: transactional with the same batch size, and plain (idempotent, acks=all).
replay   events topic from offset 0 → fresh chDB through ``create_schema`` + ``Loader`` vs a
         raw kafka-python consumer of the same topic (the loader's consumer settings) and
         ``kcat`` (librdkafka) reading it to /dev/null.
memory   peak RSS of the replaying process at 1x (the topic's first tenth) and 10x (all).
ingest   signed submissions topic → desk → ledger → event store through ``Ingest`` vs a raw
         consume of the same topic.
latency  a running ingest + relay + loader, each in its own process; submissions sent one by
         one at a fixed rate; the time until each outcome shows in ``outcome_versions``.
review   ``review_quarter`` on the whole 1x scenario, then with its programmes and outcomes
         copied to 10x and 100x directly in raw_events.
"""

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.common import (
    ROOT,
    base_settings,
    bench_settings,
    delete_topics,
    fingerprint,
    list_bench_topics,
    remove,
    scratch_dir,
)
from impact.errors import ImpactError

FIGURES = ("relay", "replay", "memory", "ingest", "latency", "review")
RELAY_SOURCES = (
    "impact/contract/events.py", "impact/ingest/relay.py", "impact/contract/chain.py",
    "impact/canonical_json.py",
)
DEFAULT_EVENTS = 20_000
REVIEW_FACTORS = (1, 10, 100)
TARGETS = {
    "replay_vs_raw": 0.5,  # at least half the raw kafka-python consumer rate
    "replay_events_per_s": 50_000,
    "memory_growth": 1.2,  # peak RSS at 10x within 20% of 1x
    "review_100x_s": 1.0,
}


class BenchError(ImpactError):
    """A bench step failed."""


@dataclass
class Options:
    events: int = DEFAULT_EVENTS
    runs: int = 3
    out: Path | None = None
    only: tuple[str, ...] = FIGURES
    submissions: int | None = None
    latency_samples: int = 100
    latency_rate: float = 20.0
    seed: int = 20181128
    keep_topics: bool = False
    review_scales: tuple[int, ...] = REVIEW_FACTORS
    profile: Path | None = None
    prepare_only: bool = False

    @property
    def ingest_count(self) -> int:
        return self.submissions or min(5_000, max(500, self.events // 20))


Say = Callable[[str], None]


def _stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# -- running workers ----------------------------------------------------------------------


PROFILED = {
    "relay": "Relay.publish_available",
    "replay": "phase_replay",
    "ingest": "Ingest.run",
    "review": "phase_review",
}
"""Phases ``--profile`` records with py-spy, and the function their report starts from."""


def _spawn(
    phase: str, args: dict[str, Any], result_path: Path, prefix: list[str] | None = None
) -> subprocess.Popen[bytes]:
    """Start ``bench.worker PHASE`` (under ``prefix``, e.g. py-spy), writing its result to a file."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    command = [sys.executable, "-m", "bench.worker", phase, json.dumps({**args, "result": str(result_path)})]
    return subprocess.Popen([*(prefix or []), *command], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)


def run_worker(phase: str, args: dict[str, Any], profile: Path | None = None) -> dict[str, Any]:
    """Run ``bench.worker PHASE`` in a new process; its result, plus what the kernel says it
    used (peak RSS, CPU) read with wait4. With ``profile`` (a file), under py-spy."""
    result_path = scratch_dir() / f"result-{phase}-{uuid.uuid4().hex[:8]}.json"
    prefix: list[str] = []
    if profile is not None:
        profile.parent.mkdir(parents=True, exist_ok=True)
        prefix = [
            str(py_spy()),
            "record",
            "--idle",
            "--threads",
            "-r",
            "100",
            "-f",
            "raw",
            "-o",
            str(profile),
            "--",
        ]
    started = time.perf_counter()
    proc = _spawn(phase, args, result_path, prefix)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0 or not result_path.exists():
        raise BenchError(
            f"the {phase} worker failed (exit {proc.returncode}); see its output above"
        )
    result = json.loads(result_path.read_text())
    result_path.unlink()
    if profile is not None and profile.exists():
        from bench.hotspots import hotspots

        report = hotspots(str(profile), under=PROFILED.get(phase, ""), top=40)
        profile.with_suffix(".hotspots.txt").write_text(report + "\n")
        result["profile"] = str(profile)
    result["process"] = {
        "maxrss_mib": usage.ru_maxrss / 1024,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "wall_s": elapsed,
    }
    return result


def py_spy() -> Path | None:
    """py-spy beside this Python (installed into the venv by hand) or on PATH."""
    beside = Path(sys.executable).parent / "py-spy"
    if beside.exists():
        return beside
    found = shutil.which("py-spy")
    return Path(found) if found else None


def start_worker(phase: str, args: dict[str, Any]) -> tuple[subprocess.Popen[bytes], Path]:
    result_path = scratch_dir() / f"result-{phase}-{uuid.uuid4().hex[:8]}.json"
    proc = _spawn(phase, args, result_path)
    return proc, result_path


def finish_worker(
    proc: subprocess.Popen[bytes], result_path: Path, timeout: float = 60
) -> dict[str, Any]:
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise BenchError(f"a worker (pid {proc.pid}) did not stop within {timeout:.0f} s") from None
    if proc.returncode != 0 or not result_path.exists():
        raise BenchError(f"a worker (pid {proc.pid}) failed (exit {proc.returncode})")
    result = json.loads(result_path.read_text())
    result_path.unlink()
    return result


# -- prerequisites ------------------------------------------------------------------------


def ensure_broker(say: Say) -> None:
    from impact.broker import LocalBroker

    local = LocalBroker(base_settings())
    status = local.status()
    if status.answering:
        return
    if not local.is_local:
        raise BenchError(f"Kafka at {base_settings().kafka_bootstrap_servers} does not answer")
    say("starting the local Kafka broker")
    local.up()


def ensure_kcat(say: Say) -> tuple[str | None, str]:
    """kcat's path, installing it with bench/deps.sh if missing; else None and why."""
    found = shutil.which("kcat")
    if found:
        return found, ""
    say("kcat is missing: running bench/deps.sh to install it (apt-get)")
    done = subprocess.run(["bash", str(ROOT / "bench" / "deps.sh")], capture_output=True, text=True)
    found = shutil.which("kcat")
    if found:
        return found, ""
    why = (done.stderr or done.stdout).strip().splitlines()
    return None, "kcat could not be installed: " + (
        why[-1] if why else f"deps.sh exit {done.returncode}"
    )


def topic_exists(name: str) -> bool:
    return name in list_bench_topics()


def ensure_topic(store: dict[str, Any], label: str, say: Say) -> tuple[str, dict[str, Any] | None]:
    """The events topic holding the whole store, relayed once and kept; (name, relay result
    if this call relayed it). Older topics of the same label are deleted."""
    from impact.ingest.relay import highest_published

    store_dir = Path(store["path"]).parent.name
    name = f"bench.{label}-{fingerprint(RELAY_SOURCES, store_dir)}.events"
    stale = [
        t
        for t in list_bench_topics()
        if t.startswith(f"bench.{label}-") and not t.startswith(name.removesuffix(".events"))
    ]
    if stale:
        delete_topics(stale)
    if topic_exists(name):
        head = highest_published(bench_settings("probe", events_topic=name))
        if head >= store["events"]:
            return name, None
        say(f"{name} holds events up to {head:,} of {store['events']:,}: the relay resumes it")
    else:
        say(f"relaying the {store['events']:,} stored events to {name} once (kept for later runs)")
    tag = name.removeprefix("bench.").removesuffix(".events")
    result = run_worker("relay", {"tag": tag, "store": store["path"], "topic": name})
    return name, result


# -- the figures --------------------------------------------------------------------------


@dataclass
class Sample:
    rate: float | None
    wall_s: float
    cpu_s: float
    count: int
    broker_cpu_s: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, result: dict[str, Any], **extra: Any) -> "Sample":
        return cls(
            result.get("rate"),
            result["wall_s"],
            result["cpu_s"],
            result["count"],
            result.get("broker_cpu_s"),
            extra,
        )


class Bench:
    def __init__(self, options: Options, say: Say = _stderr) -> None:
        self.o = options
        self.say = say
        self.run_id = uuid.uuid4().hex[:6]
        self.samples: dict[str, list[Sample]] = {}
        self.details: dict[str, Any] = {}
        self.notes: list[str] = []

    def add(self, key: str, sample: Sample) -> None:
        self.samples.setdefault(key, []).append(sample)

    def profile_to(self, phase: str, run: int) -> Path | None:
        """Where ``--profile`` puts this phase's py-spy profile (None: not profiling)."""
        if self.o.profile is None:
            return None
        if py_spy() is None:
            if "py-spy" not in " ".join(self.notes):
                self.notes.append(
                    "--profile: py-spy is not installed (pip install py-spy into "
                    "the venv); nothing was profiled"
                )
            return None
        if not any("profiled" in n for n in self.notes):
            self.notes.append(
                f"ours was profiled with py-spy (slower than unprofiled): "
                f"profiles and hotspot reports in {self.o.profile}"
            )
        return self.o.profile / f"{phase}-{self.o.events}-run{run + 1}.txt"

    def tag(self, what: str, run: int) -> str:
        return f"{self.run_id}-{what}-{run}"

    # -- data

    def prepare(self) -> None:
        o = self.o
        if {"relay", "replay", "memory"} & set(o.only):
            self.store, self.topic = self._log(o.events, "store")
        if "memory" in o.only:
            self.small_store, self.small_topic = self._log(max(10, o.events // 10), "store_tenth")

    def _log(self, events: int, name: str) -> tuple[dict[str, Any], str]:
        """The cached store of ``events`` events and the cached topic it was relayed to."""
        store = run_worker("build-store", {"events": events, "seed": self.o.seed})
        self.details[name] = {k: v for k, v in store.items() if k not in ("process", "pid")}
        topic, first = ensure_topic(store, f"log-{events}", self.say)
        if first is not None:
            self.details[f"first_relay_{name}"] = first
            self.say(
                f"  relayed {first['count']:,} events in {first['wall_s']:.1f} s "
                f"({first['rate']:,.0f}/s)"
            )
        self.details.setdefault("topics", []).append(topic)
        return store, topic

    # -- relay

    def relay(self, run: int) -> None:
        o = self.o
        if run == 0:
            self.records = scratch_dir().parent / "cache" / f"records-{self.topic}.bin"
            if not self.records.exists():
                self.say("reading the relayed records back once, for the raw producers")
                run_worker(
                    "dump",
                    {"tag": self.tag("dump", run), "topic": self.topic, "path": str(self.records)},
                )
        tag = self.tag("relay", run)
        topic = f"bench.{tag}.events"
        self.say(f"[relay {run + 1}/{o.runs}] ours: Relay, {self.store['events']:,} events")
        ours = run_worker(
            "relay",
            {"tag": tag, "store": self.store["path"], "topic": topic},
            profile=self.profile_to("relay", run),
        )
        self.add("relay", Sample.of(ours, start_s=ours["start_s"], batches=ours["batches"]))
        batch = ours["batch_size"]
        for transactional, key in ((True, "relay.raw_txn"), (False, "relay.raw_plain")):
            tag = self.tag("raw-txn" if transactional else "raw-plain", run)
            self.say(
                f"[relay {run + 1}/{o.runs}] raw kafka-python producer"
                + (f", transactions of {batch}" if transactional else ", no transactions")
            )
            raw = run_worker(
                "raw-produce",
                {
                    "tag": tag,
                    "topic": f"bench.{tag}.events",
                    "records": str(self.records),
                    "transactional": transactional,
                    "batch": batch,
                },
            )
            self.add(key, Sample.of(raw))
        self._drop_throwaway()

    # -- replay and memory

    def replay(self, run: int) -> None:
        o, n = self.o, self.store["events"]
        self.say(
            f"[replay {run + 1}/{o.runs}] ours: create_schema + Loader into a fresh chDB, "
            f"{n:,} events"
        )
        ours = run_worker(
            "replay",
            {
                "tag": self.tag("replay", run),
                "topic": self.topic,
                "count": n,
                "chdb": str(scratch_dir() / f"ch-replay-{self.run_id}-{run}"),
                "review": True,
            },
            profile=self.profile_to("replay", run),
        )
        self.add(
            "replay",
            Sample.of(
                ours,
                rss_mib=ours["process"]["maxrss_mib"],
                review_s=ours.get("review_s"),
                review_quarter=ours.get("review_quarter"),
                loaded=ours["loaded"],
                unreadable=ours["unreadable"],
            ),
        )
        self.add("memory.10x", self._rss_sample(ours))
        self.say(f"[replay {run + 1}/{o.runs}] raw kafka-python consumer")
        from impact.projections.loader import BATCH_SIZE

        raw = run_worker(
            "raw-consume",
            {"tag": self.tag("consume", run), "topic": self.topic, "batch": BATCH_SIZE},
        )
        if raw["count"] != n:
            self.notes.append(
                f"the raw consumer read {raw['count']:,} records, the store holds {n:,}"
            )
        self.add("replay.raw", Sample.of(raw))
        self.kcat(run, n)

    def _rss_sample(self, result: dict[str, Any]) -> Sample:
        """Peak RSS (VmHWM) of the replaying process when the load ended, before the review
        query some replays run after it; the kernel's maxrss of the whole process is kept too."""
        rss = result.get("load_peak_rss_mib") or result["process"]["maxrss_mib"]
        return Sample(
            rss,
            result["wall_s"],
            result["cpu_s"],
            result["count"],
            None,
            {
                "rss_before_load_mib": result.get("rss_before_mib"),
                "process_maxrss_mib": result["process"]["maxrss_mib"],
            },
        )

    def kcat(self, run: int, n: int) -> None:
        if run == 0:
            self.kcat_path, why = ensure_kcat(self.say)
            if self.kcat_path is None:
                self.notes.append(why)
                self.details["kcat"] = why
            else:
                self.details["kcat"] = subprocess.run(
                    [self.kcat_path, "-V"], capture_output=True, text=True
                ).stdout.splitlines()[:1]
                counted = self._kcat(["-f", "%o\n"], count=True)
                if counted != n:
                    self.notes.append(f"kcat read {counted:,} records, the store holds {n:,}")
        if self.kcat_path is None:
            return
        self.say(f"[replay {run + 1}/{self.o.runs}] kcat (librdkafka) to /dev/null")
        wall, cpu = self._kcat(["-f", "%s\n"])
        self.add("replay.kcat", Sample(n / wall, wall, cpu, n))

    def _kcat(self, fmt: list[str], count: bool = False) -> Any:
        bootstrap = base_settings().kafka_bootstrap_servers
        assert self.kcat_path is not None
        command = [
            self.kcat_path,
            "-C",
            "-b",
            bootstrap,
            "-t",
            self.topic,
            "-o",
            "beginning",
            "-e",
            "-q",
            "-X",
            "isolation.level=read_committed",
            *fmt,
        ]
        if count:
            done = subprocess.run(command, capture_output=True, check=True)
            return done.stdout.count(b"\n")
        started = time.perf_counter()
        with open(os.devnull, "wb") as sink:
            proc = subprocess.Popen(command, stdout=sink)
            _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            raise BenchError(f"kcat failed (exit {os.waitstatus_to_exitcode(status)})")
        return wall, usage.ru_utime + usage.ru_stime

    def memory(self, run: int) -> None:
        n, tenth = self.store["events"], self.small_store["events"]
        self.say(
            f"[memory {run + 1}/{self.o.runs}] replay of a log of {tenth:,} events "
            f"(1x; 10x is the replay of {n:,})"
        )
        small = run_worker(
            "replay",
            {
                "tag": self.tag("mem", run),
                "topic": self.small_topic,
                "count": tenth,
                "chdb": str(scratch_dir() / f"ch-mem-{self.run_id}-{run}"),
            },
        )
        self.add("memory.1x", self._rss_sample(small))
        if "replay" not in self.o.only:
            self.say(f"[memory {run + 1}/{self.o.runs}] replay of all {n:,} events (10x)")
            big = run_worker(
                "replay",
                {
                    "tag": self.tag("mem10", run),
                    "topic": self.topic,
                    "count": n,
                    "chdb": str(scratch_dir() / f"ch-mem10-{self.run_id}-{run}"),
                },
            )
            self.add("memory.10x", self._rss_sample(big))

    # -- ingest

    def ingest(self, run: int) -> None:
        o, m = self.o, self.o.ingest_count
        if run == 0:
            from bench.generate import programmes_for

            base = run_worker(
                "build-ingest-base", {"programmes": programmes_for(m), "seed": o.seed}
            )
            self.ingest_base = base["path"]
            tag = f"keep-{self.run_id}-subs"  # read by every run; deleted at the end
            self.submissions_topic = f"bench.{tag}.submissions"
            self.say(
                f"sending {m:,} signed outcome reports to {self.submissions_topic} (not measured)"
            )
            self._send_submissions(bench_settings(tag), m, programmes_for(m))
        self.say(
            f"[ingest {run + 1}/{o.runs}] ours: Ingest (desk, domain, event store), "
            f"{m:,} submissions"
        )
        ours = run_worker(
            "ingest",
            {
                "tag": self.tag("ingest", run),
                "base": self.ingest_base,
                "topic": self.submissions_topic,
                "count": m,
                "workdir": str(scratch_dir() / f"ingest-{self.run_id}-{run}"),
            },
            profile=self.profile_to("ingest", run),
        )
        if ours["applied"] + ours["rejected"] != m:
            raise BenchError(
                f"ingest run {run + 1} took {ours['applied'] + ours['rejected']} of {m} submissions"
            )
        if ours["rejected"]:
            self.notes.append(f"ingest run {run + 1} rejected {ours['rejected']}: {ours['codes']}")
        self.add("ingest", Sample.of(ours, whole_run_s=ours["whole_run_s"]))
        self.say(f"[ingest {run + 1}/{o.runs}] raw kafka-python consumer of the same topic")
        raw = run_worker(
            "raw-consume",
            {"tag": self.tag("subs-consume", run), "topic": self.submissions_topic, "batch": 500},
        )
        self.add("ingest.raw", Sample.of(raw))

    def _send_submissions(
        self, settings: Any, count: int, programmes: int, prefix: str = "B"
    ) -> None:
        from bench.generate import outcome_submissions
        from impact.ingest.client import AgencyClient
        from impact.scenario.runner import scenario_key

        client = AgencyClient(settings, scenario_key(self.o.seed, "KAMCO"))
        client.send_raw(outcome_submissions(count, programmes, self.o.seed, prefix))

    # -- latency

    def latency(self, run: int) -> None:
        from kafka import KafkaProducer

        from bench.generate import outcome_submissions, programmes_for
        from impact.kafka import SUBMISSIONS_MAX_BYTES, client_config, ensure_topics

        o = self.o
        samples = o.latency_samples
        programmes = programmes_for(samples + 1)
        base = run_worker("build-ingest-base", {"programmes": programmes, "seed": o.seed})["path"]
        tag = self.tag("latency", run)
        work = scratch_dir() / f"latency-{tag}"
        remove(work)
        work.mkdir(parents=True)
        store = work / "events.sqlite"
        shutil.copy(base, store)
        settings = bench_settings(tag, store=store)
        ensure_topics(settings)
        prefix = f"L{run}"
        common = {
            "tag": tag,
            "store": str(store),
            "chdb": str(work / "clickhouse"),
            "events_topic": settings.events_topic,
            "submissions_topic": settings.submissions_topic,
            "stop": str(work / "stop"),
            "status": str(work / "visible.json"),
            "prefix": f"{prefix}/",
        }
        self.say(
            f"[latency {run + 1}/{o.runs}] ingest, relay and loader running; "
            f"{samples} submissions at {o.latency_rate:g}/s"
        )
        services = {
            w: start_worker("service", {**common, "which": w})
            for w in ("ingest", "relay", "loader")
        }
        messages = list(outcome_submissions(samples + 1, programmes, o.seed, prefix))
        producer = KafkaProducer(
            acks="all",
            enable_idempotence=True,
            linger_ms=0,
            max_request_size=SUBMISSIONS_MAX_BYTES,
            **client_config(settings),
        )
        sent: dict[str, float] = {}
        report_ids = [self._report_id(message) for _, _, message in messages]
        try:
            # The first one warms the loop up (all three services started and caught up).
            producer.send(settings.submissions_topic, key=messages[0][1], value=messages[0][2]).get(
                30
            )
            if not self._wait_visible(work / "visible.json", [report_ids[0]], 120, services):
                raise BenchError("the warm-up submission never became visible in the projections")
            interval = 1.0 / o.latency_rate
            next_at = time.perf_counter()
            for (_, key, value), report_id in zip(messages[1:], report_ids[1:], strict=True):
                delay = next_at - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                sent[report_id] = time.time()
                producer.send(settings.submissions_topic, key=key, value=value)
                producer.flush()
                next_at += interval
            complete = self._wait_visible(
                work / "visible.json", report_ids[1:], 60 + samples / 10, services
            )
        finally:
            producer.close(timeout=5)
            (work / "stop").touch()
            results = {}
            for which, (proc, path) in services.items():
                try:
                    results[which] = finish_worker(proc, path, timeout=60)
                except BenchError as exc:
                    self.notes.append(f"latency {which} service: {exc}")
        loader = results.get("loader", {})
        visible = loader.get("visible", {})
        stages = loader.get("stages", {})
        latencies = sorted((visible[r] - t) * 1000 for r, t in sent.items() if r in visible)
        if not complete:
            self.notes.append(
                f"latency run {run + 1}: {len(sent) - len(latencies)} of {len(sent)} "
                f"submissions never became visible"
            )
        breakdown: dict[str, list[float]] = {
            "to_stored_ms": [],
            "stored_to_loaded_ms": [],
            "loaded_to_visible_ms": [],
        }
        for r, t in sent.items():
            if r in visible and r in stages:
                recorded, loaded = stages[r]
                breakdown["to_stored_ms"].append((recorded - t) * 1000)
                breakdown["stored_to_loaded_ms"].append((loaded - recorded) * 1000)
                breakdown["loaded_to_visible_ms"].append((visible[r] - loaded) * 1000)
        self.add(
            "latency",
            Sample(
                None,
                0.0,
                0.0,
                len(latencies),
                None,
                {
                    "p50_ms": percentile(latencies, 50),
                    "p99_ms": percentile(latencies, 99),
                    "max_ms": max(latencies, default=None),
                    **{f"{k}_p50": percentile(sorted(v), 50) for k, v in breakdown.items()},
                },
            ),
        )
        remove(work)
        self._drop_throwaway()

    @staticmethod
    def _report_id(message: bytes) -> str:
        return json.loads(message)["submission"]["report_id"]

    @staticmethod
    def _wait_visible(
        status: Path, report_ids: list[str], timeout: float, services: dict[str, Any]
    ) -> bool:
        deadline = time.monotonic() + timeout
        wanted = set(report_ids)
        while time.monotonic() < deadline:
            if status.exists():
                try:
                    seen = json.loads(status.read_text()).get("visible", {})
                except ValueError:
                    seen = {}
                if wanted <= seen.keys():
                    return True
            dead = [w for w, (proc, _) in services.items() if proc.poll() is not None]
            if dead:
                raise BenchError(
                    f"the latency loop's {', '.join(dead)} stopped; see its output above"
                )
            time.sleep(0.05)
        return False

    # -- review

    def review(self) -> None:
        scale1 = run_worker("build-store", {"scale": 1, "seed": self.o.seed})
        topic, _ = ensure_topic(scale1, "scenario-1x", self.say)
        self.details.setdefault("topics", []).append(topic)
        self.say(
            f"[review] review_quarter at {', '.join(f'{f}x' for f in self.o.review_scales)} "
            f"({self.o.runs} runs each, after one cold run)"
        )
        result = run_worker(
            "review",
            {
                "tag": self.tag("review", 0),
                "topic": topic,
                "factors": list(self.o.review_scales),
                "repeats": self.o.runs,
                "chdb": str(scratch_dir() / f"ch-review-{self.run_id}"),
            },
            profile=self.profile_to("review", 0),
        )
        self.details["review"] = result
        for factor, found in result["scales"].items():
            walls = [s["wall_s"] for s in found["samples"]]
            cpus = [s["cpu_s"] for s in found["samples"]]
            queries = [s["queries_s"] for s in found["samples"]]
            for wall, cpu, spent in zip(walls, cpus, queries, strict=True):
                self.add(
                    f"review.{factor}x",
                    Sample(
                        None,
                        wall,
                        cpu,
                        found["candidates"],
                        None,
                        {
                            "programmes": found["programmes"],
                            "outcomes": found["outcomes"],
                            "cold_s": found["cold_s"],
                            "queries_s": spent,
                            "quarter": result["quarter"],
                        },
                    ),
                )

    # -- all of it

    def _drop_throwaway(self) -> None:
        """Delete this invocation's per-run topics (the cached logs stay)."""
        if self.o.keep_topics:
            return
        delete_topics(t for t in list_bench_topics() if t.startswith(f"bench.{self.run_id}-"))

    def run(self) -> dict[str, Any]:
        o = self.o
        ensure_broker(self.say)
        started = time.monotonic()
        try:
            self.prepare()
            for run in range(0 if o.prepare_only else o.runs):
                for figure in ("relay", "replay", "memory", "ingest", "latency"):
                    if figure in o.only:
                        getattr(self, figure)(run)
            if "review" in o.only and not o.prepare_only:
                self.review()
        finally:
            self._drop_throwaway()
            if not o.keep_topics:
                delete_topics(
                    t for t in list_bench_topics() if t.startswith(f"bench.keep-{self.run_id}-")
                )
            for leftover in scratch_dir().glob(f"*{self.run_id}*"):
                remove(leftover)
        return self.summary(time.monotonic() - started)

    def summary(self, seconds: float) -> dict[str, Any]:
        o = self.o
        return {
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "platform": platform.platform(),
                "memory_gib": _memory_gib(),
            },
            "options": {
                **asdict(o),
                "out": str(o.out) if o.out else None,
                "ingest_count": o.ingest_count,
            },
            "seconds": round(seconds, 1),
            "figures": {k: summarize(v) for k, v in self.samples.items()},
            "rows": rows(self.samples, self.details, o),
            "details": self.details,
            "notes": self.notes,
        }


def _memory_gib() -> float | None:
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError):
        return None


def percentile(ordered: list[float], p: float) -> float | None:
    if not ordered:
        return None
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _mmm(values: list[float | None]) -> dict[str, float] | None:
    found = [v for v in values if v is not None]
    if not found:
        return None
    return {"min": min(found), "median": statistics.median(found), "max": max(found)}


def summarize(samples: list[Sample]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "runs": len(samples),
        "count": samples[0].count if samples else 0,
        "rate": _mmm([s.rate for s in samples]),
        "wall_s": _mmm([s.wall_s for s in samples]),
        "cpu_s": _mmm([s.cpu_s for s in samples]),
        "broker_cpu_s": _mmm([s.broker_cpu_s for s in samples]),
    }
    keys = {
        k
        for s in samples
        for k, v in s.extra.items()
        if isinstance(v, int | float) and not isinstance(v, bool)
    }
    for key in sorted(keys):
        out[key] = _mmm([s.extra.get(key) for s in samples])
    out["samples"] = [asdict(s) for s in samples]
    return out


# -- the table --------------------------------------------------------------------------


def rows(
    samples: dict[str, list[Sample]], details: dict[str, Any], o: Options
) -> list[dict[str, Any]]:
    """One dict per table row: figure, ours, baseline, ratio, target."""
    out: list[dict[str, Any]] = []
    s = {k: summarize(v) for k, v in samples.items()}

    def med(key: str, field_: str = "rate") -> float | None:
        found = s.get(key, {}).get(field_)
        return found["median"] if found else None

    def ratio(a: float | None, b: float | None) -> float | None:
        return a / b if a is not None and b else None

    def rate_row(
        figure: str,
        ours: str,
        base: str,
        base_label: str,
        unit: str,
        target: str = "",
        met: bool | None = None,
        target_ratio: float | None = None,
        short: str = "",
    ) -> None:
        if ours not in s or base not in s:
            return
        out.append(
            {
                "figure": figure,
                "unit": unit,
                "ours": s[ours],
                "baseline_label": base_label,
                "baseline": s[base],
                "ratio": ratio(med(ours), med(base)),
                "target": target,
                "met": met,
                "target_ratio": target_ratio,
                "short": short,
            }
        )

    n = next(iter(samples.get("replay", samples.get("relay", []))), None)
    size = f"{n.count:,} events" if n else ""
    rate_row(
        f"relay: event store → topic, events/s ({size})",
        "relay",
        "relay.raw_txn",
        "raw kafka-python producer, same bytes, same transactions",
        "events/s",
        short="relay / raw producer, same transactions",
    )
    rate_row(
        "relay, vs a plain producer",
        "relay",
        "relay.raw_plain",
        "raw kafka-python producer, same bytes, no transactions",
        "events/s",
        short="relay / raw producer, no transactions",
    )
    replay_rate = med("replay")
    vs_raw = ratio(replay_rate, med("replay.raw"))
    rate_row(
        f"replay: topic offset 0 → fresh ClickHouse raw + projections, events/s ({size})",
        "replay",
        "replay.raw",
        "raw kafka-python consumer, same topic (ceiling)",
        "events/s",
        f"≥ {TARGETS['replay_vs_raw']:.0%} of raw and > {TARGETS['replay_events_per_s']:,}/s",
        None
        if vs_raw is None
        else bool(
            vs_raw >= TARGETS["replay_vs_raw"]
            and (replay_rate or 0) > TARGETS["replay_events_per_s"]
        ),
        TARGETS["replay_vs_raw"],
        short="replay / raw kafka-python consumer",
    )
    if "replay.kcat" in s:
        rate_row(
            "replay, vs kcat",
            "replay",
            "replay.kcat",
            "kcat (librdkafka) → /dev/null, same topic",
            "events/s",
            short="replay / kcat (librdkafka)",
        )
    elif "kcat" in details and isinstance(details["kcat"], str):
        out.append(
            {
                "figure": "replay, vs kcat",
                "unit": "events/s",
                "ours": s.get("replay"),
                "baseline_label": details["kcat"],
                "baseline": None,
                "ratio": None,
                "target": "",
                "met": None,
            }
        )
    rate_row(
        f"ingest: signed submissions → domain → log, submissions/s ({o.ingest_count:,})",
        "ingest",
        "ingest.raw",
        "raw kafka-python consumer, same topic",
        "submissions/s",
        short="ingest / raw kafka-python consumer",
    )
    if "latency" in s:
        lat = s["latency"]
        out.append(
            {
                "figure": f"end-to-end latency, submission → visible in projections "
                f"({o.latency_samples} at {o.latency_rate:g}/s)",
                "unit": "ms",
                "ours": lat,
                "baseline_label": "",
                "baseline": None,
                "ratio": None,
                "target": "",
                "met": None,
                "latency": True,
            }
        )
    for factor in o.review_scales:
        key = f"review.{factor}x"
        if key in s:
            found = s[key]
            target, met = "", None
            if factor == max(o.review_scales) and factor >= 100:
                target = f"< {TARGETS['review_100x_s']:.0f} s"
                met = bool(found["wall_s"]["median"] < TARGETS["review_100x_s"])
            programmes = found.get("programmes", {}).get("median")
            outcomes = found.get("outcomes", {}).get("median")
            out.append(
                {
                    "figure": f"quarterly review query at {factor}x ({programmes:,.0f} programmes, "
                    f"{outcomes:,.0f} outcomes"
                    + (
                        "; the 1x scenario replayed"
                        if factor == 1
                        else "; the 1x programmes copied in raw_events by SQL"
                    )
                    + ")",
                    "unit": "ms",
                    "ours": found,
                    "baseline_label": "",
                    "baseline": None,
                    "ratio": None,
                    "target": target,
                    "met": met,
                    "timing": True,
                }
            )
    if "memory.1x" in s and "memory.10x" in s:
        growth = ratio(med("memory.10x"), med("memory.1x"))
        n10 = s["memory.10x"]["count"]
        n1 = s["memory.1x"]["count"]
        out.append(
            {
                "figure": f"peak memory of the replay, 10x ({n10:,}) vs 1x ({n1:,}) events, MiB",
                "unit": "MiB",
                "ours": s["memory.10x"],
                "baseline_label": "the same replay at 1x",
                "baseline": s["memory.1x"],
                "ratio": growth,
                "target": f"≤ {TARGETS['memory_growth']:.1f}x",
                "target_ratio": TARGETS["memory_growth"],
                "short": "replay peak memory, 10x / 1x events",
                "met": None if growth is None else bool(growth <= TARGETS["memory_growth"]),
            }
        )
    return out


def write_artifacts(result: dict[str, Any], out: Path) -> list[Path]:
    from bench.chart import draw

    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    data = out / f"bench-{stamp}.json"
    data.write_text(json.dumps(result, indent=2, default=str))
    latest = out / "bench-latest.json"
    latest.write_text(json.dumps(result, indent=2, default=str))
    return [data, latest, *draw(result, out)]
