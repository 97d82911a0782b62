"""One measured phase of the bench, in a process of its own.

``python -m impact_dev.bench.worker PHASE ARGS_JSON`` runs the phase and writes its result as JSON
to ``ARGS["result"]``. A process of its own per phase because chDB opens one path per
process, and so that each phase's peak memory and CPU time are its alone (the runner
also reads them with ``os.wait4``). Progress goes to stderr.
"""

import json
import logging
import os
import shutil
import struct
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from impact_dev.bench.common import (
    Measure,
    Progress,
    bench_settings,
    broker_pid,
    peak_rss_mib,
    process_cpu,
    write_json,
)

Args = dict[str, Any]


# -- the relay and its raw producers -------------------------------------------------


def phase_relay(args: Args) -> dict[str, Any]:
    """Event store → the events topic through the project's Relay."""
    from impact.ingest.relay import Relay
    from impact_dev.bench.generate import open_ledger

    settings = bench_settings(args["tag"], store=Path(args["store"]), events_topic=args["topic"])
    ledger = open_ledger(Path(args["store"]))
    total = ledger.max_notification_id()
    relay = Relay(ledger, settings.kafka, settings.topics, settings.relay)
    with Measure() as start:
        relay.start()
    progress = Progress("relayed", total)
    try:
        with Measure(broker_pid()) as run:
            published = relay.publish_available(on_batch=lambda s: progress(s.published))
    finally:
        relay.close()
        ledger.close()
    progress(published, force=True)
    return {
        **run.as_dict(published),
        "start_s": start.wall,
        "resumed_after": relay.stats.resumed_after,
        "batches": relay.stats.batches,
        "batch_size": relay.batch_size,
    }


MAGIC = b"BENCHREC1"


def write_records(path: Path, records: list[tuple[bytes, bytes, list[tuple[str, bytes]]]]) -> None:
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as out:
        out.write(MAGIC)
        for key, value, headers in records:
            out.write(struct.pack(">IIH", len(key), len(value), len(headers)))
            out.write(key)
            out.write(value)
            for name, data in headers:
                raw = name.encode()
                out.write(struct.pack(">HI", len(raw), len(data)))
                out.write(raw)
                out.write(data)
    tmp.replace(path)


def read_records(path: Path) -> Iterator[tuple[bytes, bytes, list[tuple[str, bytes]]]]:
    with path.open("rb") as src:
        if src.read(len(MAGIC)) != MAGIC:
            raise ValueError(f"{path} is not a bench records file")
        while head := src.read(10):
            klen, vlen, hcount = struct.unpack(">IIH", head)
            key, value = src.read(klen), src.read(vlen)
            headers = []
            for _ in range(hcount):
                nlen, dlen = struct.unpack(">HI", src.read(6))
                headers.append((src.read(nlen).decode(), src.read(dlen)))
            yield key, value, headers


def phase_dump(args: Args) -> dict[str, Any]:
    """The records the relay published, in notification order, to a file (not measured)."""
    from kafka import TopicPartition

    from impact.ingest.relay import NOTIFICATION_HEADER
    from impact.kafka import committed_consumer

    settings = bench_settings(args["tag"], events_topic=args["topic"])
    consumer = committed_consumer(settings.kafka, client_id="bench-dump")
    found: list[tuple[int, bytes, bytes, list[tuple[str, bytes]]]] = []
    progress = Progress("read back for the raw producers")
    try:
        tps = [
            TopicPartition(args["topic"], p)
            for p in sorted(consumer.partitions_for_topic(args["topic"]))
        ]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        while any(consumer.position(tp) < ends[tp] for tp in tps):
            for batch in consumer.poll(timeout_ms=500, max_records=5000).values():
                for r in batch:
                    headers = list(r.headers or [])
                    nid = int(dict(headers).get(NOTIFICATION_HEADER, b"0"))
                    found.append((nid, r.key or b"", r.value or b"", headers))
            progress(len(found))
    finally:
        consumer.close()
    found.sort(key=lambda item: item[0])
    write_records(Path(args["path"]), [(k, v, h) for _, k, v, h in found])
    return {"count": len(found), "bytes": sum(len(v) for _, _, v, _ in found)}


