"""The scenario as a list of dated acts, generated deterministically from a seed.

Every act is something a person or an agency does on a given business day: a
citizen submits a proposal, the desk records an expert review, an agency sends a
signed submission (a programme, an outcome, a correction, a partner, a status),
a new member joins, the quarterly review runs, the council decides. The runner
plays them in order through the platform. Same seed and scale, same acts.
"""

import hashlib
import random
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from impact.domain.quarter import Quarter
from impact.scenario.catalogue import (
    BASE_TARGET,
    FIELD_PROGRAMMES,
    NAMED,
    PROPOSAL_TOPICS,
    ProgrammeSketch,
)

FIRST_QUARTER = Quarter(2019, 1)
LAST_QUARTER = Quarter(2021, 4)
PROPOSALS_OPEN = datetime(2018, 10, 1, 9, tzinfo=UTC)
PLAN_DECLARED = datetime(2018, 11, 28, 11, tzinfo=UTC)
EIGHTH_MEMBER_JOINS = date(2019, 7, 1)

NAMED_CODES = frozenset(s.code for s in NAMED)
FAMILY = "김이박최정강조윤장임한오서신권황안송류홍"
GIVEN = (
    "민준",
    "서연",
    "도윤",
    "지우",
    "하준",
    "서윤",
    "지호",
    "하은",
    "수빈",
    "예준",
    "지민",
    "유진",
)


@dataclass(frozen=True, order=True)
class Act:
    at: datetime
    seq: int
    kind: str = field(compare=False)
    data: dict[str, Any] = field(compare=False, default_factory=dict)


@dataclass
class Scenario:
    seed: int
    scale: int
    acts: list[Act]

    def count(self, kind: str) -> int:
        return sum(act.kind == kind for act in self.acts)

    def submissions_of(self, kind: str) -> int:
        return sum(
            act.kind == "submission" and act.data["submission"]["kind"] == kind for act in self.acts
        )


class _Builder:
    def __init__(self, seed: int, scale: int) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.scale = scale
        self.acts: list[Act] = []
        self.sids = 0

    def add(self, at: datetime, kind: str, **data: Any) -> None:
        self.acts.append(Act(at, len(self.acts), kind, data))

    def sid(self, agency: str) -> str:
        self.sids += 1
        return f"{agency}-{self.sids:06d}"

    def day(self, start: datetime, low: float, high: float) -> datetime:
        moment = start + timedelta(days=self.rng.uniform(low, high))
        return moment.replace(microsecond=0)


def _quarters(start: Quarter, end: Quarter) -> list[Quarter]:
    out, q = [], start
    while q <= end:
        out.append(q)
        q = q.next()
    return out


def _value(metric: str, amount: float) -> str:
    if metric == "participant_satisfaction":
        return str(Decimal(str(round(min(max(amount, 0.0), 100.0), 1))))
    return str(max(0, round(amount)))


