"""Long-running Kafka work starts again after an outage, and gives up on a long one."""

import pytest

from impact.errors import LogError
from impact.kafka import keep_running


def test_work_that_fails_a_few_times_is_started_again_until_it_succeeds():
    attempts, pauses = [], []

    def work():
        attempts.append(1)
        if len(attempts) < 4:
            raise LogError("broker away")
        return "done"

    assert keep_running(work, "test", sleep=pauses.append) == "done"
    assert len(attempts) == 4
    assert pauses == [0.5, 1.0, 2.0]


def test_an_outage_longer_than_the_limit_is_raised():
    def work():
        raise LogError("broker gone")

    with pytest.raises(LogError, match="broker gone"):
        keep_running(work, "test", give_up_after=0.0, sleep=lambda _: None)


def test_other_errors_are_not_retried():
    def work():
        raise ValueError("a bug")

    with pytest.raises(ValueError):
        keep_running(work, "test", sleep=lambda _: None)