def phase_raw_produce(args: Args) -> dict[str, Any]:
    """The same bytes through a plain kafka-python producer: transactional (one transaction
    per ``batch`` records, like the relay) or not."""
    from kafka import KafkaProducer

    from impact.kafka import MAX_MESSAGE_BYTES, client_config, ensure_topics, transactional_producer

    settings = bench_settings(args["tag"], events_topic=args["topic"])
    ensure_topics(settings.kafka, settings.topics)
    transactional, batch = bool(args["transactional"]), int(args["batch"])
    if transactional:
        producer = transactional_producer(settings.kafka, f"bench-raw-{args['tag']}")
    else:
        producer = KafkaProducer(
            acks="all",
            enable_idempotence=True,
            linger_ms=5,
            compression_type=None,
            max_request_size=MAX_MESSAGE_BYTES,
            **client_config(settings.kafka),
        )
    topic, sent = args["topic"], 0
    progress = Progress("raw producer" + (" (transactions)" if transactional else ""))
    try:
        with Measure(broker_pid()) as run:
            records = read_records(Path(args["records"]))
            while True:
                chunk = [r for _, r in zip(range(batch), records, strict=False)]
                if not chunk:
                    break
                if transactional:
                    producer.begin_transaction()
                for key, value, headers in chunk:
                    producer.send(topic, key=key, value=value, headers=headers)
                if transactional:
                    producer.commit_transaction()
                sent += len(chunk)
                progress(sent)
            producer.flush()
    finally:
        producer.close(timeout=5)
    return run.as_dict(sent)


# -- raw consumers -------------------------------------------------------------------


def phase_raw_consume(args: Args) -> dict[str, Any]:
    """Read a whole topic with kafka-python, the way the loader's consumer is set up."""
    from kafka import TopicPartition

    from impact.kafka import committed_consumer

    topic = args["topic"]
    settings = bench_settings(args["tag"], events_topic=topic)
    consumer = committed_consumer(settings.kafka, client_id="bench-raw-consumer")
    count = size = 0
    progress = Progress("raw consumer")
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        with Measure(broker_pid()) as run:
            while any(consumer.position(tp) < ends[tp] for tp in tps):
                for records in consumer.poll(
                    timeout_ms=500, max_records=int(args.get("batch", 5000))
                ).values():
                    count += len(records)
                    size += sum(len(r.value or b"") for r in records)
                progress(count)
    finally:
        consumer.close()
    return {**run.as_dict(count), "bytes": size}


# -- the loader ----------------------------------------------------------------------


def phase_replay(args: Args) -> dict[str, Any]:
    """impact.events from offset 0 into a fresh ClickHouse (schema, raw_events, views), through
    the project's Loader; then the first quarterly review on what was loaded."""
    from impact.domain.quarter import Quarter
    from impact.projections.loader import Loader, SignedLog
    from impact.projections.scoring import review_quarter
    from impact.projections.store import ProjectionStore

    chdb = Path(args["chdb"])
    shutil.rmtree(chdb, ignore_errors=True)
    settings = bench_settings(args["tag"], chdb=chdb, events_topic=args["topic"])
    target = int(args["count"])
    rss_before = peak_rss_mib()
    store = ProjectionStore(settings.clickhouse)
    loader = Loader(store, SignedLog.of(settings, role="admin"))
    progress = Progress("replayed", target)

    def enough() -> bool:
        return loader.stats.loaded + loader.stats.unreadable + loader.stats.skipped >= target

    with Measure(broker_pid()) as run:  # the loader creates the fresh store's schema
        loader.run(until_idle=True, stop=enough, on_batch=lambda s: progress(s.loaded))
    progress(loader.stats.loaded, force=True)
    load_peak = peak_rss_mib()  # before any query: the replay's own peak
    stats = loader.stats
    result: dict[str, Any] = {
        **run.as_dict(stats.loaded + stats.unreadable),
        "loaded": stats.loaded,
        "unreadable": stats.unreadable,
        "batches": stats.batches,
        "rss_before_mib": rss_before,
        "load_peak_rss_mib": load_peak,
    }
    if args.get("review"):
        with Measure() as counted:
            rows = store.rows("SELECT count() FROM {db}.events")
        latest = store.rows("SELECT max(quarter) FROM {db}.outcome_versions")[0][0]
        result["events_in_view"] = int(rows[0][0])
        result["count_events_view_s"] = counted.wall
        if latest:
            with Measure() as scored:
                review = review_quarter(store, Quarter.parse(latest))
            result |= {
                "review_quarter": latest,
                "review_s": scored.wall,
                "review_programmes": len(review.candidates),
            }
    result["peak_rss_mib"] = peak_rss_mib()
    shutil.rmtree(chdb, ignore_errors=True)
    return result


