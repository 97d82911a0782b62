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


@pytest.mark.parametrize(
    "dropped",
    [ConnectionResetError(104, "Connection reset by peer"), BrokenPipeError(32, "Broken pipe")],
)
def test_a_connection_a_dying_broker_drops_is_a_kafka_failure_waited_out(dropped):
    """kafka-python's network layer can let a reset connection escape as a plain OSError
    (a node killed mid-request, over TLS): it is a Kafka failure, started again like one."""
    from impact.kafka.clients import kafka_errors

    attempts = []

    def work():
        attempts.append(1)
        if len(attempts) == 1:
            with kafka_errors("reading the end of the checkpoints"):
                raise dropped
        return "done"

    assert keep_running(work, "test", sleep=lambda _: None) == "done"
    with (
        pytest.raises(LogError, match="reading the end of the checkpoints: "),
        kafka_errors("reading the end of the checkpoints"),
    ):
        raise dropped


def test_a_file_error_under_kafka_errors_is_not_taken_for_a_kafka_failure():
    from impact.kafka.clients import kafka_errors

    with pytest.raises(FileNotFoundError), kafka_errors("reading"):
        raise FileNotFoundError("no such file")


def test_work_that_moves_between_failures_is_never_given_up_for_their_sum(monkeypatch):
    """A relay that publishes between broker failures: each failure alone is short, their sum
    is longer than the patience. Without the progress it would be given up."""
    clock = [0.0]
    done = []
    pauses = []

    def work():
        clock[0] += 100.0  # each run works for 100 s, then a node dies under it
        done.append(1)
        if len(done) < 6:
            raise LogError("a partition's leader died")
        return "done"

    def sleep(seconds):
        pauses.append(seconds)

    import impact.kafka.clients as clients

    monkeypatch.setattr(clients.time, "monotonic", lambda: clock[0])
    progress = len(done)
    assert (
        keep_running(work, "test", give_up_after=250.0, sleep=sleep, progress=lambda: len(done))
        == "done"
    )
    assert len(done) > progress and pauses == [0.5] * 5, "each failure after progress is a first"
    done.clear()
    with pytest.raises(LogError):
        keep_running(work, "test", give_up_after=250.0, sleep=sleep)