def _proposals(b: _Builder) -> dict[str, list[str]]:
    """~250 proposals in eight weeks from 2018-10-01, reviewed over two months; more later.

    Returns the adopted proposal codes by topic (category and topic index).
    """
    adopted_by_topic: dict[str, list[str]] = {}
    early_topics = {0, 4, 6}  # plastic, start-up finance, flea market: adopted in time for the plan
    count = 250
    for n in range(1, count + 1):
        topic_index = (n - 1) % len(PROPOSAL_TOPICS)
        category, title, text = PROPOSAL_TOPICS[topic_index]
        code = f"C-2018-{n:04d}"
        submitted = b.day(PROPOSALS_OPEN, 0, 56)
        name = b.rng.choice(FAMILY) + b.rng.choice(GIVEN)
        b.add(
            submitted,
            "proposal.submit",
            code=code,
            title=f"{title} ({n})" if n > 12 else title,
            text=text,
            category=category,
            channel=b.rng.choice(("website", "website", "website", "forum", "email")),
            subject_id=f"citizen-{n:04d}",
            name=name,
            contact=f"citizen{n:04d}@example.org",
        )
        started = b.day(submitted, 2, 8)
        b.add(started, "proposal.start_review", code=code, panel=["전문가 패널 A", "전문가 패널 B"])
        early = n <= len(PROPOSAL_TOPICS) and topic_index in early_topics
        reviewed = (
            b.day(started, 2, 6)
            if early
            else b.day(max(started, datetime(2018, 11, 10, tzinfo=UTC)), 0, 40)
        )
        merit = b.rng.uniform(40, 95) if not early else b.rng.uniform(88, 97)
        b.add(
            reviewed,
            "proposal.review",
            code=code,
            scores={
                "feasibility": f"{merit:.0f}",
                "impact": f"{min(100, merit + b.rng.uniform(-8, 8)):.0f}",
            },
        )
        decided = max(b.day(reviewed, 1, 7), PLAN_DECLARED)
        adopted = adopted_by_topic.setdefault(category + str(topic_index), [])
        if early or (merit > 82 and len(adopted) < 3):
            task = (
                "S4-T2",
                "S4-T2",
                "S1-T1",
                "S1-T2",
                "S2-T1",
                "S2-T3",
                "S3-T1",
                "S3-T1",
                "S4-T1",
                "S4-T3",
                "S4-T1",
                "S4-T3",
            )[topic_index]
            b.add(decided, "proposal.adopt", code=code, task=task)
            adopted.append(code)
        elif adopted and merit > 60:
            b.add(decided, "proposal.merge", code=code, into=adopted[0])
        else:
            b.add(
                decided,
                "proposal.reject",
                code=code,
                reason=b.rng.choice(
                    (
                        "기존 사업과 중복",
                        "예산 범위 초과",
                        "기관 역할 밖의 사업",
                        "실행 방안 구체화 필요",
                    )
                ),
            )
    # The proposal site stays open: a few more each quarter.
    for q in _quarters(FIRST_QUARTER, LAST_QUARTER):
        for k in range(5):
            category, title, text = PROPOSAL_TOPICS[b.rng.randrange(len(PROPOSAL_TOPICS))]
            code = f"C-{q.year}-{q.number}{k + 1:03d}"
            submitted = b.day(datetime.combine(q.first_day, datetime.min.time(), UTC), 0, 80)
            b.add(
                submitted,
                "proposal.submit",
                code=code,
                title=f"{title} ({q})",
                text=text,
                category=category,
                channel="website",
                subject_id=f"citizen-{q}-{k}",
                name=b.rng.choice(FAMILY) + b.rng.choice(GIVEN),
                contact="",
            )
            started = b.day(submitted, 3, 10)
            b.add(started, "proposal.start_review", code=code, panel=["전문가 패널 C"])
            reviewed = b.day(started, 5, 20)
            b.add(
                reviewed,
                "proposal.review",
                code=code,
                scores={"impact": f"{b.rng.uniform(40, 90):.0f}"},
            )
            b.add(
                b.day(reviewed, 1, 5), "proposal.reject", code=code, reason="차기 계획 개정 시 검토"
            )
    return adopted_by_topic


def _sketches(scale: int) -> list[tuple[ProgrammeSketch, date]]:
    """The programmes with their start dates: named ones, field ones, a 2020 second phase.

    ``scale`` N repeats the whole set N times (codes of the copies end in -X1, -X2, ...).
    """
    base: list[tuple[ProgrammeSketch, date]] = [(s, date(2019, 1, 1)) for s in NAMED]
    for agency, entries in FIELD_PROGRAMMES.items():
        for index, (task, ko, en, metrics) in enumerate(entries, start=2):
            code = f"P-{agency}-{index + (1 if agency == 'KAMCO' else 0):02d}"
            start = date(2019, 10, 1) if agency == "BNK" else date(2019, 1, 1)
            base.append(
                (
                    ProgrammeSketch(
                        code,
                        agency,
                        task,
                        ko,
                        en,
                        metrics,
                        (5 + index * 7) * 10_000_000,
                        quality=1.0,
                    ),
                    start,
                )
            )
    for number, agency in enumerate(
        ("KAMCO", "KIBO", "BPA", "HUG", "KOSPO", "KSD", "HF", "KIBO"), start=1
    ):
        task, ko, en, metrics = FIELD_PROGRAMMES[agency][0]
        base.append(
            (
                ProgrammeSketch(
                    f"P-{agency}-2{number:02d}",
                    agency,
                    task,
                    f"{ko} 2기",
                    f"{en}, phase two",
                    metrics,
                    150_000_000,
                    0.95,
                ),
                date(2020, 1, 1),
            )
        )
    out = list(base)
    for copy in range(1, scale):
        for sketch, start in base:
            clone = replace(
                sketch,
                code=f"{sketch.code}-X{copy}",
                partners=tuple(p for p in sketch.partners if p[0] != "agency"),
            )
            out.append((clone, start))
    return out


