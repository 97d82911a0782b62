"""Dagster: the review's assets, checks, schedule and sensor, run in-process on Kafka and ClickHouse."""

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from impact.orchestration.definitions import build_definitions, log_behind_sensor
from impact.orchestration.resources import resources_from
from impact.orchestration.run import run_load, run_publish_site, run_report, run_review
from tests import commands as cmd
from tests.integration.slice import record_programmes

pytestmark = pytest.mark.integration

SEOUL = ZoneInfo("Asia/Seoul")


def schedule(settings=None):
    return build_definitions(settings).resolve_schedule_def("quarterly_review_schedule")


def test_the_definitions_hold_the_review_assets_checks_schedule_and_sensor(settings):
    defs = build_definitions(settings)
    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    assert {k.to_user_string() for k in graph.get_all_asset_keys()} >= {
        "published_events",
        "raw_events",
        "projections",
        "quarterly_scores",
        "council_report",
    }
    assert {k.name for k in graph.asset_check_keys} == {
        "nothing_quarantined",
        "offsets_contiguous",
        "counts_reconcile_with_event_store",
        "every_candidate_has_all_components",
    }
    assert {s.name for s in defs.schedules} == {"quarterly_review_schedule"}
    assert {s.name for s in defs.sensors} == {"log_behind_sensor"}
    assert defs.resolve_job_def("quarterly_review").partitions_def is not None


@pytest.mark.parametrize(
    ("tick", "reviewed"),
    [
        (datetime(2019, 4, 1, 0, 0, tzinfo=SEOUL), "2019-01-01"),
        (datetime(2019, 7, 1, 0, 0, tzinfo=SEOUL), "2019-04-01"),
        (datetime(2020, 1, 1, 0, 0, tzinfo=SEOUL), "2019-10-01"),
    ],
)
def test_the_schedule_reviews_the_quarter_that_just_closed(tick, reviewed):
    context = dg.build_schedule_context(scheduled_execution_time=tick)
    run_requests = schedule().evaluate_tick(context).run_requests
    assert [r.partition_key for r in run_requests] == [reviewed]


def test_the_schedule_runs_on_the_first_day_of_each_quarter_in_busan():
    assert schedule().cron_schedule == "0 0 1 1,4,7,10 *"
    assert schedule().execution_timezone == "Asia/Seoul"


def evaluate_sensor(settings):
    with dg.build_sensor_context(resources=resources_from(settings)) as context:
        return log_behind_sensor(context)


def test_the_sensor_asks_for_a_load_while_the_store_or_kafka_is_ahead_and_skips_when_level(
    ledger, settings, store, platform
):
    record_programmes(ledger, 2)
    behind = evaluate_sensor(settings)
    assert len(behind.run_requests) == 1
    assert "event store at notification 6, Kafka at 0" in behind.run_requests[0].tags["reason"]

    platform.relay().run(until_idle=True)  # Kafka has it all, ClickHouse nothing yet
    unloaded = evaluate_sensor(settings)
    assert "Kafka holds records ClickHouse does not" in unloaded.run_requests[0].tags["reason"]
    assert unloaded.run_requests[0].run_key != behind.run_requests[0].run_key

    run_load(settings)
    level = evaluate_sensor(settings)
    assert isinstance(level, dg.SkipReason)
    assert "up to date" in level.skip_message


def test_the_load_checks_pass_on_a_transactional_topic_whose_offsets_have_gaps(
    ledger, settings, store
):
    record_programmes(ledger, 3)
    run_load(settings)
    ledger.handle(
        cmd.submit_proposal("C-1", "제안", "본문", "general")
    )  # a second relay transaction
    result = run_load(settings)
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert checks["offsets_contiguous"].passed
    assert checks["counts_reconcile_with_event_store"].passed
    assert checks["nothing_quarantined"].passed
    assert checks["counts_reconcile_with_event_store"].metadata[
        "event_store_max_notification_id"
    ].value == (ledger.max_notification_id())
    # Commit markers take offsets: the check probed gaps rather than demanding dense offsets.
    assert checks["offsets_contiguous"].metadata["gaps_probed"].value >= 1


@pytest.mark.parametrize("probes_at_most", [16, 0], ids=["gap-by-gap", "one-read-across"])
def test_the_offsets_check_fails_when_a_loaded_record_is_missing(
    ledger, settings, store, monkeypatch, probes_at_most
):
    """Gaps are probed one by one, or read across in one pass when there are many."""
    from impact.orchestration.checks import offsets_contiguous
    from impact.projections import reconcile

    monkeypatch.setattr(reconcile, "PROBES_AT_MOST", probes_at_most)

    record_programmes(ledger, 5)
    run_load(settings)
    partition, offsets = store.rows(
        "SELECT partition, arraySort(groupArray(offset)) AS o FROM {db}.raw_events"
        " GROUP BY partition HAVING length(o) >= 3 ORDER BY partition LIMIT 1"
    )[0]
    lost = offsets[1]  # a record between two stored ones goes missing from ClickHouse
    store.command(
        "ALTER TABLE {db}.raw_events DELETE WHERE partition = {p:UInt16} AND offset = {o:UInt64}"
        " SETTINGS mutations_sync = 2",
        p=partition,
        o=lost,
    )
    resources = resources_from(settings)
    evaluation = offsets_contiguous(clickhouse=resources["clickhouse"], kafka=resources["kafka"])
    assert not evaluation.passed
    assert evaluation.metadata["missing_records"].value == f"{{{partition}: [{lost}]}}"


def test_the_review_writes_the_report_asset_as_one_html_file(ledger, settings, store):
    record_programmes(ledger, 2)
    run_review(settings, "2019-01-01")
    result = run_report(settings, "2019-01-01")
    path = result.asset_materializations_for_node("council_report")[0].metadata["path"].value
    assert path.endswith("impact-review-2019Q1.html")
    html = Path(path).read_text(encoding="utf-8")
    assert "P-KIBO-01" in html and "<svg" in html and "<script" not in html


def test_the_scheduled_review_publishes_what_it_recorded_and_writes_a_report_that_cites_it(
    ledger, settings, store
):
    record_programmes(ledger, 2)
    result = run_review(settings, "2019-01-01")
    scored = result.asset_materializations_for_node("quarterly_scores")[0].metadata
    published = result.asset_materializations_for_node("review_published")[0].metadata
    assert scored["recorded"].value is True
    assert published["recorded_digest"].value == scored["inputs_digest"].value
    assert (
        ledger.max_notification_id()
        == store.rows("SELECT max(notification_id) FROM {db}.raw_events")[0][0]
    )
    path = result.asset_materializations_for_node("council_report")[0].metadata["path"].value
    assert scored["inputs_digest"].value[:12] in Path(path).read_text(encoding="utf-8")
    site = run_publish_site(settings, "2019-01-01").asset_materializations_for_node("public_site")
    site = site[0].metadata
    index = Path(site["path"].value)
    assert index.name == "index.html" and index.parent.name == "site"
    assert site["programmes"].value == 2
    assert "P-KIBO-01" in (index.parent / "programmes" / "P-KIBO-01.html").read_text("utf-8")
