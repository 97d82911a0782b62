"""A user's mistakes at the ``impact`` command: one line on stderr, exit status 2, and the
text of the ledger printed as it is."""

import pytest

pytestmark = pytest.mark.e2e


def test_a_refusal_of_the_ledger_is_one_line_that_keeps_brackets_and_exits_2(run):
    run("init")
    refused = run("proposal", "reject", "[erased]", "--reason", "duplicate", ok=False)
    assert refused.returncode == 2
    assert refused.stderr == "error: proposal [erased] does not exist\n"
    assert refused.stdout == ""


def test_a_bad_value_names_its_option_before_anything_is_recorded(run):
    run("init")
    bad_time = run(
        "proposal", "submit", "--code", "C-2018-0001", "--title", "해변 플라스틱 줍기",
        "--occurred-at", "last tuesday", ok=False,
    )  # fmt: skip
    assert bad_time.returncode == 2
    assert "Invalid value for '--occurred-at': 'last tuesday' is not a time" in bad_time.stderr
    assert len(bad_time.stderr.splitlines()) == 1
    nothing = run("proposal", "reject", "C-2018-0001", "--reason", "duplicate", ok=False)
    assert "proposal C-2018-0001 does not exist" in nothing.stderr


def test_an_erasure_says_the_data_now_reads_as_erased(run):
    run("init")
    run("proposal", "submit", "--code", "C-2018-0001", "--title", "해변 플라스틱 줍기",
        "--proposer-id", "citizen-1", "--proposer-name", "김부산")  # fmt: skip
    erased = run("privacy", "erase", "citizen-1", "--yes")
    assert "which now read as [erased]" in erased.stdout