def _stable_quality(sketch: ProgrammeSketch, seed: int) -> float:
    digest = hashlib.sha256(f"{seed}:{sketch.code}".encode()).digest()
    if sketch.code in NAMED_CODES:
        return sketch.quality
    return 0.72 + digest[0] / 255 * 0.5


def _programmes(b: _Builder, adopted: dict[str, list[str]]) -> None:
    origin_for = {
        "P-BPA-01": adopted.get("environment0", []),
        "P-KSD-01": adopted.get("social_economy6", []),
        "P-KIBO-01": adopted.get("startup4", []),
    }
    bad_kinds = (
        "not_owner",
        "value_out_of_range",
        "duplicate",
        "malformed_json",
        "unknown_program",
    )
    bad_count = 0
    reported = 0
    for sketch, start in _sketches(b.scale):
        quality = _stable_quality(sketch, b.seed)
        quarters = _quarters(Quarter.containing(start), LAST_QUARTER)
        scale_of = {m: b.rng.uniform(0.5, 1.8) for m in sketch.metrics}
        targets = []
        for i, q in enumerate(quarters):
            for metric in sketch.metrics:
                base = BASE_TARGET[metric] * scale_of[metric] * (1 + 0.04 * i)
                targets.append({"metric": metric, "quarter": str(q), "value": _value(metric, base)})
        registered = datetime.combine(start, datetime.min.time(), UTC) - timedelta(
            days=b.rng.uniform(10, 30)
        )
        registered = max(registered, PLAN_DECLARED + timedelta(days=3))
        submission = {
            "schema_version": 1,
            "kind": "program.register",
            "submission_id": b.sid(sketch.agency),
            "agency": sketch.agency,
            "submitted_at": registered.isoformat(),
            "program_code": sketch.code,
            "task_code": sketch.task,
            "title_ko": sketch.title_ko,
            "title_en": sketch.title_en,
            "budget_krw": sketch.budget_krw,
            "starts_on": start.isoformat(),
            "ends_on": "2021-12-31",
            "targets": targets,
            "origin_proposals": origin_for.get(sketch.code, [])[:1],
        }
        b.add(registered, "submission", agency=sketch.agency, submission=submission)
        for kind, name in sketch.partners:
            joined = (
                b.day(registered, 60, 200)
                if name != "BNK"
                else datetime(2019, 9, 2, 10, tzinfo=UTC)
            )
            b.add(
                joined,
                "submission",
                agency=sketch.agency,
                submission={
                    "schema_version": 1,
                    "kind": "program.partner",
                    "submission_id": b.sid(sketch.agency),
                    "agency": sketch.agency,
                    "submitted_at": joined.isoformat(),
                    "program_code": sketch.code,
                    "partner": {
                        "kind": kind,
                        "name": name,
                        "code": name if kind == "agency" else None,
                    },
                },
            )
        suspended = sketch.code == "P-KAMCO-01"
        for i, q in enumerate(quarters):
            if suspended and Quarter(2020, 2) <= q <= Quarter(2020, 3):
                continue  # no job fair during the pandemic suspension
            trend = 1 + 0.03 * i * (1 if quality > 1 else -0.5)
            for metric in sketch.metrics:
                target = BASE_TARGET[metric] * scale_of[metric] * (1 + 0.04 * i)
                amount = target * quality * trend * b.rng.uniform(0.85, 1.15)
                late = b.rng.random() < 0.05
                sent = b.day(q.end, 100, 200) if late else b.day(q.end, 7, 40)
                report_id = f"{sketch.code}/{metric}/{q}"
                evidence = None
                if b.rng.random() < 0.75:
                    evidence = {
                        "uri": f"https://evidence.example/{sketch.agency}/{report_id}.pdf",
                        "sha256": hashlib.sha256(report_id.encode()).hexdigest(),
                    }
                report = {
                    "schema_version": 1,
                    "kind": "outcome.report",
                    "submission_id": b.sid(sketch.agency),
                    "agency": sketch.agency,
                    "submitted_at": sent.isoformat(),
                    "program_code": sketch.code,
                    "report_id": report_id,
                    "metric": metric,
                    "quarter": str(q),
                    "value": _value(metric, amount),
                    "evidence": evidence,
                }
                b.add(sent, "submission", agency=sketch.agency, submission=report)
                reported += 1
                if b.rng.random() < 0.04:
                    fixed = b.day(sent, 20, 90)
                    b.add(
                        fixed,
                        "submission",
                        agency=sketch.agency,
                        submission={
                            "schema_version": 1,
                            "kind": "outcome.correct",
                            "submission_id": b.sid(sketch.agency),
                            "agency": sketch.agency,
                            "submitted_at": fixed.isoformat(),
                            "program_code": sketch.code,
                            "report_id": f"{report_id}-c1",
                            "corrects": report_id,
                            "value": _value(metric, amount * b.rng.uniform(0.85, 1.1)),
                            "reason": b.rng.choice(
                                ("집계 오류 정정", "중복 집계 제외", "증빙 확인 후 수정")
                            ),
                            "evidence": evidence,
                        },
                    )
                if b.rng.random() < 0.02:
                    kind = bad_kinds[bad_count % len(bad_kinds)]
                    bad_count += 1
                    b.add(
                        b.day(sent, 0, 3),
                        "bad_submission",
                        agency=sketch.agency,
                        expect=kind,
                        submission=report,
                        other=("KSD" if sketch.agency != "KSD" else "KAMCO"),
                    )
        if suspended:
            b.add(
                datetime(2020, 3, 16, 9, tzinfo=UTC),
                "submission",
                agency=sketch.agency,
                submission={
                    "schema_version": 1,
                    "kind": "program.status",
                    "submission_id": b.sid(sketch.agency),
                    "agency": sketch.agency,
                    "submitted_at": "2020-03-16T09:00:00+00:00",
                    "program_code": sketch.code,
                    "status": "suspended",
                    "reason": "코로나19로 대면 행사 중단",
                },
            )
            b.add(
                datetime(2020, 10, 5, 9, tzinfo=UTC),
                "submission",
                agency=sketch.agency,
                submission={
                    "schema_version": 1,
                    "kind": "program.status",
                    "submission_id": b.sid(sketch.agency),
                    "agency": sketch.agency,
                    "submitted_at": "2020-10-05T09:00:00+00:00",
                    "program_code": sketch.code,
                    "status": "resumed",
                    "reason": "방역 지침에 따라 재개",
                },
            )


