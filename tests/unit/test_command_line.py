"""The command line reads what a person types and ends each command with one exit status.

These run ``impact`` in-process through its runner, on mistakes caught before any
service is built, and on small apps of their own for the errors commands raise.
"""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import typer
from pydantic import BaseModel

from impact.cli import parse
from impact.cli.app import app
from impact.cli.run import USER_ERROR, exit_status
from impact.errors import ImpactError, NotFoundError


def impact(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = exit_status(app, list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def one_app(command: typer.models.CommandFunctionType) -> typer.Typer:
    single = typer.Typer()
    single.command()(command)
    return single


# -- mistakes on the command line -------------------------------------------------------


def test_a_bad_time_exits_2_and_names_the_option_and_how_to_write_it(capsys):
    status, out, err = impact(
        capsys, "proposal", "adopt", "C-2018-0001", "--task", "S4-T2", "--occurred-at", "05/04/2019"
    )
    assert status == USER_ERROR and out == ""
    assert "'--occurred-at'" in err and "'05/04/2019' is not a time" in err
    assert "ISO 8601, e.g. 2019-04-05 or 2019-04-05T09:00" in err
    assert len(err.strip().splitlines()) == 1


def test_a_bad_quarter_exits_2_and_says_how_quarters_are_written(capsys):
    status, _, err = impact(capsys, "review", "2019Q5")
    assert status == USER_ERROR
    assert "'QUARTER'" in err and "'2019Q5' is not a quarter; write it like 2021Q4" in err


@pytest.mark.parametrize("value", ["abc", "NaN", "-Infinity", "12,5"])
def test_a_value_that_is_not_a_finite_number_exits_2_naming_the_option(capsys, value):
    status, _, err = impact(
        capsys, "program", "report", "--program", "P-BPA-01", "--agency", "BPA",
        "--metric", "jobs_created", "--quarter", "2019Q1", "--value", value,
    )  # fmt: skip
    assert status == USER_ERROR
    assert "'--value'" in err and "write it like 6150.5" in err


@pytest.mark.parametrize(
    ("option", "text", "says"),
    [
        ("--starts-on", "2019-13-01", "write it as YYYY-MM-DD"),
        ("--target", "jobs_created:2019Q1", "write it as metric:QUARTER:value"),
        ("--target", "jobs_created:2019Q9:30", "write it like 2021Q4"),
        ("--target", "jobs_created:2019Q1:lots", "'lots' is not a number"),
        ("--target", "jobs_created:2019Q1:0E+999999999", "write the number out"),
        ("--target", "jobs_created:2019Q1:1E+30", "18 digits before the point"),
        ("--target", "jobs_created:9999Q1:3", "outside the years 2000..2100"),
        ("--target", "jobs\x00created:2019Q1:3", "control character U+0000"),
    ],
)
def test_a_bad_date_or_target_exits_2_naming_the_option(capsys, option, text, says):
    options = {"--starts-on": "2019-01-01", option: text}
    status, _, err = impact(
        capsys, "program", "register", "--code", "P-BPA-09", "--agency", "BPA", "--task", "S4-T2",
        "--title-ko", "시험", "--title-en", "Trial", "--budget-krw", "1",
        *(part for item in options.items() for part in item),
    )  # fmt: skip
    assert status == USER_ERROR
    assert f"'{option}'" in err and says in err


def test_a_score_without_its_criterion_exits_2(capsys):
    status, _, err = impact(capsys, "proposal", "review", "C-2018-0001", "--score", "80")
    assert status == USER_ERROR
    assert "'--score'" in err and "write it as criterion=0..100, e.g. impact=80" in err


def test_an_unknown_command_exits_2_with_one_line(capsys):
    status, _, err = impact(capsys, "promote")
    assert status == USER_ERROR
    assert "No such command 'promote'" in err and len(err.strip().splitlines()) == 1


def test_the_bare_command_prints_its_help(capsys):
    status, out, _ = impact(capsys)
    assert status == USER_ERROR and "proposal" in out and "audit" in out


# -- errors the commands raise -----------------------------------------------------------


def test_a_refusal_of_the_ledger_exits_2_with_its_message(capsys):
    def adopt() -> None:
        raise NotFoundError("programme P-NONE-01 does not exist")

    assert exit_status(one_app(adopt), []) == USER_ERROR
    assert capsys.readouterr().err == "error: programme P-NONE-01 does not exist\n"


def test_brackets_in_a_message_are_printed_as_they_are(capsys):
    def history() -> None:
        raise ImpactError("proposal C-2018-0001 by [erased] [bold]cannot[/bold] be :fire: read")

    assert exit_status(one_app(history), []) == USER_ERROR
    assert "by [erased] [bold]cannot[/bold] be :fire: read" in capsys.readouterr().err


def test_input_that_does_not_validate_exits_2_with_one_line(capsys):
    class Budget(BaseModel):
        budget_krw: int

    def register() -> None:
        Budget(budget_krw="many")  # type: ignore[arg-type]

    assert exit_status(one_app(register), []) == USER_ERROR
    err = capsys.readouterr().err
    assert err.startswith("invalid input: budget_krw:") and len(err.strip().splitlines()) == 1


def test_a_failure_a_command_reports_as_its_result_keeps_its_status(capsys):
    def verify() -> None:
        raise typer.Exit(1)

    assert exit_status(one_app(verify), []) == 1


def test_an_unexpected_error_is_raised_with_its_traceback():
    def load() -> None:
        raise RuntimeError("a bug")

    with pytest.raises(RuntimeError, match="a bug"):
        exit_status(one_app(load), [])


# -- the parsers ---------------------------------------------------------------------------


def test_a_time_without_a_zone_is_utc_and_now_is_read_at_the_edge():
    assert parse.time("2019-04-05T09:00") == datetime(2019, 4, 5, 9, 0, tzinfo=UTC)
    assert parse.time("2019-04-05T09:00+09:00") == datetime(2019, 4, 5, 0, 0, tzinfo=UTC)
    before = datetime.now(tz=UTC)
    assert before <= parse.time("now") <= datetime.now(tz=UTC)


@pytest.mark.parametrize(
    "text", ["2019-04-05", "2019/04/05", "2019-4-5", "2019.4.5", "2019/4/5 00:00", "20190405"]
)
def test_a_day_is_read_in_its_common_unambiguous_forms(text):
    assert parse.time(text) == datetime(2019, 4, 5, tzinfo=UTC)
    assert parse.date(text.split(" ")[0]) == datetime(2019, 4, 5).date()


def test_today_and_yesterday_are_midnight_utc_of_those_days():
    today = datetime.now(tz=UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    assert parse.time("today") == today
    assert (today - parse.time("Yesterday")).days == 1
    assert parse.date("yesterday") == parse.time("yesterday").date()


@pytest.mark.parametrize("text", ["05/04/2019", "2019/13/01", "2019-02-30", "last tuesday"])
def test_an_ambiguous_or_impossible_day_says_which_forms_are_expected(text):
    with pytest.raises(typer.BadParameter, match="YYYY-MM-DD"):
        parse.date(text)
    with pytest.raises(typer.BadParameter, match="ISO 8601"):
        parse.time(text)


def test_scores_and_targets_are_read_as_decimals():
    assert parse.score(" impact = 80.5") == ("impact", Decimal("80.5"))
    target = parse.target("jobs_created:2019Q1:30")
    assert (target.metric, target.quarter, target.value) == ("jobs_created", "2019Q1", 30)


@pytest.mark.parametrize("quarter", ["9999Q4", "1999Q1", "2019Q5"])
def test_a_review_of_a_quarter_the_ledger_cannot_hold_exits_2_with_how_to_write_it(capsys, quarter):
    status, out, err = impact(capsys, "review", quarter)
    assert status == USER_ERROR and out == ""
    assert quarter in err and "Traceback" not in err


@pytest.mark.parametrize("quarter", ["2018Q4", "2100Q4"])
@pytest.mark.parametrize("command", [("review",), ("report", "--out", "never.html")])
def test_a_review_of_a_quarter_outside_the_reviewable_ones_exits_2_saying_which_are(
    capsys, quarter, command
):
    status, out, err = impact(capsys, command[0], quarter, *command[1:])
    assert status == USER_ERROR and out == ""
    assert f"{quarter} cannot be reviewed" in err and "reviewable: 2019Q1 to " in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("as_of", ["<bad text>", "2019-13-01", "\x00"])
def test_a_review_as_of_a_time_that_is_not_one_exits_2(capsys, as_of):
    status, out, err = impact(capsys, "review", "2019Q1", "--as-of", as_of)
    assert status == USER_ERROR and out == ""
    assert "'--as-of'" in err and "is not a time" in err


def test_the_quarterly_jobs_refuse_a_partition_they_do_not_have_before_anything_runs():
    from impact.errors import ValueOutOfRangeError
    from impact.orchestration.run import reviewable, run_review
    from impact.settings import Settings

    with pytest.raises(ValueOutOfRangeError, match="the reviews start with 2019Q1"):
        run_review(Settings(state_dir="/nonexistent/never-built"), "2018-10-01")
    with pytest.raises(ValueOutOfRangeError, match="2100Q1 has not ended yet"):
        reviewable("2100-01-01")
    reviewable("2019-01-01")
