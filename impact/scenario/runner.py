"""Plays the scenario through the whole platform, as its people and agencies would.

Staff acts (proposals, reviews by the expert panel, new members, keys) go to the
ledger as the proposal desk and the secretariat enter them. Agencies' acts are
submissions, each signed with the key in the agency's own folder (never under the
platform's state: ``impact.agency_keys``), published to ``impact.submissions``; before
each quarterly review everything sent so far is ingested (validated, verified, applied or
rejected), relayed to ``impact.events``, loaded into ClickHouse and scored; the
council then decides on the top candidates, and its decisions flow back the same way.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from impact.agency_keys import played_agencies
from impact.application import commands as c
from impact.bootstrap import Platform
from impact.domain.submission import Submission
from impact.errors import (
    AlreadyExistsError,
    NotFoundError,
    ProposalAlreadyDecidedError,
    ReviewStateError,
)
from impact.scenario.acts import AGENCIES, Message, ScenarioActs
from impact.scenario.generator import Act, Scenario

PROMOTION_THRESHOLD = Decimal(72)
DEFERRALS_BEFORE_PROMOTION = 2
COUNCIL_ACTOR = "council"


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
    ) -> None:
        self.scenario = scenario
        self.platform = platform
        self.ledger = platform.ledger
        self.review = review
        self.on_act = on_act
        played = played_agencies(platform.settings, AGENCIES, self._registered())
        self.acts = ScenarioActs(
            {a: k for a, (k, _) in played.items()},
            platform.sealer,
            public_keys={a: public for a, (_, public) in played.items()},
        )
        self.pending: list[Message] = []
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

    def run(self, resume_after: int = -1) -> RunReport:
        """Play the acts in order; ``resume_after`` is the seq of the last act already played."""
        acts = self.scenario.acts
        start = next((i + 1 for i, a in enumerate(acts) if a.seq == resume_after), 0)
        self.resuming = start > 0
        for act in acts[start:]:
            self._play(act)
            self.report.acts += 1
            if self.on_act:
                self.on_act(act)
        self._flush()
        return self.report

    def _play(self, act: Act) -> None:
        """Play one act. Resuming an interrupted run, an act may have been played already
        (progress is saved at each review): such acts are recognised and skipped until the
        next review, which is where the previous run saved its progress."""
        handler = {
            "submission": self._submission,
            "bad_submission": self._submission,
            "review": self._review,
            "council": self._council,
        }.get(act.kind, self._staff)
        if not self.resuming:
            handler(act)
            return
        if act.kind == "submission" and self.ledger.exists(
            Submission.create_id(
                agency=act.data["agency"], submission_id=act.data["submission"]["submission_id"]
            )
        ):
            return
        try:
            handler(act)
        except (AlreadyExistsError, ProposalAlreadyDecidedError, ReviewStateError):
            return
        if act.kind == "review":
            self.resuming = False

    # -- staff and agencies -----------------------------------------------------

    def _staff(self, act: Act) -> None:
        command = self.acts.command(act)
        assert command is not None, act.kind
        if isinstance(command, c.RegisterKey) and (
            (command.key.agency, command.key.key_id) in self.ledger.consortium().keys
        ):
            return  # registered before an interruption
        self.ledger.handle(command)

    def _submission(self, act: Act) -> None:
        message = self.acts.message(act)
        assert message is not None, act.kind
        self.pending.append(message)

    def _flush(self) -> None:
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

    # -- the review and the council ---------------------------------------------

    def _review(self, act: Act) -> None:
        self._flush()
        self.review(act.data["quarter"])
        self.report.reviews += 1

    def _council(self, act: Act) -> None:
        """The council's habit: it looks at the top three eligible candidates; it promotes
        the first one when it scores at least the threshold and was deferred twice before
        (it wants to see good quarters last), declines one whose evidence is thin, and
        defers the rest. At most one promotion per meeting."""
        quarter = act.data["quarter"]
        review = self.ledger.review(quarter)
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
            self.ledger.handle(
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
            self.report.decisions[decision] += 1
            if decision == "defer":
                self.deferred[code] += 1
            if decision == "promote":
                self.report.promoted.append((code, quarter))