POLICY_V2_ADOPTED = datetime(2021, 9, 15, 10, tzinfo=UTC)
POLICY_V2_FROM = Quarter(2021, 3)
REGISTER_FROM = Quarter(2021, 2)
DECLINED = {("P-BPA-01", "KSD")}
"""The one partnership an agency declines: KSD, named a partner of the Plastic ZERO campaign."""
CIVIC_IDS = {"바다살리기 시민모임": "부산광역시 비영리민간단체 제2017-58호"}
OUTLIER = ("P-KSD-01", LAST_QUARTER, 8)
"""A report eight times what it would have been: the plausibility rules flag it."""
AUDITOR = "auditor:busan-audit"


def _trust(b: _Builder) -> None:
    """The acts of scores the consortium can trust, drawn from a random source of their own
    so every other act stays as it was: the council adopts policy v2 for 2021Q3 on; agencies
    answer when named partners (one declines); documents cited from 2021Q2 on are registered
    and some attested by another member or an auditor; a civic partner carries its
    registration number; and one report is an outlier."""
    rng = random.Random(b.seed * 31 + 15)
    b.add(POLICY_V2_ADOPTED, "policy.adopt", version=2, effective_from=str(POLICY_V2_FROM))
    others = ("KAMCO", "KIBO", "BPA", "HUG", "KOSPO", "KSD", "HF")
    for act in list(b.acts):
        if act.kind != "submission":
            continue
        submission = act.data["submission"]
        if submission["kind"] == "program.partner":
            partner = submission["partner"]
            if partner["kind"] != "agency":
                partner["code"] = partner["code"] or CIVIC_IDS.get(partner["name"])
                continue
            code = partner["code"]
            accept = (submission["program_code"], code) not in DECLINED
            at = act.at + timedelta(days=rng.uniform(2, 10))
            b.add(
                at,
                "submission",
                agency=code,
                submission={
                    "schema_version": 1,
                    "kind": "program.partner.answer",
                    "submission_id": b.sid(code),
                    "agency": code,
                    "submitted_at": at.replace(microsecond=0).isoformat(),
                    "program_code": submission["program_code"],
                    "accept": accept,
                    "reason": "" if accept else "당사 사업 영역과 맞지 않아 참여하지 않음",
                },
            )
        elif submission["kind"] == "outcome.report":
            quarter = Quarter.parse(submission["quarter"])
            code, metric = submission["program_code"], submission["metric"]
            if (code, quarter) == OUTLIER[:2] and metric == _first_metric(b, code):
                submission["value"] = _value(metric, float(submission["value"]) * OUTLIER[2])
            evidence = submission.get("evidence")
            if quarter < REGISTER_FROM or not evidence:
                continue
            agency = submission["agency"]
            b.add(
                act.at - timedelta(hours=2),
                "evidence.register",
                agency=agency,
                sha256=evidence["sha256"],
                size=rng.randint(40_000, 900_000),
                title=f"{submission['report_id']} 증빙",
            )
            if rng.random() < 0.4:
                attester = rng.choice([a for a in others if a != agency] + [AUDITOR] * 3)
                b.add(
                    act.at + timedelta(days=rng.uniform(1, 4)),
                    "evidence.attest",
                    sha256=evidence["sha256"],
                    attester=attester,
                )


