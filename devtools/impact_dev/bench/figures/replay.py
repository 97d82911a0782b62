"""replay: events topic from offset 0 → fresh chDB through ``create_schema`` + ``Loader`` vs a
raw kafka-python consumer of the same topic (the loader's consumer settings) and ``kcat``
(librdkafka) reading it to /dev/null. Each replay's peak memory is also the 10x sample of
the memory figure."""

import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from impact_dev.bench.common import BenchError, base_settings, scratch_dir
from impact_dev.bench.processes import run_worker
from impact_dev.bench.session import Sample, Say, Session

DEPS_SCRIPT = Path(__file__).parent.parent / "deps.sh"


def measure(bench: Session, run: int) -> None:
    o, n = bench.o, bench.store["events"]
    bench.say(
        f"[replay {run + 1}/{o.runs}] ours: Loader into a fresh chDB (its schema too), {n:,} events"
    )
    ours = run_worker(
        "replay",
        {
            "tag": bench.tag("replay", run),
            "topic": bench.topic,
            "count": n,
            "chdb": str(scratch_dir() / f"ch-replay-{bench.run_id}-{run}"),
            "review": True,
        },
        profile=bench.profile_to("replay", run),
    )
    bench.add(
        "replay",
        Sample.of(
            ours,
            rss_mib=ours["process"]["maxrss_mib"],
            review_s=ours.get("review_s"),
            review_quarter=ours.get("review_quarter"),
            loaded=ours["loaded"],
            unreadable=ours["unreadable"],
        ),
    )
    bench.add("memory.10x", rss_sample(ours))
    bench.say(f"[replay {run + 1}/{o.runs}] raw kafka-python consumer")
    from impact.projections.loader import BATCH_SIZE

    raw = run_worker(
        "raw-consume",
        {"tag": bench.tag("consume", run), "topic": bench.topic, "batch": BATCH_SIZE},
    )
    if raw["count"] != n:
        bench.notes.append(f"the raw consumer read {raw['count']:,} records, the store holds {n:,}")
    bench.add("replay.raw", Sample.of(raw))
    kcat(bench, run, n)


def rss_sample(result: dict[str, Any]) -> Sample:
    """Peak RSS (VmHWM) of the replaying process when the load ended, before the review
    query some replays run after it; the kernel's maxrss of the whole process is kept too."""
    rss = result.get("load_peak_rss_mib") or result["process"]["maxrss_mib"]
    return Sample(
        rss,
        result["wall_s"],
        result["cpu_s"],
        result["count"],
        None,
        {
            "rss_before_load_mib": result.get("rss_before_mib"),
            "process_maxrss_mib": result["process"]["maxrss_mib"],
        },
    )


def ensure_kcat(say: Say) -> tuple[str | None, str]:
    """kcat's path, installing it with the bench's deps.sh if missing; else None and why."""
    found = shutil.which("kcat")
    if found:
        return found, ""
    say("kcat is missing: running impact_dev/bench/deps.sh to install it (apt-get)")
    done = subprocess.run(["bash", str(DEPS_SCRIPT)], capture_output=True, text=True)
    found = shutil.which("kcat")
    if found:
        return found, ""
    why = (done.stderr or done.stdout).strip().splitlines()
    return None, "kcat could not be installed: " + (
        why[-1] if why else f"deps.sh exit {done.returncode}"
    )


def kcat(bench: Session, run: int, n: int) -> None:
    if run == 0:
        bench.kcat_path, why = ensure_kcat(bench.say)
        if bench.kcat_path is None:
            bench.notes.append(why)
            bench.details["kcat"] = why
        else:
            bench.details["kcat"] = subprocess.run(
                [bench.kcat_path, "-V"], capture_output=True, text=True
            ).stdout.splitlines()[:1]
            try:
                counted = _kcat(bench, ["-f", "%o\n"], count=True)
            except subprocess.CalledProcessError as exc:
                said = (exc.stderr or b"").decode(errors="replace").strip().splitlines()
                why = f"kcat could not read the topic (exit {exc.returncode}): " + (
                    said[-1][:200] if said else "it said nothing"
                )
                bench.notes.append(why)
                bench.details["kcat"] = why
                bench.kcat_path = None
                return
            if counted != n:
                bench.notes.append(f"kcat read {counted:,} records, the store holds {n:,}")
    if bench.kcat_path is None:
        return
    bench.say(f"[replay {run + 1}/{bench.o.runs}] kcat (librdkafka) to /dev/null")
    wall, cpu = _kcat(bench, ["-f", "%s\n"])
    bench.add("replay.kcat", Sample(n / wall, wall, cpu, n))


def _kcat_login() -> list[str]:
    """kcat's ``-F`` file with the administrator's login when the broker is secured (a file
    of the owner's, so the password is on no command line)."""
    kafka = base_settings().kafka
    if kafka.security_protocol == "PLAINTEXT":
        return []
    lines = [f"security.protocol={kafka.security_protocol.lower()}"]
    if kafka.sasl_mechanism:
        password = kafka.sasl_password.get_secret_value() if kafka.sasl_password else ""
        lines += [
            f"sasl.mechanisms={kafka.sasl_mechanism}",
            f"sasl.username={kafka.sasl_username}",
            f"sasl.password={password}",
        ]
    if kafka.ssl_cafile:
        lines.append(f"ssl.ca.location={kafka.ssl_cafile}")
    path = scratch_dir() / "kcat.conf"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write("\n".join(lines) + "\n")
    return ["-F", str(path)]


def _kcat(bench: Session, fmt: list[str], count: bool = False) -> Any:
    bootstrap = base_settings().kafka_bootstrap_servers
    assert bench.kcat_path is not None
    command = [
        bench.kcat_path,
        "-C",
        "-b",
        bootstrap,
        "-t",
        bench.topic,
        "-o",
        "beginning",
        "-e",
        "-q",
        "-X",
        "isolation.level=read_committed",
        *_kcat_login(),
        *fmt,
    ]
    if count:
        done = subprocess.run(command, capture_output=True, check=True)
        return done.stdout.count(b"\n")
    started = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        proc = subprocess.Popen(command, stdout=sink)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise BenchError(f"kcat failed (exit {os.waitstatus_to_exitcode(status)})")
    return wall, usage.ru_utime + usage.ru_stime
