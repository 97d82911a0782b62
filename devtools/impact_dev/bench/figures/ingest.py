"""ingest: signed submissions topic → desk → ledger → event store through ``Ingest`` vs a raw
consume of the same topic."""

from typing import Any

from impact_dev.bench.common import BenchError, bench_settings, scratch_dir
from impact_dev.bench.processes import run_worker
from impact_dev.bench.session import Sample, Session


def measure(bench: Session, run: int) -> None:
    o, m = bench.o, bench.o.ingest_count
    if run == 0:
        from impact_dev.bench.generate import programmes_for

        base = run_worker("build-ingest-base", {"programmes": programmes_for(m), "seed": o.seed})
        bench.ingest_base = base["path"]
        tag = f"keep-{bench.run_id}-subs"  # read by every run; deleted at the end
        bench.submissions_topic = f"bench.{tag}.submissions"
        bench.say(
            f"sending {m:,} signed outcome reports to {bench.submissions_topic} (not measured)"
        )
        send_submissions(bench, bench_settings(tag), m, programmes_for(m))
    bench.say(
        f"[ingest {run + 1}/{o.runs}] ours: Ingest (desk, domain, event store), {m:,} submissions"
    )
    ours = run_worker(
        "ingest",
        {
            "tag": bench.tag("ingest", run),
            "base": bench.ingest_base,
            "topic": bench.submissions_topic,
            "count": m,
            "workdir": str(scratch_dir() / f"ingest-{bench.run_id}-{run}"),
        },
        profile=bench.profile_to("ingest", run),
    )
    if ours["applied"] + ours["rejected"] != m:
        raise BenchError(
            f"ingest run {run + 1} took {ours['applied'] + ours['rejected']} of {m} submissions"
        )
    if ours["rejected"]:
        bench.notes.append(f"ingest run {run + 1} rejected {ours['rejected']}: {ours['codes']}")
    bench.add("ingest", Sample.of(ours, whole_run_s=ours["whole_run_s"]))
    bench.say(f"[ingest {run + 1}/{o.runs}] raw kafka-python consumer of the same topic")
    raw = run_worker(
        "raw-consume",
        {"tag": bench.tag("subs-consume", run), "topic": bench.submissions_topic, "batch": 500},
    )
    bench.add("ingest.raw", Sample.of(raw))


def send_submissions(
    bench: Session, settings: Any, count: int, programmes: int, prefix: str = "B"
) -> None:
    from impact.ingest.client import AgencyClient
    from impact_dev.bench.generate import bench_key, outcome_submissions

    client = AgencyClient(settings.kafka, settings.topics, bench_key(bench.o.seed, "KAMCO"))
    client.send_raw(outcome_submissions(count, programmes, bench.o.seed, prefix))
