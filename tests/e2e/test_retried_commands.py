"""A staff command typed again after a crash or a timeout changes nothing and says so;
the same reference with other content is refused."""

import pytest

pytestmark = pytest.mark.e2e


def test_a_staff_command_entered_again_is_already_recorded_and_other_content_refused(run):
    run("init")
    submit = ("proposal", "submit", "--code", "C-2019-0001", "--title", "해변 정화")
    assert "proposal C-2019-0001 submitted" in run(*submit).stdout
    again = run(*submit)
    assert "already recorded: proposal C-2019-0001; nothing changed" in again.stdout
    other = run("proposal", "submit", "--code", "C-2019-0001", "--title", "다른 제안", ok=False)
    assert other.returncode == 2 and "already exists with another title" in other.stderr
