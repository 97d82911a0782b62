"""Properties of reports and corrections, over many random histories (hypothesis)."""

from datetime import UTC, date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from impact.domain.program import Program

AT = datetime(2019, 10, 1, tzinfo=UTC)  # after the last quarter reported
QUARTERS = ("2019Q1", "2019Q2", "2019Q3")
values = st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False, allow_infinity=False)
# A history: for each step, a quarter and either a first report or a correction of the latest.
steps = st.lists(st.tuples(st.sampled_from(QUARTERS), values), min_size=1, max_size=25)


def programme() -> Program:
    return Program(
        code="P-BPA-01",
        agency="BPA",
        task_code="S4-T2",
        title_ko="캠페인",
        title_en="Campaign",
        origin_proposals=(),
        targets=(),
        budget_krw=1,
        starts_on=date(2019, 1, 1),
        ends_on=None,
        catalogue_version=1,
        measures=("plastic_collected_kg",),
        occurred_at=AT,
        actor="BPA",
    )


def play(history):
    program, expected, latest = programme(), {}, {}
    for n, (quarter, value) in enumerate(history):
        report_id = f"r{n}"
        if quarter in latest:
            program.correct_outcome(
                report_id, latest[quarter], value, "recount", None, None, AT, "BPA"
            )
        else:
            program.report_outcome(
                report_id, "plastic_collected_kg", quarter, value, None, None, AT, "BPA"
            )
        latest[quarter] = report_id
        expected[quarter] = value
    return program, expected


@settings(max_examples=200, deadline=None)
@given(steps)
def test_the_current_value_of_a_quarter_is_its_last_reported_or_corrected_value(history):
    program, expected = play(history)
    for quarter, value in expected.items():
        assert program.current_value("plastic_collected_kg", quarter) == value


@settings(max_examples=200, deadline=None)
@given(steps)
def test_every_report_and_correction_is_kept_and_replaying_the_events_gives_the_same_state(history):
    program, _ = play(history)
    events = program.collect_events()
    assert len(program.reports) == len(history) == len(events) - 1
    replayed = None
    for event in events:
        replayed = event.mutate(replayed)
    assert replayed.reports == program.reports
    assert replayed.latest == program.latest
    assert [e.originator_version for e in events] == list(range(1, len(events) + 1))


@settings(max_examples=100, deadline=None)
@given(steps)
def test_a_correction_always_points_at_a_report_of_the_same_metric_and_quarter(history):
    program, _ = play(history)
    for report in program.reports.values():
        if report.corrects is not None:
            original = program.reports[report.corrects]
            assert (original.metric, original.quarter) == (report.metric, report.quarter)
