"""The cached logs the figures read: event stores built once (``build-store`` workers) and
the topics they were relayed to once, kept between runs; and the broker they live on."""

from pathlib import Path
from typing import Any

from impact_dev.bench.common import (
    BenchError,
    base_settings,
    bench_settings,
    delete_topics,
    fingerprint,
    list_bench_topics,
)
from impact_dev.bench.processes import run_worker
from impact_dev.bench.session import Say, Session

RELAY_SOURCES = (
    "impact/contract/events.py",
    "impact/ingest/relay.py",
    "impact/contract/chain.py",
    "impact/canonical_json.py",
)


def prepare(bench: Session) -> None:
    o = bench.o
    if {"relay", "replay", "memory"} & set(o.only):
        bench.store, bench.topic = _log(bench, o.events, "store")
    if "memory" in o.only:
        bench.small_store, bench.small_topic = _log(bench, max(10, o.events // 10), "store_tenth")


def _log(bench: Session, events: int, name: str) -> tuple[dict[str, Any], str]:
    """The cached store of ``events`` events and the cached topic it was relayed to."""
    store = run_worker("build-store", {"events": events, "seed": bench.o.seed})
    bench.details[name] = {k: v for k, v in store.items() if k not in ("process", "pid")}
    topic, first = ensure_topic(store, f"log-{events}", bench.say)
    if first is not None:
        bench.details[f"first_relay_{name}"] = first
        bench.say(
            f"  relayed {first['count']:,} events in {first['wall_s']:.1f} s "
            f"({first['rate']:,.0f}/s)"
        )
    bench.details.setdefault("topics", []).append(topic)
    return store, topic


def ensure_broker(say: Say) -> None:
    from impact_dev.broker import LocalBroker

    local = LocalBroker(base_settings())
    status = local.status()
    if status.answering:
        return
    if not local.is_local:
        raise BenchError(f"Kafka at {base_settings().kafka_bootstrap_servers} does not answer")
    say("starting the local Kafka broker")
    local.up()


def topic_exists(name: str) -> bool:
    return name in list_bench_topics()


def ensure_topic(store: dict[str, Any], label: str, say: Say) -> tuple[str, dict[str, Any] | None]:
    """The events topic holding the whole store, relayed once and kept; (name, relay result
    if this call relayed it). Older topics of the same label are deleted."""
    from impact.contract.chain import platform_trust
    from impact.ingest.relay import highest_published

    store_dir = Path(store["path"]).parent.name
    # The platform key signs the topic's checkpoints: a topic another bench folder (another
    # key) relayed on the same broker is not this one's, whatever it holds.
    signer = sorted(platform_trust(bench_settings("probe").platform_key_path))
    name = f"bench.{label}-{fingerprint(RELAY_SOURCES, store_dir, signer)}.events"
    stale = [
        t
        for t in list_bench_topics()
        if t.startswith(f"bench.{label}-") and not t.startswith(name.removesuffix(".events"))
    ]
    if stale:
        delete_topics(stale)
    if topic_exists(name):
        head = highest_published(bench_settings("probe", events_topic=name).kafka, name)
        if head >= store["events"]:
            return name, None
        say(f"{name} holds events up to {head:,} of {store['events']:,}: the relay resumes it")
    else:
        say(f"relaying the {store['events']:,} stored events to {name} once (kept for later runs)")
    tag = name.removeprefix("bench.").removesuffix(".events")
    result = run_worker("relay", {"tag": tag, "store": store["path"], "topic": name})
    return name, result
