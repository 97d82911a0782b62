"""The bench runner: prepares the cached data, runs every phase in its own process, and
sums the runs up as one table of ours against raw baselines measured in the same run.

Figures (``FIGURES``), each measured ``runs`` times, ours and its baselines interleaved:

relay    event store → events topic through ``Relay`` (one transaction per batch, chained
         envelopes, a signed checkpoint per batch) vs the same bytes from a raw kafka-python
         producer: transactional with the same batch size, and plain (idempotent, acks=all).
replay   events topic from offset 0 → fresh chDB through the ``Loader`` (it creates the schema)
         vs a raw kafka-python consumer of the same topic (the loader's consumer settings) and
         ``kcat`` (librdkafka) reading it to /dev/null.
memory   peak RSS of the replaying process at 1x (the topic's first tenth) and 10x (all).
ingest   signed submissions topic → desk → ledger → event store through ``Ingest`` vs a raw
         consume of the same topic.
latency  a running ingest + relay + loader, each in its own process; submissions sent one by
         one at a fixed rate; the time until each outcome shows in ``outcome_versions``.
review   ``review_quarter`` on the whole 1x scenario, then with its programmes and outcomes
         copied to 10x and 100x directly in raw_events.

Each figure is a module of ``figures/``. Beside them: ``session`` (the options, samples and
state of one invocation), ``logs`` (the cached event stores and the topics they were relayed
to, and the broker), ``processes`` (every measured phase runs as ``impact_dev.bench.worker``
in a process of its own), ``summary`` and ``rows`` (median [min–max] per figure, the table
rows with ratios and targets), ``artifacts`` (the JSON files and the chart).
"""

import os
import platform
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from impact_dev.bench import logs
from impact_dev.bench.artifacts import write_artifacts as write_artifacts
from impact_dev.bench.common import delete_topics, list_bench_topics, remove, scratch_dir
from impact_dev.bench.figures import ingest, latency, memory, relay, replay, review
from impact_dev.bench.rows import rows
from impact_dev.bench.session import FIGURES as FIGURES
from impact_dev.bench.session import Options as Options
from impact_dev.bench.session import Session
from impact_dev.bench.summary import summarize

MEASURED_EACH_RUN: dict[str, Callable[[Session, int], None]] = {
    "relay": relay.measure,
    "replay": replay.measure,
    "memory": memory.measure,
    "ingest": ingest.measure,
    "latency": latency.measure,
}
"""The figures measured ``runs`` times, in this order; ``review`` runs once, after them."""


class Bench(Session):
    """One invocation: ``run()`` measures the chosen figures and returns the result."""

    def run(self) -> dict[str, Any]:
        o = self.o
        logs.ensure_broker(self.say)
        started = time.monotonic()
        try:
            logs.prepare(self)
            for run in range(0 if o.prepare_only else o.runs):
                for figure, measure in MEASURED_EACH_RUN.items():
                    if figure in o.only:
                        measure(self, run)
            if "review" in o.only and not o.prepare_only:
                review.measure(self)
        finally:
            self.drop_throwaway()
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