# -- the ingest ----------------------------------------------------------------------


def _fresh_copy(base: Path, to: Path) -> Path:
    shutil.rmtree(to, ignore_errors=True)
    to.mkdir(parents=True)
    for suffix in ("", "-wal", "-shm"):
        source = Path(str(base) + suffix)
        if source.exists():
            shutil.copy(source, to / (base.name + suffix))
    return to / base.name


def phase_ingest(args: Args) -> dict[str, Any]:
    """Signed submissions from their topic → desk → domain → event store, through Ingest."""
    from impact.ingest.ingest import Ingest
    from impact_dev.bench.generate import open_ledger

    store = _fresh_copy(Path(args["base"]), Path(args["workdir"]))
    settings = bench_settings(args["tag"], store=store, submissions_topic=args["topic"])
    ledger = open_ledger(store)
    target = int(args["count"])
    ingest = Ingest(ledger, settings.kafka, settings.topics, settings.relay)
    progress = Progress("ingested", target)
    marks: dict[str, float] = {}
    broker = broker_pid()

    def seen(code: str, outcome: Any) -> None:
        done = ingest.stats.applied + ingest.stats.rejected
        if done == 1:
            marks.update(
                wall=time.perf_counter(), cpu=time.process_time(), broker=process_cpu(broker) or 0.0
            )
        progress(done)

    def enough() -> bool:
        return ingest.stats.applied + ingest.stats.rejected >= target

    with Measure(broker) as whole:
        ingest.run(until_idle=True, stop=enough, on_message=seen)
        end = {"wall": time.perf_counter(), "cpu": time.process_time()}
    broker_end = process_cpu(broker)
    ledger.close()
    done = ingest.stats.applied + ingest.stats.rejected
    steady = end["wall"] - marks.get("wall", end["wall"])
    result = {
        "count": done - 1,
        "wall_s": steady,
        "cpu_s": end["cpu"] - marks.get("cpu", end["cpu"]),
        "rate": (done - 1) / steady if steady > 0 else None,
        "broker_cpu_s": (broker_end - marks["broker"])
        if broker_end is not None and "broker" in marks
        else None,
        "applied": ingest.stats.applied,
        "rejected": ingest.stats.rejected,
        "codes": ingest.stats.codes,
        "whole_run_s": whole.wall,
        "whole_run_cpu_s": whole.cpu,
    }
    shutil.rmtree(args["workdir"], ignore_errors=True)
    return result


# -- the latency services --------------------------------------------------------------


def phase_service(args: Args) -> dict[str, Any]:
    """One service of the end-to-end loop (ingest, relay or loader), until the stop file exists."""
    from impact_dev.bench.generate import open_ledger

    stop_file = Path(args["stop"])
    settings = bench_settings(
        args["tag"],
        store=Path(args["store"]),
        chdb=Path(args["chdb"]),
        events_topic=args["events_topic"],
        submissions_topic=args["submissions_topic"],
    )

    def stop() -> bool:
        return stop_file.exists()

    which = args["which"]
    if which == "ingest":
        from impact.ingest.ingest import Ingest

        ledger = open_ledger(Path(args["store"]))
        ingest = Ingest(ledger, settings.kafka, settings.topics, settings.relay)
        stats = ingest.run(until_idle=False, stop=stop)
        return {"applied": stats.applied, "rejected": stats.rejected}
    if which == "relay":
        from impact.ingest.relay import Relay

        ledger = open_ledger(Path(args["store"]))
        relay = Relay(ledger, settings.kafka, settings.topics, settings.relay)
        relay_stats = relay.run(until_idle=False, stop=stop)
        return {"published": relay_stats.published}
    if which == "loader":
        return _visibility_loader(settings, args, stop)
    raise ValueError(which)


