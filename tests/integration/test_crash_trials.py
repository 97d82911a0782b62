"""kill -9 the ingest, the relay and the loader at random points; after recovery nothing is lost or doubled.

Each trial starts the real ``impact`` process against the real broker, waits until it
is visibly part-way through its work, kills it with SIGKILL, and starts it again. The
final state is then checked against what was sent or stored.
"""

import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import orjson
import pytest

from impact.bootstrap import build_ledger
from impact.domain.submission import Rejection, Submission
from impact.ingest.ingest import tracking_name
from impact.ingest.relay import highest_published
from tests.integration.conftest import process_environment
from tests.integration.kafka_reading import read_rejections
from tests.integration.test_relay import assert_exactly_once_and_contiguous
from tests.submissions import registered_key, registration, report, signed

pytestmark = pytest.mark.integration

IMPACT = str(Path(sys.executable).parent / "impact")
TRIALS = 4


def environment(settings):
    return process_environment(settings, IMPACT_RELAY_BATCH_SIZE="40")


def kill_part_way(args, settings, progress, total, rng, timeout=60.0):
    """Start ``impact args`` (or, given a list starting with the interpreter, that command),
    SIGKILL it once progress() moved past where it started."""
    start = progress()
    command = args if args[0] == sys.executable else [IMPACT, *args]
    process = subprocess.Popen(
        command, env=environment(settings), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + timeout
    try:
        while (
            progress() == start < total and process.poll() is None and time.monotonic() < deadline
        ):
            time.sleep(0.05)
        time.sleep(rng.uniform(0.0, 0.1))  # soon after it started moving: part-way, not at its end
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    return start, progress()


def test_ingest_killed_at_random_points_applies_every_submission_once(ledger, settings, platform):
    rng = random.Random(2018_11_28)
    bpa = registered_key(ledger, "BPA")
    codes = [f"P-BPA-{i:03d}" for i in range(40)]
    messages = []
    for code in codes:
        messages.append((code, code.encode(), signed(bpa, registration("BPA", code))))
        for quarter in ("2019Q1", "2019Q2", "2019Q3", "2019Q4"):
            messages.append((code, code.encode(), signed(bpa, report("BPA", code, quarter))))
    bad = [(f"bad-{i}", b"bad", b"{not json" + str(i).encode()) for i in range(10)]
    everything = messages + bad
    rng.shuffle(bad)
    platform.agency_client(bpa).send_raw(messages[:100] + bad[:5] + messages[100:] + bad[5:])

    def applied() -> int:
        fresh = build_ledger(settings)
        return sum(
            fresh.tracked_position(tracking_name(settings.submissions_topic, p)) or 0
            for p in range(settings.events_partitions)
        )

    mid_way = 0
    for _ in range(TRIALS):
        before, after = kill_part_way(["ingest"], settings, applied, len(everything), rng)
        mid_way += before < after < len(everything)
    final = subprocess.run(
        [IMPACT, "ingest", "--until-idle"],
        env=environment(settings),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert final.returncode == 0, final.stderr

    fresh = build_ledger(settings)
    events = [e for _, e in fresh.iter_events()]
    accepted = Counter(e.submission_id for e in events if isinstance(e, Submission.Accepted))
    assert len(accepted) == len(messages) and set(accepted.values()) == {1}
    assert sum(isinstance(e, Rejection.Recorded) for e in events) == len(bad)
    for code in codes:
        program = fresh.program(code)
        assert len(program.reports) == 4, code
    rejections = read_rejections(settings)
    assert len(rejections) == len(bad)
    assert len({(r["source"]["partition"], r["source"]["offset"]) for r in rejections}) == len(bad)
    assert mid_way >= 1, "no trial killed the ingest part-way; the trial proved nothing"
    print(f"ingest crash trials: {TRIALS} kills, {mid_way} part-way, {len(everything)} messages")


def test_relay_killed_at_random_points_publishes_every_event_once(ledger, settings):
    from tests.integration.slice import record_programmes

    rng = random.Random(1128)
    record_programmes(ledger, 300)
    total = ledger.max_notification_id()

    mid_way = 0
    for _ in range(TRIALS):
        before, after = kill_part_way(
            ["relay"],
            settings,
            lambda: highest_published(settings.kafka, settings.events_topic),
            total,
            rng,
        )
        mid_way += before < after < total
    final = subprocess.run(
        [IMPACT, "relay", "--until-idle"],
        env=environment(settings),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert final.returncode == 0, final.stderr
    assert_exactly_once_and_contiguous(ledger, settings)
    assert mid_way >= 1, "no trial killed the relay part-way; the trial proved nothing"
    print(f"relay crash trials: {TRIALS} kills, {mid_way} part-way, {total} events")


def gone(pid: int) -> bool:
    """Whether process ``pid`` ended (a zombie waiting for its reaper counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")


@pytest.mark.parametrize("readers", [1, 3])
def test_loader_killed_at_random_points_loads_every_record_once(
    ledger, settings, platform, tmp_path, readers
):
    """The loader sends INSERTs from a thread of its own while it reads on (with ``readers``
    above 1, the records are read in child processes): killed at any point, the rows
    ClickHouse holds are still a prefix of each partition, a restart completes them without
    a gap or a double, and no reading process outlives the loader."""
    from tests.integration.kafka_reading import read_records
    from tests.integration.slice import record_programmes

    rng = random.Random(2018)
    record_programmes(ledger, 700)
    platform.relay().run(until_idle=True)
    records = read_records(settings, settings.events_topic)
    total = len(records)
    status = tmp_path / "loaded.json"
    children = status.with_suffix(".children")
    loader = [
        sys.executable,
        "-m",
        "tests.integration.loader_process",
        "load",
        str(status),
        "25",
        str(readers),
    ]

    def progress():
        try:
            return int(status.read_text() or 0)
        except (FileNotFoundError, ValueError):
            return 0

    mid_way = orphans = watched = 0
    for _ in range(TRIALS):
        children.unlink(missing_ok=True)
        before, after = kill_part_way(loader, settings, progress, total, rng)
        mid_way += before < after < total
        pids = orjson.loads(children.read_bytes()) if children.exists() else []
        watched += len(pids)
        deadline = time.monotonic() + 10
        while not all(gone(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        orphans += sum(not gone(pid) for pid in pids)
    assert orphans == 0, "a reading process outlived the loader killed with SIGKILL"
    assert watched or readers == 1, "no trial saw the reading processes; it proved nothing"
    final = subprocess.run(
        loader, env=environment(settings), capture_output=True, text=True, timeout=300
    )
    assert final.returncode == 0, final.stderr
    check = tmp_path / "check.json"
    done = subprocess.run(
        [sys.executable, "-m", "tests.integration.loader_process", "check", str(check)],
        env=environment(settings),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    held = orjson.loads(check.read_bytes())
    assert held["rows"] == [total, total]
    expected: dict[str, list[int]] = {}
    for r in records:
        expected.setdefault(str(r.partition), []).append(r.offset)
    assert held["offsets"] == expected, "every committed record once, at its own offset"
    assert held["typed"]["program_registrations"] == [700, 700]
    assert held["typed"]["outcome_rows"] == [700, 700]
    assert held["outcomes"] == 700
    assert mid_way >= 1, "no trial killed the loader part-way; the trial proved nothing"
    print(
        f"loader crash trials ({readers} reading process(es)): {TRIALS} kills, "
        f"{mid_way} part-way, {total} records"
    )
