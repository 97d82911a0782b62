"""The help of every ``impact`` command explains in plain words, and what is printed is
printed as written: these walk the whole command tree in-process, building no service."""

import re
from collections.abc import Iterator

import pytest
import typer
from rich.table import Table
from typer.core import TyperGroup, TyperOption

from impact.cli import operators, render
from impact.cli.app import app
from impact.cli.run import exit_status, plain_help
from impact.errors import InfrastructureError, LogError

PYTHON_TYPE = re.compile(r"<(?:[a-z]|Quarter|Decimal|Path|Target|Score|ReviewComment)[^>]*>")
"""A placeholder typer derives from a Python type: ``<bool>``, ``<str>``, ``<list[str]>``."""


ROOT = plain_help(typer.main.get_command(app))
"""The app's command tree, as ``impact`` runs it."""


def commands(command: object = None, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The path of every command and group of the app, the app itself first."""
    command = command or ROOT
    yield path
    if isinstance(command, TyperGroup):
        for name, sub in sorted(command.commands.items()):
            yield from commands(sub, (*path, name))


def command_at(path: tuple[str, ...]) -> object:
    command: object = ROOT
    for name in path:
        assert isinstance(command, TyperGroup)
        command = command.commands[name]
    return command


ALL = list(commands())


def help_of(capsys: pytest.CaptureFixture[str], path: tuple[str, ...]) -> str:
    assert exit_status(app, [*path, "--help"]) == 0
    return capsys.readouterr().out


def words(text: str) -> str:
    """The help's words in one line, without the panels' borders."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


def test_the_walk_finds_every_audience_and_the_new_commands():
    names = {" ".join(p) for p in ALL}
    assert {"catalogue", "plan", "council decide", "privacy status", "program correct"} <= names
    assert len(ALL) > 30


@pytest.mark.parametrize("path", ALL, ids=lambda p: " ".join(p) or "impact")
def test_no_help_shows_a_python_type_as_a_placeholder(capsys, path):
    text = help_of(capsys, path)
    assert "Usage:" in text
    assert not PYTHON_TYPE.search(text), PYTHON_TYPE.search(text)


@pytest.mark.parametrize("path", ALL, ids=lambda p: " ".join(p) or "impact")
def test_every_option_and_argument_has_a_line_of_help(path):
    command = command_at(path)
    missing = [
        param.name
        for param in getattr(command, "params", [])
        if not (getattr(param, "help", None) or "").strip()
        and param.name not in ("install_completion", "show_completion")
    ]
    assert not missing, f"impact {' '.join(path)}: no help for {missing}"


@pytest.mark.parametrize("path", ALL, ids=lambda p: " ".join(p) or "impact")
def test_no_paragraph_of_a_command_help_is_broken_where_the_source_line_ends(path):
    text = getattr(command_at(path), "help", None) or ""
    assert all("\n" not in paragraph for paragraph in text.split("\n\n")), text


def test_placeholders_say_what_a_value_is(capsys):
    decide = words(help_of(capsys, ("council", "decide")))
    assert "QUARTER" in decide and "PROGRAM" in decide and "--reason" in decide
    assert "exactly one" in decide and "--promote" in decide and "--decline" in decide
    submit = help_of(capsys, ("submit",))
    assert "FILES" in submit and "--dir" in submit and "DIR" in submit
    report = words(help_of(capsys, ("program", "report")))
    assert "impact catalogue" in report and "NUMBER" in report


def test_a_flag_shows_no_placeholder_at_all():
    decide = command_at(("council", "decide"))
    promote = next(p for p in decide.params if p.name == "promote")  # type: ignore[attr-defined]
    assert isinstance(promote, TyperOption)
    assert promote.display_type_rich(ctx=None) is None  # type: ignore[arg-type]


def test_occurred_at_says_it_decides_the_quarter_a_fact_counts_in(capsys):
    text = words(help_of(capsys, ("program", "register")))
    assert "decides which quarter the fact counts in" in text


def test_the_channel_option_lists_the_allowed_channels(capsys):
    text = words(help_of(capsys, ("proposal", "submit")))
    for channel in ("website", "forum", "email", "visit", "agency"):
        assert channel in text


# -- what is printed ------------------------------------------------------------------------


def test_a_bracketed_literal_in_a_table_cell_is_printed_as_written(capsys):
    table = Table("what", "by")
    table.add_row("submitted via website by [erased]", "[bold]desk[/bold] :fire:")
    render.out.print(table)
    render.out.print("which now read as [erased]")
    out = capsys.readouterr().out
    assert "by [erased]" in out and "[bold]desk[/bold] :fire:" in out
    assert "which now read as [erased]" in out


def test_piped_output_is_not_wrapped_at_80_columns(capsys):
    render.out.print("x" * 200)
    assert "x" * 200 in capsys.readouterr().out


# -- reference commands ------------------------------------------------------------------------


def test_the_catalogue_lists_each_metric_with_its_unit_range_and_names(capsys):
    assert exit_status(app, ["catalogue"]) == 0
    out = capsys.readouterr().out
    assert "jobs_created" in out and "people" in out and "0..100000" in out
    assert "일자리 창출" in out and "Jobs created" in out


def test_the_catalogue_as_json_is_the_versioned_catalogue(capsys):
    import json

    assert exit_status(app, ["catalogue", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["version"] == 1
    assert {m["code"] for m in data["metrics"]} >= {"jobs_created", "plastic_collected_kg"}


# -- Kafka out of reach ---------------------------------------------------------------------------


@pytest.mark.parametrize("setting", [None, 0.05])
def test_a_command_that_cannot_reach_kafka_gives_up_saying_where_it_tried(monkeypatch, setting):
    """After its default patience, or the one IMPACT_KAFKA_PATIENCE sets."""
    monkeypatch.setattr(operators, "UNTIL_IDLE_PATIENCE", 0.05 if setting is None else 3600)
    tries = []

    def work() -> None:
        tries.append(1)
        raise LogError("connecting to Kafka at 127.0.0.1:1: KafkaTimeoutError")

    class Where:
        kafka_bootstrap_servers = "127.0.0.1:1"
        kafka_patience = setting

    with pytest.raises(InfrastructureError, match=r"the relay gave up after 0 s .*127\.0\.0\.1:1"):
        operators.keep_publishing(work, "the relay", Where(), until_idle=True)  # type: ignore[arg-type]
    assert tries


def test_brackets_in_a_command_help_are_printed_as_written(capsys):
    def erase(
        subject: str = typer.Option("x", help="Reads as [erased] after; [bold]not bold[/bold]."),
    ) -> None:
        """Destroy a key: the name then reads as [erased] everywhere."""

    single = typer.Typer()
    single.command()(erase)
    assert exit_status(single, ["--help"]) == 0
    text = words(capsys.readouterr().out)
    assert "reads as [erased] everywhere" in text
    assert "Reads as [erased] after; [bold]not bold[/bold]." in text


# -- the README's commands ---------------------------------------------------------------------


def readme_commands() -> list[str]:
    """Every ``impact …`` line of the README's code blocks, continuation lines joined,
    without its comment."""
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```[a-z]*\n(.*?)^```", readme, re.S | re.M)
    lines = "\n".join(blocks).replace("\\\n", " ").splitlines()
    found = []
    for line in lines:
        line = re.sub(r"^(\.venv/bin/)", "", line.strip())
        if line.startswith("impact "):
            found.append(line.split(" # ")[0].split("   #")[0].strip())
    return found


README_COMMANDS = readme_commands()


def test_the_readme_shows_the_commands_a_newcomer_needs():
    shown = " ".join(README_COMMANDS)
    for command in ("keys generate", "submit", "ingest", "proposal reject", "program correct",
                    "catalogue", "plan", "privacy status"):  # fmt: skip
        assert f"impact {command} " in shown or shown.endswith(f"impact {command}"), command


@pytest.mark.parametrize("line", README_COMMANDS)
def test_every_command_of_the_readme_names_commands_and_options_that_exist(line):
    import shlex

    tokens = shlex.split(line.replace("[", " ").replace("]", " ").replace("|", " "))[1:]
    command: object = ROOT
    while tokens and isinstance(command, TyperGroup) and tokens[0] in command.commands:
        command = command.commands[tokens.pop(0)]
    assert tokens == ["--help"] or not isinstance(command, TyperGroup), f"{line}: no command"
    options = {o for p in command.params for o in (*p.opts, *p.secondary_opts)}  # type: ignore[attr-defined]
    unknown = [t for t in tokens if t.startswith("--") and t not in options | {"--help"}]
    assert not unknown, f"{line}: no option {unknown}"
