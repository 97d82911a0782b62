"""The Dagster definitions load, and the jobs run in-process against Kafka and ClickHouse."""

import dagster as dg
import pytest

from impact.domain.quarter import Quarter
from impact.domain.scoring import POLICY_V1
from impact.orchestration.assets import quarter_of
from impact.orchestration.definitions import build_definitions
from impact.orchestration.run import run_review
from impact.projections.ranking import rank_quarter
from tests.integration.slice import record_programmes

pytestmark = pytest.mark.integration


def test_the_definitions_load_with_their_jobs_schedule_and_resources(settings):
    defs = build_definitions(settings)
    dg.Definitions.validate_loadable(defs)
    assert defs.resolve_job_def("load_events") is not None
    assert defs.resolve_job_def("quarterly_review") is not None
    assert {s.name for s in defs.schedules} == {"quarterly_review_schedule"}


def test_partition_keys_name_the_quarter_they_start():
    assert quarter_of("2019-01-01") == Quarter(2019, 1)
    assert quarter_of("2021-10-01") == Quarter(2021, 4)


def test_the_review_job_relays_loads_and_ranks_a_quarter(ledger, settings, store):
    record_programmes(ledger, 3)
    result = run_review(settings, "2019-01-01")
    assert result.success
    ranking = rank_quarter(store, Quarter(2019, 1), POLICY_V1)
    assert [r.program_code for r in ranking] == ["P-BPA-02", "P-KIBO-01", "P-KAMCO-00"]
    assert [r.score for r in ranking] == sorted((r.score for r in ranking), reverse=True)
    assert ranking[0].score == 30
