"""Running workers: each measured phase is ``python -m impact_dev.bench.worker PHASE`` in a
process of its own (chDB opens one path per process, and each phase's peak memory and CPU
time are its own), optionally under py-spy."""

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from impact_dev.bench.common import ROOT, BenchError, scratch_dir

PROFILED = {
    "relay": "Relay.publish_available",
    "replay": "phase_replay",
    "ingest": "Ingest.run",
    "review": "phase_review",
}
"""Phases ``--profile`` records with py-spy, and the function their report starts from."""


def _spawn(
    phase: str, args: dict[str, Any], result_path: Path, prefix: list[str] | None = None
) -> subprocess.Popen[bytes]:
    """Start ``impact_dev.bench.worker PHASE`` (under ``prefix``, e.g. py-spy), writing its
    result to a file."""
    command = [
        sys.executable,
        "-m",
        "impact_dev.bench.worker",
        phase,
        json.dumps({**args, "result": str(result_path)}),
    ]
    return subprocess.Popen([*(prefix or []), *command], cwd=ROOT, stdout=subprocess.DEVNULL)


def run_worker(phase: str, args: dict[str, Any], profile: Path | None = None) -> dict[str, Any]:
    """Run ``impact_dev.bench.worker PHASE`` in a new process; its result, plus what the kernel
    says it used (peak RSS, CPU) read with wait4. With ``profile`` (a file), under py-spy."""
    result_path = scratch_dir() / f"result-{phase}-{uuid.uuid4().hex[:8]}.json"
    prefix: list[str] = []
    if profile is not None:
        profile.parent.mkdir(parents=True, exist_ok=True)
        prefix = [
            str(py_spy()),
            "record",
            "--idle",
            "--threads",
            "-r",
            "100",
            "-f",
            "raw",
            "-o",
            str(profile),
            "--",
        ]
    started = time.perf_counter()
    proc = _spawn(phase, args, result_path, prefix)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0 or not result_path.exists():
        raise BenchError(
            f"the {phase} worker failed (exit {proc.returncode}); see its output above"
        )
    result = json.loads(result_path.read_text())
    result_path.unlink()
    if profile is not None and profile.exists():
        from impact_dev.bench.hotspots import hotspots

        report = hotspots(str(profile), under=PROFILED.get(phase, ""), top=40)
        profile.with_suffix(".hotspots.txt").write_text(report + "\n")
        result["profile"] = str(profile)
    result["process"] = {
        "maxrss_mib": usage.ru_maxrss / 1024,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "wall_s": elapsed,
    }
    return result


def py_spy() -> Path | None:
    """py-spy beside this Python (installed into the venv by hand) or on PATH."""
    beside = Path(sys.executable).parent / "py-spy"
    if beside.exists():
        return beside
    found = shutil.which("py-spy")
    return Path(found) if found else None


def start_worker(phase: str, args: dict[str, Any]) -> tuple[subprocess.Popen[bytes], Path]:
    result_path = scratch_dir() / f"result-{phase}-{uuid.uuid4().hex[:8]}.json"
    proc = _spawn(phase, args, result_path)
    return proc, result_path


def finish_worker(
    proc: subprocess.Popen[bytes], result_path: Path, timeout: float = 60
) -> dict[str, Any]:
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise BenchError(f"a worker (pid {proc.pid}) did not stop within {timeout:.0f} s") from None
    if proc.returncode != 0 or not result_path.exists():
        raise BenchError(f"a worker (pid {proc.pid}) failed (exit {proc.returncode})")
    result = json.loads(result_path.read_text())
    result_path.unlink()
    return result
