"""``Admission``: which records the loader hands on, and when. A chained record is admitted
only once a walk back from a signed checkpoint reaches it with its hash, whatever order the
partitions are read in; a forgery of a notification id is refused whether it is read before
or after the genuine record; what is handed on of each partition is a prefix.

The signed checkpoints are a stand-in here (the real ones are read from Kafka in the
integration tests): positions and hashes, and whether the topic is settled."""

import itertools
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from impact.contract.chain import GENESIS, content_digest, link
from impact.projections import admission as admission_module
from impact.projections.admission import ADMITTED, REFUSED, SKIPPED, Admission, ChainState
from impact.projections.reading import Read, read_record
from tests.unit.test_envelope_reading import GENUINE

TOPIC = orjson.dumps("impact.events")
RECORDED = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)


class Checkpoints:
    """What ``Admission`` asks of ``SignedCheckpoints``."""

    topic = "impact.events.checkpoints"

    def __init__(self) -> None:
        self.signed: dict[int, str] = {}
        self.newest = 0
        self.open_transaction = False

    def sign(self, position: int, chain_hash: str) -> None:
        self.signed[position] = chain_hash
        self.newest = max(self.newest, position)

    def refresh(self) -> None:
        pass

    def settled(self) -> bool:
        return not self.open_transaction


def chain_of(count: int, value: str = "12") -> list[dict]:
    records, prev = [], GENESIS
    for nid in range(1, count + 1):
        record = {
            **GENUINE,
            "notification_id": nid,
            "event_id": f"0c2b38ea-d011-5208-a6d4-{nid:012d}",
            "recorded_at": (RECORDED + timedelta(seconds=nid)).isoformat(),
            "payload": {
                "report_id": f"P-KAMCO-01/r{nid}",
                "metric": "jobs_created",
                "quarter": "2019Q1",
                "value": value,
                "unit": "jobs",
                "evidence": None,
                "submission_id": None,
            },
            "prev_hash": prev,
        }
        record["hash"] = prev = link(prev, content_digest(record))
        records.append(record)
    return records


def forged(genuine: dict, value: str = "900000") -> dict:
    record = {**genuine, "payload": {**genuine["payload"], "value": value}}
    record["hash"] = link(record["prev_hash"], content_digest(record))
    return record


def reads(placed: list[tuple[int, int, dict]], until: datetime | None = None) -> list[Read]:
    return [read_record(TOPIC, p, o, orjson.dumps(r), until) for p, o, r in placed]


def admission(checkpoints: Checkpoints, hold: float = 5.0, max_hold: float = 300.0) -> Admission:
    return Admission(ChainState(), checkpoints, hold, max_hold, commit_lag_seconds=0.0)  # type: ignore[arg-type]


def verdicts(judge: Admission) -> dict[tuple[int, int], tuple[int, str]]:
    return {(w.read.partition, w.read.offset): (w.state, w.reason) for w in judge.decided()}


def spread(records: list[dict]) -> list[tuple[int, int, dict]]:
    """Records over three partitions, by notification id, each partition's offsets from 0."""
    offsets = itertools.count()
    return [(r["notification_id"] % 3, next(offsets), r) for r in records]


@pytest.mark.parametrize("order", [[0, 1, 2], [2, 1, 0], [1, 0, 2]])
def test_a_batch_read_a_partition_at_a_time_is_admitted_once_the_walk_reaches_it(order):
    records = chain_of(6)
    checkpoints = Checkpoints()
    checkpoints.sign(6, records[-1]["hash"])
    judge = admission(checkpoints)
    placed = spread(records)
    decided: dict = {}
    for partition in order:
        judge.take(reads([x for x in placed if x[0] == partition]))
        judge.decide()
        decided.update(verdicts(judge))
        if partition != order[-1]:
            assert judge.undecided > 0  # the walk from 6 cannot reach them yet
    assert judge.undecided == 0
    assert sorted(decided.values()) == [(ADMITTED, "")] * 6


@pytest.mark.parametrize("forgery_first", [True, False])
def test_a_forgery_of_a_notification_id_loses_whenever_it_is_read(forgery_first):
    """The forgery links to the record before it and has its own correct hash; read on its
    own, before its neighbours, it used to be admitted (and the genuine one refused as a
    second record)."""
    records = chain_of(6)
    checkpoints = Checkpoints()
    checkpoints.sign(6, records[-1]["hash"])
    fake = forged(records[3])  # notification id 4
    judge = admission(checkpoints)
    first, rest = [(0, 0, fake)], [(1, i, r) for i, r in enumerate(records)]
    for part in (first, rest) if forgery_first else (rest, first):
        judge.take(reads(part))
        judge.decide()
    decided = verdicts(judge)
    why = (
        "a second record for notification id 4, not the one on the chain the platform key "
        "signed (checkpoint at 6)"
        if forgery_first  # it waited for the walk, and meets the genuine one
        else "a second record for notification id 4"
    )
    assert decided[0, 0] == (REFUSED, why)
    assert [decided[1, i] for i in range(6)] == [(ADMITTED, "")] * 6


