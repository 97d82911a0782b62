"""review: ``review_quarter`` on the whole 1x scenario, then with its programmes and outcomes
copied to 10x and 100x directly in raw_events."""

from impact_dev.bench.common import scratch_dir
from impact_dev.bench.logs import ensure_topic
from impact_dev.bench.processes import run_worker
from impact_dev.bench.session import Sample, Session


def measure(bench: Session) -> None:
    scale1 = run_worker("build-store", {"scale": 1, "seed": bench.o.seed})
    topic, _ = ensure_topic(scale1, "scenario-1x", bench.say)
    bench.details.setdefault("topics", []).append(topic)
    bench.say(
        f"[review] review_quarter at {', '.join(f'{f}x' for f in bench.o.review_scales)} "
        f"({bench.o.runs} runs each, after one cold run)"
    )
    result = run_worker(
        "review",
        {
            "tag": bench.tag("review", 0),
            "topic": topic,
            "factors": list(bench.o.review_scales),
            "repeats": bench.o.runs,
            "chdb": str(scratch_dir() / f"ch-review-{bench.run_id}"),
        },
        profile=bench.profile_to("review", 0),
    )
    bench.details["review"] = result
    for factor, found in result["scales"].items():
        walls = [s["wall_s"] for s in found["samples"]]
        cpus = [s["cpu_s"] for s in found["samples"]]
        queries = [s["queries_s"] for s in found["samples"]]
        for wall, cpu, spent in zip(walls, cpus, queries, strict=True):
            bench.add(
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
