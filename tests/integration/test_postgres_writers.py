"""Several writers on one PostgreSQL event store at once, as in production: two ingest
processes reading the same submissions and a staff member recording proposals meanwhile.
Each submission is applied once (the loser of a race for a position reads it again and
skips it), each proposal is stored once, and the log verifies end to end."""

import subprocess
import threading
from collections import Counter
from datetime import UTC, datetime

import pytest

from impact.application.commands import SubmitProposal
from impact.bootstrap import bootstrap, build_ledger
from impact.domain.proposal import Proposal
from impact.domain.submission import Submission
from impact.ingest.ingest import tracking_name
from tests import commands as cmd
from tests.integration.conftest import own_settings, process_environment
from tests.integration.test_crash_trials import IMPACT
from tests.submissions import registered_key, registration, report, signed

pytestmark = [pytest.mark.integration, pytest.mark.trial]

PROGRAMMES = 400
QUARTERS = ("2019Q1", "2019Q2", "2019Q3", "2019Q4", "2020Q1")
PROPOSALS = 150


def test_two_ingests_and_a_staff_command_write_at_once_and_nothing_is_lost_or_doubled(
    broker, tmp_path, chdb_path, postgres_database
):
    settings = own_settings(broker, tmp_path, chdb_path, event_store_dsn=postgres_database)
    assert settings.event_store_dsn.startswith("postgresql://")
    with bootstrap(settings) as platform:
        platform.ledger.handle(cmd.found())
        bpa = registered_key(platform.ledger, "BPA")
        messages = []
        for i in range(PROGRAMMES):
            code = f"P-BPA-{i:03d}"
            messages.append((code, code.encode(), signed(bpa, registration("BPA", code))))
            for quarter in QUARTERS:
                messages.append((code, code.encode(), signed(bpa, report("BPA", code, quarter))))
        platform.agency_client(bpa).send_raw(messages)

    environment = process_environment(settings)
    ingests = [
        subprocess.Popen(
            [IMPACT, "ingest", "--until-idle"],
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    staff_errors: list[BaseException] = []

    def staff() -> None:  # the desk's staff, in this process, while both ingests run
        try:
            with bootstrap(settings) as desk:
                for i in range(PROPOSALS):
                    desk.ledger.handle(
                        SubmitProposal(
                            code=f"C-PG-{i:03d}",
                            title="동시 기록 시험",
                            occurred_at=datetime(2019, 2, 1, tzinfo=UTC),
                        )
                    )
        except BaseException as exc:  # reported below, not lost in the thread
            staff_errors.append(exc)

    writer = threading.Thread(target=staff)
    writer.start()
    outputs = [process.communicate(timeout=300) for process in ingests]
    writer.join(timeout=300)
    assert not staff_errors, staff_errors
    for process, (out, err) in zip(ingests, outputs, strict=True):
        assert process.returncode == 0, f"{out}\n{err}"

    ledger = build_ledger(settings)
    try:
        events = [event for _, event in ledger.iter_events()]
        accepted = Counter(e.submission_id for e in events if isinstance(e, Submission.Accepted))
        assert len(accepted) == len(messages) and set(accepted.values()) == {1}
        proposals = Counter(e.code for e in events if isinstance(e, Proposal.Submitted))
        assert len(proposals) == PROPOSALS and set(proposals.values()) == {1}
        for i in range(PROGRAMMES):
            assert len(ledger.program(f"P-BPA-{i:03d}").reports) == len(QUARTERS)
        tracked = sum(
            ledger.tracked_position(tracking_name(settings.submissions_topic, p)) or 0
            for p in range(settings.events_partitions)
        )
        assert tracked == len(messages)
    finally:
        ledger.close()
    relayed = subprocess.run(
        [IMPACT, "relay", "--until-idle"], env=environment, capture_output=True, text=True
    )
    assert relayed.returncode == 0, relayed.stderr
    verified = subprocess.run(
        [IMPACT, "audit", "verify"], env=environment, capture_output=True, text=True, timeout=300
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    said = [out.strip().splitlines()[-1] for out, _ in outputs]
    print("two ingests on PostgreSQL:", said)
    # Both read every message; what one applied the other found decided (or never reached).
    applied = [int(line.split()[1]) for line in said]
    assert sum(applied) == len(messages), said