def _visibility_loader(settings: Any, args: Args, stop: Any) -> dict[str, Any]:
    """The loader, checking after each batch which outcome reports the projections show."""
    from impact.projections.loader import Loader, SignedLog
    from impact.projections.store import ProjectionStore

    shutil.rmtree(args["chdb"], ignore_errors=True)
    store = ProjectionStore(settings.clickhouse)
    seen: dict[str, float] = {}
    status = Path(args["status"])
    prefix = args["prefix"]

    def look(_: Any) -> None:
        rows = store.rows(
            "SELECT report_id FROM {db}.outcome_versions WHERE startsWith(report_id, {p:String})",
            p=prefix,
        )
        now = time.time()
        fresh = [r[0] for r in rows if r[0] not in seen]
        for report_id in fresh:
            seen[report_id] = now
        if fresh:
            write_json(status, {"visible": seen})

    loader = Loader(store, SignedLog.of(settings, role="admin"))
    loader.run(until_idle=False, stop=stop, on_batch=look)
    stages = store.rows(
        "SELECT JSONExtractString(payload, 'report_id'), toFloat64(recorded_at),"
        " toFloat64(loaded_at)"
        " FROM {db}.raw_events WHERE type = 'Program.OutcomeReported'"
        " AND startsWith(JSONExtractString(payload, 'report_id'), {p:String})",
        p=prefix,
    )
    result = {"visible": seen, "stages": {r[0]: [r[1], r[2]] for r in stages}}
    shutil.rmtree(args["chdb"], ignore_errors=True)
    return result


# -- the quarterly review query at scale -------------------------------------------------


