"""Plays the scenario through the whole platform, as its people and agencies would.

Staff acts (proposals, reviews by the expert panel, new members, keys) go to the
ledger as the proposal desk and the secretariat enter them. Agencies' acts are
signed submissions published to ``impact.submissions``; before each quarterly
review everything sent so far is ingested (validated, verified, applied or
rejected), relayed to ``impact.events``, loaded into ClickHouse and scored; the
council then decides on the top candidates, and its decisions flow back the same way.
"""

import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


from impact.domain.consortium import AgencyKey, Member
from impact.domain.errors import (
    AlreadyExistsError,
    NotFoundError,
    ProposalAlreadyDecidedError,
    ReviewStateError,
)
from impact.domain.proposal import ReviewComment
from impact.domain.review import ScoredCandidate
from impact.domain.submission import Submission
from impact.ingest.client import AgencyClient, routing_key, sign_submission
from impact.ingest.ingest import Ingest
from impact.ledger import Ledger
from impact.privacy import PersonalData, PersonalDataSealer
from impact.scenario.generator import Act, Scenario
from impact.settings import Settings
from impact.signing import AgencyKeyPair, public_key_text

PROMOTION_THRESHOLD = Decimal(72)
DEFERRALS_BEFORE_PROMOTION = 2
COUNCIL_ACTOR = "council"


def scenario_key(seed: int, agency: str) -> AgencyKeyPair:
    """The agency's signing key in the scenario: derived from the seed, so runs repeat."""
    secret = hashlib.sha256(f"impact-scenario:{seed}:{agency}".encode()).digest()
    return AgencyKeyPair.from_seed(agency, secret)


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


Reviewer = Callable[[str], tuple[ScoredCandidate, ...]]