def test_a_partition_is_handed_on_only_up_to_its_first_undecided_record():
    records = chain_of(4)
    checkpoints = Checkpoints()
    checkpoints.sign(2, records[1]["hash"])
    judge = admission(checkpoints)
    # partition 0: 3, 1; partition 1: 2, 4. Only 1 and 2 are covered.
    judge.take(
        reads([(0, 0, records[2]), (0, 1, records[0]), (1, 0, records[1]), (1, 1, records[3])])
    )
    judge.decide()
    assert list(verdicts(judge)) == [(1, 0)]  # 3 waits, so 1 behind it waits to be handed on
    checkpoints.sign(4, records[3]["hash"])
    judge.decide()
    assert list(verdicts(judge)) == [(0, 0), (0, 1), (1, 1)]


def test_records_a_replay_skips_are_still_links_the_walk_passes_through():
    """A replay up to a moment skips what was recorded after it, but the checkpoint that
    covers the last records it keeps may be further on (the relay's transaction spanned
    the moment)."""
    records = chain_of(6)
    checkpoints = Checkpoints()
    checkpoints.sign(6, records[-1]["hash"])
    until = RECORDED + timedelta(seconds=3, milliseconds=500)  # keeps 1-3, skips 4-6
    judge = admission(checkpoints)
    judge.take(reads([(1, i, r) for i, r in enumerate(records[3:])], until))  # skipped first
    judge.decide()
    judge.take(reads([(0, i, r) for i, r in enumerate(records[:3])], until))
    judge.decide()
    decided = verdicts(judge)
    assert [decided[0, i][0] for i in range(3)] == [ADMITTED] * 3
    assert [decided[1, i][0] for i in range(3)] == [SKIPPED] * 3


def test_an_uncovered_record_waits_while_a_transaction_is_open_then_is_refused(monkeypatch):
    records = chain_of(3)
    checkpoints = Checkpoints()
    checkpoints.sign(2, records[1]["hash"])
    clock = [1000.0]
    monkeypatch.setattr(admission_module.time, "monotonic", lambda: clock[0])
    judge = admission(checkpoints, hold=5.0, max_hold=60.0)
    judge.take(reads([(0, i, r) for i, r in enumerate(records)]))
    judge.decide()
    assert list(verdicts(judge)) == [(0, 0), (0, 1)]
    checkpoints.open_transaction = True
    clock[0] += 30.0
    judge.decide()
    assert judge.undecided == 1  # its checkpoint may still be committing
    checkpoints.open_transaction = False
    judge.decide()
    refused = verdicts(judge)[0, 2]
    assert refused[0] == REFUSED and "no checkpoint signed by the platform key covers" in refused[1]


def test_an_uncovered_record_is_refused_after_the_longest_hold_in_any_case(monkeypatch):
    records = chain_of(1)
    checkpoints = Checkpoints()
    checkpoints.open_transaction = True
    clock = [1000.0]
    monkeypatch.setattr(admission_module.time, "monotonic", lambda: clock[0])
    judge = admission(checkpoints, hold=5.0, max_hold=60.0)
    judge.take(reads([(0, 0, records[0])]))
    clock[0] += 59.0
    judge.decide()
    assert judge.undecided == 1
    clock[0] += 1.0
    judge.decide()
    assert verdicts(judge)[0, 0][0] == REFUSED


def test_a_long_chain_keeps_only_the_links_near_its_end_and_still_knows_every_id(monkeypatch):
    monkeypatch.setattr(admission_module, "KEPT_BEHIND", 10)
    records = chain_of(81)
    checkpoints = Checkpoints()
    judge = admission(checkpoints)
    for first in range(0, 80, 20):  # four polls, a checkpoint after each
        batch = records[first : first + 20]
        checkpoints.sign(batch[-1]["notification_id"], batch[-1]["hash"])
        judge.take(reads([(0, r["notification_id"] - 1, r) for r in batch]))
        judge.decide()
    assert {state for state, _ in verdicts(judge).values()} == {ADMITTED}
    chain = judge.chain
    assert chain.prefix == 80 and len(chain.links) <= 3 * 10, len(chain.links)
    assert chain.dropped_to > 0 and 5 not in chain.links
    # An early id's second record is known as one, though its links are no longer kept.
    judge.take(reads([(1, 0, forged(records[4]))]))
    judge.decide()
    (verdict,) = verdicts(judge).values()
    assert verdict == (REFUSED, "a second record for notification id 5")
    # The next genuine record still links to the kept end of the chain.
    checkpoints.sign(81, records[80]["hash"])
    judge.take(reads([(0, 80, records[80])]))
    judge.decide()
    assert list(verdicts(judge).values()) == [(ADMITTED, "")]
    assert chain.prefix == 81
