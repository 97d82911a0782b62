"""Plays the scenario through the whole platform, as its people and agencies would.

Staff acts (proposals, reviews by the expert panel, new members, keys) go to the
ledger as the proposal desk and the secretariat enter them. Agencies' acts are
submissions, each signed with the key in the agency's own folder (never under the
platform's state: ``impact.agency_keys``), published to ``impact.submissions``; before
each quarterly review everything sent so far is ingested (validated, verified, applied or
rejected), relayed to ``impact.events``, loaded into ClickHouse and scored; the
council then decides on the top candidates, and its decisions flow back the same way.

How far a run got is known from the ledger alone, so a run killed at any instant
resumes exactly after the last act stored:

* a staff act and the council's decisions of a meeting are stored in one transaction
  with a tracking record "act N of the scenario played" (``progress_name``); a review
  is marked played once it finished (doing it again is harmless: the same inputs give
  the same scores, recorded once);
* agencies' messages are sent at the next review; resuming before it, the messages of
  the acts since the last review are counted against what ``impact.submissions``
  already holds and only the missing ones are sent (the desk's tracking records apply
  each message on the topic once);
* the end of the run is marked too (position ``len(acts) + 1``).
"""

import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from eventsourcing.persistence import Tracking

from impact import clock
from impact.agency_keys import played_agencies
from impact.application import commands as c
from impact.bootstrap import Platform
from impact.errors import NotFoundError
from impact.kafka import read_topic_records
from impact.scenario.acts import AGENCIES, Message, ScenarioActs
from impact.scenario.generator import Act, Scenario

PROMOTION_THRESHOLD = Decimal(72)
DEFERRALS_BEFORE_PROMOTION = 2
COUNCIL_ACTOR = "council"
MESSAGE_KINDS = ("submission", "bad_submission")


def progress_name(seed: int, scale: int, until: str | None = None) -> str:
    """The name of the tracking records that say how far the scenario was played."""
    return f"scenario:{seed}:{scale}:{until or 'all'}"


class ScenarioClock:
    """The scenario's time, as ``impact.clock`` asks it: each act is recorded at its own
    moment of 2018-2021 (``act.at``: a report a few days after its quarter, a correction
    weeks later, a review in the month after the quarter), and each agency's message, when
    the desk decides it, at the moment it was sent. So "as known then" (``--as-of``, the
    auditors' replays) can be seen on the scenario."""

    def __init__(self) -> None:
        self.at: datetime | None = None
        self.sent: dict[bytes, datetime] = {}
        """When each message (by the sha256 of its bytes) was sent in the scenario."""

    def __call__(self) -> datetime:
        message = clock.message_deciding()
        if message is not None and (sent := self.sent.get(_digest(message))) is not None:
            return sent
        return self.at if self.at is not None else clock.system_clock()


@dataclass
class RunReport:
    acts: int = 0
    submissions_sent: int = 0
    applied: int = 0
    rejected: int = 0
    rejection_codes: Counter[str] = field(default_factory=Counter)
    reviews: int = 0
    decisions: Counter[str] = field(default_factory=Counter)
    promoted: list[tuple[str, str]] = field(default_factory=list)


Reviewer = Callable[[str], None]
"""Runs the review of a quarter (records it, publishes it, writes its report)."""