class ScenarioRunner:
    def __init__(
        self,
        scenario: Scenario,
        ledger: Ledger,
        settings: Settings,
        sealer: PersonalDataSealer,
        review: Reviewer,
        on_act: Callable[[Act], None] | None = None,
    ) -> None:
        self.scenario = scenario
        self.ledger = ledger
        self.settings = settings
        self.sealer = sealer
        self.review = review
        self.on_act = on_act
        self.keys = {a: scenario_key(scenario.seed, a) for a in ("KAMCO", "KIBO", "BPA", "HUG", "KOSPO", "KSD", "HF", "BNK")}
        self.pending: list[tuple[str, bytes, bytes]] = []
        self.report = RunReport()
        self.ingest = Ingest(ledger, settings)
        self.deferred: Counter[str] = self._deferred_so_far()

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
        handler = getattr(self, "_" + act.kind.replace(".", "_"))
        if not self.resuming:
            handler(act)
            return
        if act.kind == "submission" and self.ledger.exists(
            Submission.create_id(agency=act.data["agency"], submission_id=act.data["submission"]["submission_id"])
        ):
            return
        try:
            handler(act)
        except (AlreadyExistsError, ProposalAlreadyDecidedError, ReviewStateError):
            return
        if act.kind == "review":
            self.resuming = False

    # -- staff ------------------------------------------------------------------

    def _found(self, act: Act) -> None:
        self.ledger.found()

    def _key_register(self, act: Act) -> None:
        pair = self.keys[act.data["agency"]]
        if (pair.agency, pair.key_id) in self.ledger.consortium().keys:
            return
        self.ledger.register_key(
            AgencyKey(agency=pair.agency, key_id=pair.key_id, public_key=public_key_text(pair.public),
                      valid_from=act.at),
            actor="consortium-secretariat",
        )

    def _member_join(self, act: Act) -> None:
        data = act.data
        self.ledger.admit_member(
            Member(code=data["code"], name_ko=data["name_ko"], name_en=data["name_en"],
                   joined_on=date.fromisoformat(data["joined_on"])),
            actor="BUSAN", occurred_at=act.at,
        )

    def _proposal_submit(self, act: Act) -> None:
        d = act.data
        sealed = self.sealer.seal(d["subject_id"], PersonalData(name=d["name"], contact=d["contact"]))
        self.ledger.submit_proposal(d["code"], d["title"], d["text"], d["category"], channel=d["channel"],
                                    proposer=sealed, occurred_at=act.at)

    def _proposal_start_review(self, act: Act) -> None:
        self.ledger.start_proposal_review(act.data["code"], tuple(act.data["panel"]), actor="proposal-desk",
                                          occurred_at=act.at)

    def _proposal_review(self, act: Act) -> None:
        scores = {k: Decimal(v) for k, v in act.data["scores"].items()}
        comments = (ReviewComment(reviewer="전문가 패널", comment="검토 의견 기록"),)
        self.ledger.record_proposal_review(act.data["code"], scores, comments, actor="proposal-desk",
                                           occurred_at=act.at)

    def _proposal_adopt(self, act: Act) -> None:
        self.ledger.adopt_proposal(act.data["code"], act.data["task"], actor="proposal-desk", occurred_at=act.at)

    def _proposal_reject(self, act: Act) -> None:
        self.ledger.reject_proposal(act.data["code"], act.data["reason"], actor="proposal-desk", occurred_at=act.at)

    def _proposal_merge(self, act: Act) -> None:
        self.ledger.merge_proposal(act.data["code"], act.data["into"], actor="proposal-desk", occurred_at=act.at)

    # -- agencies ---------------------------------------------------------------

    def _submission(self, act: Act) -> None:
        submission = act.data["submission"]
        message = sign_submission(self.keys[act.data["agency"]], submission)
        self.pending.append((submission["submission_id"], routing_key(submission), message))

    def _bad_submission(self, act: Act) -> None:
        """A mistake an agency makes; the desk must reject it and keep everything else."""
        submission, agency, kind = act.data["submission"], act.data["agency"], act.data["expect"]
        own = self.keys[agency]
        if kind == "duplicate":
            message = sign_submission(own, submission)
        elif kind == "not_owner":
            other = self.keys[act.data["other"]]
            forged = {**submission, "agency": other.agency, "submission_id": submission["submission_id"] + "-x"}
            message = sign_submission(other, forged)
        elif kind == "value_out_of_range":
            wrong = {**submission, "value": "-" + submission["value"].lstrip("-"),
                     "submission_id": submission["submission_id"] + "-neg"}
            message = sign_submission(own, wrong)
        elif kind == "unknown_program":
            wrong = {**submission, "program_code": submission["program_code"] + "9",
                     "submission_id": submission["submission_id"] + "-typo"}
            message = sign_submission(own, wrong)
        else:  # malformed_json: a truncated upload
            message = sign_submission(own, submission)[:-17]
        self.pending.append((f"bad:{kind}", routing_key(submission), message))

    def _flush(self) -> None:
        if self.pending:
            AgencyClient(self.settings, next(iter(self.keys.values()))).send_raw(self.pending)
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
        ranked = sorted((c for c in review.candidates.values() if c.eligible), key=lambda c: c.rank)[:3]
        for position, candidate in enumerate(ranked):
            code = candidate.program_code
            if code in review.decisions:
                continue
            if (position == 0 and candidate.score >= PROMOTION_THRESHOLD
                    and self.deferred[code] >= DEFERRALS_BEFORE_PROMOTION):
                decision, reason = "promote", "사업성과와 파급효과가 우수하여 공동사업으로 확대"
            elif candidate.components.get("evidence", Decimal(1)) < Decimal("0.5"):
                decision, reason = "decline", "증빙 자료 부족"
            else:
                decision, reason = "defer", "다음 분기 성과를 보고 재검토"
            self.ledger.decide(quarter, code, decision, reason, act.data["meeting"],  # type: ignore[arg-type]
                               actor=COUNCIL_ACTOR, occurred_at=act.at)
            self.report.decisions[decision] += 1
            if decision == "defer":
                self.deferred[code] += 1
            if decision == "promote":
                self.report.promoted.append((code, quarter))
