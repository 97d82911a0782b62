"""The Dagster definitions load, and the jobs run in-process against Kafka and ClickHouse."""

from decimal import Decimal

import dagster as dg
import pytest

from impact.domain.quarter import Quarter
from impact.orchestration.assets import quarter_of
from impact.orchestration.definitions import build_definitions
from impact.orchestration.run import run_review
from impact.projections.scoring import review_quarter
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
    ranking = review_quarter(store, Quarter(2019, 1)).candidates
    assert [r.program_code for r in ranking] == ["P-BPA-02", "P-KIBO-01", "P-KAMCO-00"]
    assert [r.score for r in ranking] == sorted((r.score for r in ranking), reverse=True)
    # 100 × (.40 × (3/10)/1.5 + .30 × (.30 reach 1 + .10 trend .5) + .15 × efficiency 1 + .15 × 0)
    assert ranking[0].score == Decimal("33.50")
