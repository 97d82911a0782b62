"""A tiny run of `impact-dev bench` against the real broker and chDB: every figure is measured,
the table, JSON, Markdown and chart are written. No timing is asserted.

It has a bench folder of its own (IMPACT_BENCH_DIR), so it neither uses nor fills the
cache of real runs, and it deletes the bench topics it made.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from impact.settings import Settings, project_root

pytestmark = pytest.mark.integration


def test_bench_runs_every_figure_at_a_tiny_size(broker: Settings, tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = {
        "IMPACT_BENCH_DIR": str(tmp_path / "bench"),
        "KAFKA_BOOTSTRAP_SERVERS": broker.kafka_bootstrap_servers,
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "impact_dev.bench.cli",
            "--events",
            "400",
            "--runs",
            "1",
            "--json",
            "--submissions",
            "30",
            "--latency-samples",
            "3",
            "--latency-rate",
            "10",
            "--review-scales",
            "1,2",
            "--out",
            str(out),
        ],
        cwd=project_root(),
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=540,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    result = json.loads(done.stdout)
    try:
        figures = result["figures"]
        for key in (
            "relay",
            "relay.raw_txn",
            "relay.raw_plain",
            "replay",
            "replay.raw",
            "memory.1x",
            "memory.10x",
            "ingest",
            "ingest.raw",
            "latency",
            "review.1x",
            "review.2x",
        ):
            assert key in figures, f"{key} missing from {sorted(figures)}"
            assert figures[key]["runs"] >= 1
        assert figures["replay"]["count"] == result["details"]["store"]["events"]
        assert figures["ingest"]["count"] == 29  # the first of the 30 starts the clock
        assert figures["latency"]["count"] == 3
        assert (
            figures["review.2x"]["programmes"]["median"]
            == 2 * figures["review.1x"]["programmes"]["median"]
        )
        assert figures["memory.10x"]["rate"]["median"] > 0
        replay_row = next(r for r in result["rows"] if r["figure"].startswith("replay:"))
        assert replay_row["ratio"] is not None
        kcat = "replay.kcat" in figures or any("kcat" in note for note in result["notes"])
        assert kcat, "kcat is neither measured nor said to be missing"
        for name in ("bench-latest.json", "bench-latest.md"):
            assert (out / name).is_file()
        assert (out / "bench-ratios.png").is_file() or (out / "bench-ratios.svg").is_file()
        assert "| figure |" in (out / "bench-latest.md").read_text()
    finally:
        _delete_topics(result["details"].get("topics", []))


def _delete_topics(names: list[str]) -> None:
    from impact_dev.bench.common import delete_topics, list_bench_topics

    prefixes = tuple(n.removesuffix(".events") for n in names)
    if prefixes:
        delete_topics(t for t in list_bench_topics() if t.startswith(prefixes))