def phase_review(args: Args) -> dict[str, Any]:
    """The review query on the 1x scenario, then with its programmes and outcomes copied to
    10x and 100x directly in raw_events (SQL INSERT … SELECT; replaying 100x would be slow)."""
    from impact.domain.quarter import Quarter
    from impact.projections.loader import RAW_COLUMNS, Loader, SignedLog
    from impact.projections.scoring import quarter_inputs, review_quarter
    from impact.projections.store import ProjectionStore

    chdb = Path(args["chdb"])
    shutil.rmtree(chdb, ignore_errors=True)
    settings = bench_settings(args["tag"], chdb=chdb, events_topic=args["topic"])
    store = ProjectionStore(settings.clickhouse)
    Loader(store, SignedLog.of(settings, role="admin")).run(until_idle=True)
    topic = args["topic"]
    quarter = Quarter.parse(
        args.get("quarter") or store.rows("SELECT max(quarter) FROM {db}.outcome_versions")[0][0]
    )
    repeats = int(args["repeats"])
    base = store.rows(
        "SELECT count(), max(offset) + 1 FROM {db}.raw_events WHERE aggregate_type = 'program'"
    )[0]
    stride = 10 ** len(str(int(base[1])))  # offsets and notification ids of copies never collide
    copied = {"event_id", "aggregate_id", "offset", "notification_id", "payload"}
    passthrough = [c for c in RAW_COLUMNS if c not in copied]

    def copy_sql(k: int) -> str:
        def uuid_of(column: str) -> str:
            return f"reinterpretAsUUID(substring(MD5(concat(toString({column}), '/{k}')), 1, 16))"

        mapped = {
            "event_id": uuid_of("event_id"),
            "aggregate_id": uuid_of("aggregate_id"),
            "offset": f"offset + {k * stride}",
            "notification_id": f"notification_id + {k * stride}",
            "payload": (
                "if(type = 'Program.Registered', replaceOne(payload, "
                "concat('\"code\":\"', JSONExtractString(payload, 'code'), '\"'), "
                f"concat('\"code\":\"', JSONExtractString(payload, 'code'), '-R{k}\"')), payload)"
            ),
        }
        columns = [*passthrough, *mapped]
        select = ", ".join([*passthrough, *mapped.values()])
        return (
            f"INSERT INTO {{db}}.raw_events ({', '.join(columns)}) SELECT {select}"
            f" FROM {{db}}.raw_events WHERE aggregate_type = 'program' AND offset < {stride}"
            f" AND topic = '{topic}'"
        )

    queries: list[dict[str, Any]] = []

    def timed(method: Any) -> Any:
        def run(sql: str, **params: Any) -> Any:
            started = time.perf_counter()
            rows = method(sql, **params)
            queries.append(
                {
                    "s": time.perf_counter() - started,
                    "rows": len(rows) if isinstance(rows, list) else rows.count(b"\n"),
                    "sql": " ".join(sql.split())[:90],
                }
            )
            return rows

        return run

    store.rows, store.dicts = timed(store.rows), timed(store.dicts)  # type: ignore[method-assign]
    store.json_lines = timed(store.json_lines)  # type: ignore[method-assign]
    results: dict[str, Any] = {
        "quarter": str(quarter),
        "program_events_1x": int(base[0]),
        "scales": {},
    }
    have = 1
    for factor in args["factors"]:
        factor = int(factor)
        with Measure() as grow:
            for k in range(have, factor):
                store.command(copy_sql(k))
        have = max(have, factor)
        counts = store.rows(
            "SELECT countIf(type = 'Program.Registered'), countIf(type IN "
            "('Program.OutcomeReported', 'Program.OutcomeCorrected')), count() FROM {db}.events"
        )[0]
        with Measure() as cold:
            review = review_quarter(store, quarter)
        samples, inputs_only = [], []
        for _ in range(repeats):
            queries.clear()
            with Measure() as warm:
                review = review_quarter(store, quarter)
            samples.append(
                {
                    "wall_s": warm.wall,
                    "cpu_s": warm.cpu,
                    "queries_s": sum(q["s"] for q in queries),
                    "queries": list(queries),
                }
            )
            with Measure() as part:
                quarter_inputs(store, quarter, review.as_of)
            inputs_only.append(part.wall)
        results["scales"][str(factor)] = {
            "programmes": int(counts[0]),
            "outcomes": int(counts[1]),
            "events": int(counts[2]),
            "candidates": len(review.candidates),
            "grow_s": grow.wall,
            "cold_s": cold.wall,
            "samples": samples,
            "inputs_query_s": inputs_only,
        }
        print(
            f"  review {quarter} at {factor}x: {len(review.candidates)} candidates, "
            f"{min(s['wall_s'] for s in samples) * 1000:.0f} ms",
            file=sys.stderr,
            flush=True,
        )
    shutil.rmtree(chdb, ignore_errors=True)
    return results


# -- data preparation (not measured) ----------------------------------------------------


def phase_build_store(args: Args) -> dict[str, Any]:
    from impact_dev.bench.generate import build_store, store_info

    path = build_store(
        args.get("events"),
        seed=int(args["seed"]),
        scale=args.get("scale"),
        say=lambda text: print(text, file=sys.stderr, flush=True),
    )
    return {"path": str(path), **store_info(path)}


def phase_build_ingest_base(args: Args) -> dict[str, Any]:
    from impact_dev.bench.generate import build_ingest_base

    return {"path": str(build_ingest_base(int(args["programmes"]), seed=int(args["seed"])))}


PHASES = {
    "relay": phase_relay,
    "dump": phase_dump,
    "raw-produce": phase_raw_produce,
    "raw-consume": phase_raw_consume,
    "replay": phase_replay,
    "ingest": phase_ingest,
    "service": phase_service,
    "review": phase_review,
    "build-store": phase_build_store,
    "build-ingest-base": phase_build_ingest_base,
}


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("kafka").setLevel(logging.CRITICAL)
    phase, args = sys.argv[1], json.loads(sys.argv[2])
    result = PHASES[phase](args)
    result.setdefault("peak_rss_mib", peak_rss_mib())
    result["pid"] = os.getpid()
    write_json(Path(args["result"]), result)


if __name__ == "__main__":
    main()
