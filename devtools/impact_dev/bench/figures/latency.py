"""latency: a running ingest + relay + loader, each in its own process; submissions sent one by
one at a fixed rate; the time until each outcome shows in ``outcome_versions``."""

import json
import shutil
import time
from pathlib import Path
from typing import Any

from impact_dev.bench.common import BenchError, bench_settings, remove, scratch_dir
from impact_dev.bench.processes import finish_worker, run_worker, start_worker
from impact_dev.bench.session import Sample, Session
from impact_dev.bench.summary import percentile


def measure(bench: Session, run: int) -> None:
    from kafka import KafkaProducer

    from impact.kafka import SUBMISSIONS_MAX_BYTES, client_config, ensure_topics
    from impact_dev.bench.generate import outcome_submissions, programmes_for

    o = bench.o
    samples = o.latency_samples
    programmes = programmes_for(samples + 1)
    base = run_worker("build-ingest-base", {"programmes": programmes, "seed": o.seed})["path"]
    tag = bench.tag("latency", run)
    work = scratch_dir() / f"latency-{tag}"
    remove(work)
    work.mkdir(parents=True)
    store = work / "events.sqlite"
    shutil.copy(base, store)
    settings = bench_settings(tag, store=store)
    ensure_topics(settings.kafka, settings.topics)
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
    bench.say(
        f"[latency {run + 1}/{o.runs}] ingest, relay and loader running; "
        f"{samples} submissions at {o.latency_rate:g}/s"
    )
    services = {
        w: start_worker("service", {**common, "which": w}) for w in ("ingest", "relay", "loader")
    }
    messages = list(outcome_submissions(samples + 1, programmes, o.seed, prefix))
    producer = KafkaProducer(
        acks="all",
        enable_idempotence=True,
        linger_ms=0,
        max_request_size=SUBMISSIONS_MAX_BYTES,
        **client_config(settings.kafka),
    )
    sent: dict[str, float] = {}
    report_ids = [_report_id(message) for _, _, message in messages]
    try:
        # The first one warms the loop up (all three services started and caught up).
        producer.send(settings.submissions_topic, key=messages[0][1], value=messages[0][2]).get(30)
        if not _wait_visible(work / "visible.json", [report_ids[0]], 120, services):
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
        complete = _wait_visible(work / "visible.json", report_ids[1:], 60 + samples / 10, services)
    finally:
        producer.close(timeout=5)
        (work / "stop").touch()
        results = {}
        for which, (proc, path) in services.items():
            try:
                results[which] = finish_worker(proc, path, timeout=60)
            except BenchError as exc:
                bench.notes.append(f"latency {which} service: {exc}")
    loader = results.get("loader", {})
    visible = loader.get("visible", {})
    stages = loader.get("stages", {})
    latencies = sorted((visible[r] - t) * 1000 for r, t in sent.items() if r in visible)
    if not complete:
        bench.notes.append(
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
    bench.add(
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
    bench.drop_throwaway()


def _report_id(message: bytes) -> str:
    return json.loads(message)["submission"]["report_id"]


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
            raise BenchError(f"the latency loop's {', '.join(dead)} stopped; see its output above")
        time.sleep(0.05)
    return False
