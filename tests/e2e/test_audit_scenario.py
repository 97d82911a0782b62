"""The auditor's tools on the bundled Busan scenario: every recorded review reproduces bit for
bit, the log verifies, and erasing a citizen whose proposal became a programme changes neither."""

import json
from pathlib import Path

import pytest

from impact.bootstrap import build_ledger
from impact.domain.proposal import Proposal
from impact.scenario.acts import AGENCIES
from impact.settings import Settings
from tests.key_scan import agency_private_keys, private_keys_under

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def proposer_of(state: Path, programme: str) -> tuple[str, str]:
    ledger = build_ledger(Settings(state_dir=state))
    origin = ledger.program(programme).origin_proposals[0]
    submitted = next(
        e for _, e in ledger.iter_events() if isinstance(e, Proposal.Submitted) and e.code == origin
    )
    return origin, submitted.proposer.subject_id


def test_every_review_of_the_scenario_reproduces_and_survives_erasing_a_proposer(
    run,
    audit,
    impact_env,
):
    run("demo", "--until", "2019Q2", timeout=600)
    every_agency_key_is_in_its_own_folder_only(impact_env)

    reproduced = audit("audit", "reproduce", "--all").stdout
    assert reproduced.count("identical") == 2 and "differs" not in reproduced
    assert "identical 2019Q1" in reproduced and "identical 2019Q2" in reproduced
    # Each act was recorded at its own moment of the scenario: as known then can be seen.
    assert "identical 2019Q1 review v2 recorded at 2019-05-16T" in reproduced
    then = audit("review", "2019Q1", "--as-of", "2019-05-20")
    assert "same as the recorded review" in then.stdout + then.stderr
    early = audit("audit", "replay", "--as-of", "2019-04-30")
    said = early.stdout + early.stderr
    assert "recorded by 2019-04-30T00:00:00+00:00 (" in said and "recorded later left out" in said
    verified = audit("audit", "verify").stdout
    assert "the log verifies end to end" in verified and "0 accepted submissions" not in verified

    origin, subject = proposer_of(Path(impact_env["IMPACT_STATE_DIR"]), "P-BPA-01")

    def submitted(history: str) -> str:
        entries = json.loads(history)["entries"]
        return next(
            e["summary"]
            for e in entries
            if e["subject"] == origin and e["type"] == "Proposal.Submitted"
        )

    before = audit("audit", "history", "P-BPA-01", "--json").stdout
    assert origin in json.loads(before)["proposals"]  # with those merged into it
    name = submitted(before).rsplit(" by ", 1)[1]
    assert name != "[erased]"

    audit("privacy", "erase", subject, "--yes")

    after = audit("audit", "history", "P-BPA-01", "--json").stdout
    assert submitted(after).endswith("by [erased]") and name not in submitted(after)
    assert "identical" in audit("audit", "reproduce", "2019Q2").stdout
    assert "the log verifies end to end" in audit("audit", "verify").stdout


def every_agency_key_is_in_its_own_folder_only(impact_env: dict[str, str]) -> None:
    """The demo played each agency with a folder of its own; no agency's private key is
    anywhere under the platform's state (event store, vault, Dagster home, ClickHouse), and no
    PEM private key but the platform's own."""
    state, agencies = Path(impact_env["IMPACT_STATE_DIR"]), Path(impact_env["IMPACT_AGENCIES_DIR"])
    assert sorted(p.name for p in agencies.iterdir()) == sorted(AGENCIES)
    keys = agency_private_keys(agencies)
    assert len(keys) == len(AGENCIES)
    clickhouse = Path(impact_env["CLICKHOUSE_DSN"].removeprefix("chdb://"))
    logs = Settings().kafka_dir / "data"  # the local broker's: this test's topics' segments
    topics = {v for k, v in impact_env.items() if k.endswith("_TOPIC")}
    partitions = [p for p in logs.glob("*-*") if p.name.rpartition("-")[0] in topics]
    assert partitions or not logs.is_dir()
    assert not private_keys_under(
        [state, clickhouse, *partitions], keys, allowed=[state / "platform-key.pem"]
    )