def _first_metric(b: _Builder, code: str) -> str:
    for act in b.acts:
        if act.kind == "submission" and act.data["submission"].get("program_code") == code:
            registration = act.data["submission"]
            if registration["kind"] == "program.register":
                return str(registration["targets"][0]["metric"])
    return ""


def build_scenario(seed: int = 20181128, scale: int = 1) -> Scenario:
    if scale < 1:
        raise ValueError("scale must be 1 or more")
    b = _Builder(seed, scale)
    b.add(PLAN_DECLARED - timedelta(hours=1), "found")
    for agency in ("KAMCO", "KIBO", "BPA", "HUG", "KOSPO", "KSD", "HF"):
        b.add(PLAN_DECLARED, "key.register", agency=agency)
    joined = datetime.combine(EIGHTH_MEMBER_JOINS, datetime.min.time(), UTC)
    b.add(
        joined,
        "member.join",
        code="BNK",
        name_ko="BNK부산은행",
        name_en="BNK Busan Bank",
        joined_on=EIGHTH_MEMBER_JOINS.isoformat(),
    )
    b.add(joined + timedelta(hours=1), "key.register", agency="BNK")
    adopted = _proposals(b)
    _programmes(b, adopted)
    for q in _quarters(FIRST_QUARTER, LAST_QUARTER):
        review_day = q.end + timedelta(days=45)
        b.add(review_day, "review", quarter=str(q))
        b.add(review_day + timedelta(days=7), "council", quarter=str(q), meeting=f"협의회 {q}")
    _trust(b)
    return Scenario(seed, scale, sorted(b.acts))
