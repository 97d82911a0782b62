"""The typed tables the review reads: filled at load time, refilled when their definition
changes, and a record stored twice still counts once."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from impact.domain.program import Partner
from impact.domain.quarter import Quarter
from impact.projections.schema import TYPED, create_schema
from impact.projections.scoring import review_quarter
from tests import commands as cmd
from tests.integration.slice import record_programmes

pytestmark = pytest.mark.integration

Q1 = Quarter(2019, 1)


def loaded(ledger, platform, programmes=3):
    ledger.handle(cmd.baseline_policy())
    record_programmes(ledger, programmes)
    ledger.handle(
        cmd.join_partner(
            "P-KAMCO-00",
            "KAMCO",
            Partner(kind="civic", name="부산 시민단체"),
            occurred_at=datetime(2019, 2, 1, tzinfo=UTC),
        )
    )
    platform.relay().run(until_idle=True)
    platform.loader().run(until_idle=True)


def table_counts(store):
    return {name: store.rows(f"SELECT count() FROM {{db}}.{name}")[0][0] for name in TYPED}


def view_rows(store):
    return {
        "programs": sorted(store.rows("SELECT code, budget_krw, starts_on FROM {db}.programs")),
        "program_targets": sorted(
            store.rows(
                "SELECT toString(program_id), metric, quarter, target FROM {db}.program_targets"
            )
        ),
        "outcome_versions": sorted(
            store.rows(
                "SELECT report_id, metric, quarter, value, has_evidence, is_correction"
                " FROM {db}.outcome_versions"
            )
        ),
        "program_lifecycle": sorted(
            store.rows(
                "SELECT toString(program_id), type, aggregate_version FROM {db}.program_lifecycle"
            )
        ),
    }


def test_the_typed_views_hold_what_the_payloads_say(ledger, store, platform):
    loaded(ledger, platform)
    from_payloads = sorted(
        store.rows(
            "SELECT JSONExtractString(payload, 'report_id'), JSONExtractString(payload, 'metric'),"
            " JSONExtractString(payload, 'quarter'), toDecimal128(JSONExtractString(payload, 'value'), 6)"
            " FROM {db}.raw_events WHERE type IN ('Program.OutcomeReported', 'Program.OutcomeCorrected')"
        )
    )
    assert from_payloads, "the slice reports outcomes"
    assert [r[:4] for r in view_rows(store)["outcome_versions"]] == from_payloads
    registered = store.rows("SELECT count() FROM {db}.raw_events WHERE type = 'Program.Registered'")
    assert len(view_rows(store)["programs"]) == registered[0][0] == 3


def test_a_record_stored_twice_counts_once(ledger, store, platform):
    loaded(ledger, platform)
    before, review = view_rows(store), review_quarter(store, Q1)
    # The whole log again, at offsets past the end: as if every record reached the topic twice.
    store.command(
        "INSERT INTO {db}.raw_events SELECT * REPLACE (offset + 1000000 AS offset)"
        " FROM {db}.raw_events"
    )
    doubled = table_counts(store)
    assert all(n > 0 and n % 2 == 0 for n in doubled.values()), doubled
    assert view_rows(store) == before
    again = review_quarter(store, Q1, as_of=review.as_of)
    assert again.inputs_digest == review.inputs_digest and again.candidates == review.candidates


def test_a_database_from_before_the_typed_tables_gets_them_filled(ledger, store, platform):
    loaded(ledger, platform)
    before, counts, review = view_rows(store), table_counts(store), review_quarter(store, Q1)
    for name in TYPED:
        store.command(f"DROP VIEW {{db}}.{name}_mv")
        store.command(f"DROP TABLE {{db}}.{name}")
    create_schema(store)
    assert table_counts(store) == counts
    assert view_rows(store) == before
    assert review_quarter(store, Q1, as_of=review.as_of).inputs_digest == review.inputs_digest


def test_a_table_built_from_another_definition_is_rebuilt_and_refilled(ledger, store, platform):
    loaded(ledger, platform)
    before, counts = view_rows(store), table_counts(store)
    store.command("ALTER TABLE {db}.outcome_rows MODIFY COMMENT 'an older definition'")
    store.command("TRUNCATE TABLE {db}.outcome_rows")
    create_schema(store)
    assert table_counts(store) == counts
    assert view_rows(store) == before
    comment = store.rows(
        "SELECT comment FROM system.tables WHERE database = {d:String} AND name = 'outcome_rows'",
        d=store.db,
    )[0][0]
    assert comment != "an older definition"


def test_events_loaded_later_reach_the_typed_tables(ledger, store, platform):
    loaded(ledger, platform, programmes=1)
    first = table_counts(store)
    ledger.handle(
        cmd.correct_outcome(
            "P-KAMCO-00", "KAMCO", "P-KAMCO-00/r1#c1", "P-KAMCO-00/r1", Decimal(4), "recount"
        )
    )
    ledger.handle(cmd.change_status("P-KAMCO-00", "KAMCO", "suspended", "a pause"))
    platform.relay().run(until_idle=True)
    platform.loader().run(until_idle=True)
    later = table_counts(store)
    assert later["outcome_rows"] == first["outcome_rows"] + 1
    assert later["lifecycle_rows"] == first["lifecycle_rows"] + 1
    assert store.rows("SELECT status FROM {db}.program_state")[0][0] == "suspended"


def test_rows_a_killed_insert_left_out_of_a_typed_table_are_added_on_the_next_load(
    ledger, store, platform
):
    loaded(ledger, platform)
    before, counts = view_rows(store), table_counts(store)
    # What a process killed after raw_events' part and before its views' parts leaves behind.
    store.command("DELETE FROM {db}.outcome_rows WHERE report_id = 'P-KAMCO-00/r1'")
    store.command("DELETE FROM {db}.program_registrations WHERE code = 'P-BPA-02'")
    assert table_counts(store) != counts
    store.schema_created = False  # the next load is a process of its own, as after a kill
    platform.loader().run(until_idle=True)
    assert table_counts(store) == counts
    assert view_rows(store) == before
