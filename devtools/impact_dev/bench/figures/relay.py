"""relay: event store → events topic through ``Relay`` (one transaction per batch, chained
envelopes, a signed checkpoint per batch) vs the same bytes from a raw kafka-python producer:
transactional with the same batch size, and plain (idempotent, acks=all)."""

from impact_dev.bench.common import scratch_dir
from impact_dev.bench.processes import run_worker
from impact_dev.bench.session import Sample, Session


def measure(bench: Session, run: int) -> None:
    o = bench.o
    if run == 0:
        bench.records = scratch_dir().parent / "cache" / f"records-{bench.topic}.bin"
        if not bench.records.exists():
            bench.say("reading the relayed records back once, for the raw producers")
            run_worker(
                "dump",
                {"tag": bench.tag("dump", run), "topic": bench.topic, "path": str(bench.records)},
            )
    tag = bench.tag("relay", run)
    topic = f"bench.{tag}.events"
    bench.say(f"[relay {run + 1}/{o.runs}] ours: Relay, {bench.store['events']:,} events")
    ours = run_worker(
        "relay",
        {"tag": tag, "store": bench.store["path"], "topic": topic},
        profile=bench.profile_to("relay", run),
    )
    bench.add("relay", Sample.of(ours, start_s=ours["start_s"], batches=ours["batches"]))
    batch = ours["batch_size"]
    for transactional, key in ((True, "relay.raw_txn"), (False, "relay.raw_plain")):
        tag = bench.tag("raw-txn" if transactional else "raw-plain", run)
        bench.say(
            f"[relay {run + 1}/{o.runs}] raw kafka-python producer"
            + (f", transactions of {batch}" if transactional else ", no transactions")
        )
        raw = run_worker(
            "raw-produce",
            {
                "tag": tag,
                "topic": f"bench.{tag}.events",
                "records": str(bench.records),
                "transactional": transactional,
                "batch": batch,
            },
        )
        bench.add(key, Sample.of(raw))
    bench.drop_throwaway()