class ScenarioRunner:
    def __init__(
        self,
        scenario: Scenario,
        platform: Platform,
        review: Reviewer,
        on_act: Callable[[Act], None] | None = None,
        progress: str | None = None,
    ) -> None:
        self.scenario = scenario
        self.platform = platform
        self.ledger = platform.ledger
        self.review = review
        self.on_act = on_act
        self.progress = progress or progress_name(scenario.seed, scenario.scale)
        """The tracking records' name: how far this scenario was played."""
        self.window = 0
        """Where the acts since the last review begin (their messages go with the next)."""
        self.check_sent = False
        """Whether some pending messages may be on the topic already (resuming)."""
        played = played_agencies(platform.settings, AGENCIES, self._registered())
        self.acts = ScenarioActs(
            {a: k for a, (k, _) in played.items()},
            platform.sealer,
            public_keys={a: public for a, (_, public) in played.items()},
        )
        self.pending: list[Message] = []
        self.clock = ScenarioClock()
        self.report = RunReport()
        self.ingest = platform.ingest()
        self.deferred: Counter[str] = self._deferred_so_far()

    def _registered(self) -> set[tuple[str, str]]:
        """The agencies' keys registered already (on resume), so the same ones sign on."""
        try:
            return set(self.ledger.consortium().keys)
        except NotFoundError:  # not founded yet
            return set()

    def _deferred_so_far(self) -> Counter[str]:
        """How often the council deferred each programme in reviews already recorded (on resume)."""
        deferred: Counter[str] = Counter()
        for act in self.scenario.acts:
            if act.kind == "review":
                try:
                    review = self.ledger.review(act.data["quarter"])
                except NotFoundError:  # not reviewed yet
                    break
                deferred.update(code for code, d in review.decisions.items() if d == "defer")
        return deferred

    def played(self) -> int:
        """How many acts the ledger holds as played (``len(acts) + 1``: the run finished)."""
        return self.ledger.tracked_position(self.progress) or 0

    def run(self) -> RunReport:
        """Play the acts in order, after the last one the ledger holds as played, each
        recorded at its own moment (``ScenarioClock``)."""
        with clock.recording_at(self.clock):
            return self._run()

    def _run(self) -> RunReport:
        acts = self.scenario.acts
        start = min(self.played(), len(acts))
        self.window = next((i + 1 for i in range(start - 1, -1, -1) if acts[i].kind == "review"), 0)
        for act in acts[self.window : start]:
            if act.kind in MESSAGE_KINDS:  # since the last review: sent or not, unknown yet
                self._submission(act)
        self.check_sent = bool(self.pending)
        for n, act in enumerate(acts[start:], start=start + 1):
            self._play(act, n)
            self.report.acts += 1
            if self.on_act:
                self.on_act(act)
        self._flush()
        self._mark(len(acts) + 1)
        return self.report

    def _tracking(self, n: int) -> Tracking:
        return Tracking(application_name=self.progress, notification_id=n)

    def _mark(self, n: int) -> None:
        """Record act ``n`` as played (an act that stored nothing of its own)."""
        if self.played() < n:
            self.ledger.unit_of_work().commit(self._tracking(n))

    def _play(self, act: Act, n: int) -> None:
        """Play act ``n`` (counted from 1); what it stores is stored with its position."""
        self.clock.at = act.at
        if act.kind in MESSAGE_KINDS:
            self._submission(act)
        elif act.kind == "review":
            self._review(act)
            self._mark(n)
        elif act.kind == "council":
            self._council(act, n)
        else:
            self._staff(act, n)

    # -- staff and agencies -----------------------------------------------------

    def _staff(self, act: Act, n: int) -> None:
        command = self.acts.command(act)
        assert command is not None, act.kind
        uow = self.ledger.unit_of_work()
        uow.decide(command)
        uow.commit(self._tracking(n))

    def _submission(self, act: Act) -> None:
        message = self.acts.message(act)
        assert message is not None, act.kind
        self.clock.sent.setdefault(_digest(message[2]), act.at)
        self.pending.append(message)

    def _flush(self) -> None:
        if self.pending and self.check_sent:
            self.pending = self._not_sent_yet(self.pending)
        self.check_sent = False
        if self.pending:
            sender = self.platform.agency_client(next(iter(self.acts.keys.values())))
            sender.send_raw(self.pending)
            self.report.submissions_sent += len(self.pending)
            self.pending = []
        before = (self.ingest.stats.applied, self.ingest.stats.rejected)
        stats = self.ingest.run(until_idle=True)
        self.report.applied += stats.applied - before[0]
        self.report.rejected += stats.rejected - before[1]
        self.report.rejection_codes = Counter(stats.codes)

    def _not_sent_yet(self, pending: list[Message]) -> list[Message]:
        """The pending messages ``impact.submissions`` does not hold yet (an interrupted
        run may have sent some or all). Messages are counted, not just looked up: an
        agency's mistake may be the very bytes of an earlier message sent again."""
        settings = self.platform.settings
        on_topic = Counter(
            _digest(record.value)
            for record in read_topic_records(
                settings.kafka, settings.topics.submissions, "impact-scenario-resume"
            )
        )
        seen: Counter[bytes] = Counter()
        for act in self.scenario.acts[: self.window]:  # sent before the last review
            if act.kind in MESSAGE_KINDS:
                message = self.acts.message(act)
                assert message is not None
                seen[_digest(message[2])] += 1
        missing = []
        for message in pending:
            digest = _digest(message[2])
            seen[digest] += 1
            if seen[digest] > on_topic[digest]:
                missing.append(message)
        return missing

    # -- the review and the council ---------------------------------------------

    def _review(self, act: Act) -> None:
        self._flush()
        self.review(act.data["quarter"])
        self.report.reviews += 1

    def _council(self, act: Act, n: int) -> None:
        """The council's habit: it looks at the top three eligible candidates; it promotes
        the first one when it scores at least the threshold and was deferred twice before
        (it wants to see good quarters last), declines one whose evidence is thin, and
        defers the rest. At most one promotion per meeting."""
        quarter = act.data["quarter"]
        review = self.ledger.review(quarter)
        uow = self.ledger.unit_of_work()
        decided: list[tuple[str, str]] = []
        ranked = sorted(
            (c for c in review.candidates.values() if c.eligible), key=lambda c: c.rank
        )[:3]
        for position, candidate in enumerate(ranked):
            code = candidate.program_code
            if code in review.decisions:
                continue
            if (
                position == 0
                and candidate.score >= PROMOTION_THRESHOLD
                and self.deferred[code] >= DEFERRALS_BEFORE_PROMOTION
            ):
                decision, reason = "promote", "사업성과와 파급효과가 우수하여 공동사업으로 확대"
            elif candidate.components.get("evidence", Decimal(1)) < Decimal("0.5"):
                decision, reason = "decline", "증빙 자료 부족"
            else:
                decision, reason = "defer", "다음 분기 성과를 보고 재검토"
            uow.decide(
                c.DecidePromotion(
                    quarter=quarter,
                    program_code=code,
                    decision=decision,  # type: ignore[arg-type]
                    reason=reason,
                    meeting_ref=act.data["meeting"],
                    actor=COUNCIL_ACTOR,
                    occurred_at=act.at,
                )
            )
            decided.append((code, decision))
        uow.commit(self._tracking(n))  # the meeting's decisions with its position
        for code, decision in decided:
            self.report.decisions[decision] += 1
            if decision == "defer":
                self.deferred[code] += 1
            if decision == "promote":
                self.report.promoted.append((code, quarter))


def _digest(value: bytes | None) -> bytes:
    return hashlib.sha256(value or b"").digest()
