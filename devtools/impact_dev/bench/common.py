"""Paths, settings, fingerprints and meters shared by the bench runner and its workers."""

import hashlib
import json
import os
import resource
import shutil
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from impact.errors import ImpactError
from impact.settings import Settings, project_root

ROOT = project_root()


class BenchError(ImpactError):
    """A bench step failed."""


def base_settings() -> Settings:
    """The settings of the environment: where the broker answers, where .state is."""
    return Settings()


def bench_dir() -> Path:
    """``<state>/bench``, or ``IMPACT_BENCH_DIR`` (the smoke test's own folder)."""
    override = os.environ.get("IMPACT_BENCH_DIR")
    path = Path(override) if override else base_settings().state_dir / "bench"
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    path = bench_dir() / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


def scratch_dir() -> Path:
    path = bench_dir() / "scratch"
    path.mkdir(parents=True, exist_ok=True)
    return path


TOPIC_PREFIX = "bench."


def bench_settings(
    tag: str,
    store: Path | None = None,
    chdb: Path | None = None,
    events_topic: str | None = None,
    submissions_topic: str | None = None,
) -> Settings:
    """Settings of one measured phase: its own topics, transactional id, store and chDB path.

    Nothing here touches the ledger's own topics, event store or ClickHouse.
    """
    base = base_settings()
    values: dict[str, Any] = {
        "state_dir": bench_dir() / "state",
        "kafka_bootstrap_servers": base.kafka_bootstrap_servers,
        "kafka_credentials": base.kafka_credentials_dir,
        "events_topic": events_topic or f"{TOPIC_PREFIX}{tag}.events",
        "submissions_topic": submissions_topic or f"{TOPIC_PREFIX}{tag}.submissions",
        "rejections_topic": f"{TOPIC_PREFIX}{tag}.rejected",
        "relay_transactional_id": f"bench-relay-{tag}",
        "clickhouse_database": "bench",
        "clickhouse_dsn": f"chdb://{chdb or scratch_dir() / f'ch-{tag}'}",
    }
    if store is not None:
        values["event_store_dsn"] = f"sqlite://{store}"
    return Settings(**values)


def fingerprint(relative_paths: Iterable[str], *extra: object) -> str:
    """sha256 of the named source files (and folders' .py files) and the extra values."""
    digest = hashlib.sha256()
    for rel in relative_paths:
        path = ROOT / rel
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        for file in files:
            if file.exists():
                digest.update(str(file.relative_to(ROOT)).encode())
                digest.update(file.read_bytes())
    for value in extra:
        digest.update(repr(value).encode())
    return digest.hexdigest()[:12]


def broker_pid() -> int | None:
    try:
        from impact_dev.broker import LocalBroker

        return LocalBroker(base_settings()).status().pid
    except Exception:
        return None


def process_cpu(pid: int | None) -> float | None:
    """CPU seconds (user + system) a process has used so far, from /proc."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks
    except (OSError, IndexError, ValueError):
        return None


def peak_rss_mib() -> float:
    """This process's peak resident memory (VmHWM), MiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class Measure:
    """Wall and CPU time of a measured region; the broker's CPU time too, when it is local."""

    broker: int | None = None
    wall: float = 0.0
    cpu: float = 0.0
    broker_cpu: float | None = None
    _t: tuple[float, float, float | None] = field(default=(0.0, 0.0, None), repr=False)

    def __enter__(self) -> "Measure":
        self._t = (time.perf_counter(), time.process_time(), process_cpu(self.broker))
        return self

    def __exit__(self, *exc: object) -> None:
        wall0, cpu0, broker0 = self._t
        self.wall = time.perf_counter() - wall0
        self.cpu = time.process_time() - cpu0
        broker1 = process_cpu(self.broker)
        self.broker_cpu = broker1 - broker0 if broker0 is not None and broker1 is not None else None

    def as_dict(self, count: int | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "wall_s": self.wall,
            "cpu_s": self.cpu,
            "broker_cpu_s": self.broker_cpu,
        }
        if count is not None:
            out["count"] = count
            out["rate"] = count / self.wall if self.wall > 0 else None
        return out


class Progress:
    """Progress lines on stderr, at most one every ``every`` seconds."""

    def __init__(self, what: str, total: int | None = None, every: float = 2.0) -> None:
        self.what, self.total, self.every = what, total, every
        self.started = self.last = time.monotonic()

    def __call__(self, done: int, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < self.every:
            return
        self.last = now
        elapsed = now - self.started
        rate = done / elapsed if elapsed > 0 else 0.0
        of = f"/{self.total:,}" if self.total else ""
        print(
            f"  {self.what}: {done:,}{of} ({rate:,.0f}/s, {elapsed:.0f} s)",
            file=sys.stderr,
            flush=True,
        )


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str))
    tmp.replace(path)


def remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists():
        path.unlink()


def delete_topics(names: Iterable[str]) -> list[str]:
    """Delete the named topics that exist (bench topics only)."""
    from impact.kafka import admin_client

    wanted = [n for n in names if n.startswith(TOPIC_PREFIX)]
    if not wanted:
        return []
    admin = admin_client(base_settings().kafka)
    try:
        doomed = sorted(set(wanted) & set(admin.list_topics()))
        if doomed:
            admin.delete_topics(doomed)
        return doomed
    finally:
        admin.close()


def list_bench_topics() -> list[str]:
    from impact.kafka import admin_client

    admin = admin_client(base_settings().kafka)
    try:
        return sorted(t for t in admin.list_topics() if t.startswith(TOPIC_PREFIX))
    finally:
        admin.close()
