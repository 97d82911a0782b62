"""memory: peak RSS of the replaying process at 1x (the topic's first tenth) and 10x (all)."""

from impact_dev.bench.common import scratch_dir
from impact_dev.bench.figures.replay import rss_sample
from impact_dev.bench.processes import run_worker
from impact_dev.bench.session import Session


def measure(bench: Session, run: int) -> None:
    n, tenth = bench.store["events"], bench.small_store["events"]
    bench.say(
        f"[memory {run + 1}/{bench.o.runs}] replay of a log of {tenth:,} events "
        f"(1x; 10x is the replay of {n:,})"
    )
    small = run_worker(
        "replay",
        {
            "tag": bench.tag("mem", run),
            "topic": bench.small_topic,
            "count": tenth,
            "chdb": str(scratch_dir() / f"ch-mem-{bench.run_id}-{run}"),
        },
    )
    bench.add("memory.1x", rss_sample(small))
    if "replay" not in bench.o.only:
        bench.say(f"[memory {run + 1}/{bench.o.runs}] replay of all {n:,} events (10x)")
        big = run_worker(
            "replay",
            {
                "tag": bench.tag("mem10", run),
                "topic": bench.topic,
                "count": n,
                "chdb": str(scratch_dir() / f"ch-mem10-{bench.run_id}-{run}"),
            },
        )
        bench.add("memory.10x", rss_sample(big))
