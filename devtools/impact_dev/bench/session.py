"""What one bench invocation holds while it runs: its options, the samples measured so far,
details and notes for the report, and the cached logs the figures read."""

import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from impact_dev.bench.common import delete_topics, list_bench_topics
from impact_dev.bench.processes import py_spy

FIGURES = ("relay", "replay", "memory", "ingest", "latency", "review")
DEFAULT_EVENTS = 20_000
REVIEW_FACTORS = (1, 10, 100)


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


def to_stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


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


class Session:
    """One invocation's state; the figures' ``measure`` functions read and add to it."""

    # Set by ``logs.prepare`` (the cached logs) and by the figures on their first run.
    store: dict[str, Any]
    topic: str
    small_store: dict[str, Any]
    small_topic: str
    records: Path
    kcat_path: str | None
    ingest_base: str
    submissions_topic: str

    def __init__(self, options: Options, say: Say = to_stderr) -> None:
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

    def drop_throwaway(self) -> None:
        """Delete this invocation's per-run topics (the cached logs stay)."""
        if self.o.keep_topics:
            return
        delete_topics(t for t in list_bench_topics() if t.startswith(f"bench.{self.run_id}-"))
