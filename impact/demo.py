"""The main job: a year of the programme through the whole platform, and two quarterly reviews.

Citizens' proposals are submitted, reviewed, adopted (or rejected); the seven agencies
register eight programmes, two of them born from proposals, and report three quarters
of outcomes (most with evidence hashes, one corrected); partners join, one programme
is suspended. Every event is relayed to Kafka and loaded into ClickHouse by the
Dagster job; the review of 2019Q2 is recorded and the council promotes one programme
and defers another; then the review of 2019Q3 ranks the rest and the council's report
is written. Run twice, it resumes: what is already recorded is left as it is.
"""

import hashlib
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from rich.console import Console

from impact.bootstrap import build_ledger, build_sealer
from impact.domain.errors import (
    AlreadyExistsError,
    ProgramNotActiveError,
    ProposalAlreadyDecidedError,
    ReviewStateError,
)
from impact.domain.program import Evidence, Partner, Target
from impact.domain.proposal import ReviewComment
from impact.domain.quarter import Quarter
from impact.ledger import Ledger
from impact.privacy import PersonalData
from impact.settings import Settings

QUARTERS = (Quarter(2019, 1), Quarter(2019, 2), Quarter(2019, 3))
QUARTER = QUARTERS[-1]
DECIDED = QUARTERS[1]


def _at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def _evidence(program: str, metric: str, quarter: Quarter) -> Evidence:
    uri = f"https://evidence.busan-impact.example/{program}/{metric}/{quarter}.pdf"
    return Evidence(uri=uri, sha256=hashlib.sha256(uri.encode()).hexdigest())


# code, agency, task, ko, en, budget KRW, origin proposals, starts on,
# {metric: (targets per quarter or None, actuals per quarter)}, evidenced
PROGRAMS = (
    ("P-BPA-01", "BPA", "S4-T2", "플라스틱 ZERO 캠페인", "Plastic ZERO campaign", 120_000_000,
     ("C-2018-0001",), "2019-01-01",
     {"plastic_collected_kg": (("5000", "5500", "6000"), ("6150.5", "5900", "7200")),
      "volunteer_hours": (None, ("800", "950", "1200"))}, True),
    ("P-BPA-02", "BPA", "S4-T2", "해양쓰레기 수거선 운영", "Marine litter collection boat", 400_000_000,
     (), "2019-01-01",
     {"plastic_collected_kg": (("10000", "10000", "10000"), ("9000", "10400", "11000"))}, True),
    ("P-KAMCO-01", "KAMCO", "S1-T1", "7개 공공기관 합동 채용박람회", "Joint job fair of the seven",
     80_000_000, (), "2019-01-01",
     {"jobs_created": (("40", "40", "40"), ("31", "38", "45")),
      "local_hires": (None, ("20", "25", "30"))}, False),
    ("P-KIBO-01", "KIBO", "S2-T1", "청년 창업기업 금융지원", "Youth start-up finance", 2_000_000_000,
     (), "2019-01-01",
     {"startups_financed": (("25", "25", "30"), ("27", "26", "33")),
      "startup_finance_krw": (None, ("1900000000", "2000000000", "2600000000"))}, True),
    ("P-HUG-01", "HUG", "S4-T1", "주거취약계층 전세보증 지원", "Rental guarantees for vulnerable households",
     500_000_000, ("C-2019-0002",), "2019-01-01",
     {"vulnerable_beneficiaries": (("300", "300", "300"), ("280", "310", "355"))}, True),
    ("P-KOSPO-01", "KOSPO", "S2-T2", "에너지 협동조합 육성", "Energy co-operatives", 300_000_000,
     (), "2019-01-01",
     {"social_enterprises_supported": (("10", "10", "10"), ("8", "12", "14"))}, True),
    ("P-KSD-01", "KSD", "S3-T1", "사회적경제기업 공공구매", "Public purchasing from social enterprises",
     50_000_000, (), "2019-01-01",
     {"se_purchases_krw": (("300000000", "300000000", "300000000"),
                           ("250000000", "320000000", "410000000"))}, False),
    ("P-HF-01", "HF", "S1-T2", "청년 금융교육", "Financial education for young people", 60_000_000,
     (), "2019-04-01",
     {"youth_participants": ((None, "600", "700"), (None, "640", "690"))}, True),
)

PROPOSALS = (
    # code, title, text, category, task it is adopted into (None: rejected), proposer
    ("C-2018-0001", "해변 플라스틱 줍기 캠페인", "해양 생태계 보호를 위한 시민 참여 캠페인", "environment",
     "S4-T2", ("citizen-0001", "김부산")),
    ("C-2019-0002", "청년·신혼부부 전세 사기 예방 보증", "취약계층 전세보증 확대 제안", "housing",
     "S4-T1", ("citizen-0002", "이해운")),
    ("C-2019-0003", "광안리 야간 드론쇼 상설화", "관광 활성화 제안", "tourism", None, ("citizen-0003", "박광안")),
)


def _proposal_steps(ledger: Ledger, settings: Settings) -> list[Callable[[], object]]:
    steps: list[Callable[[], object]] = []
    for i, (code, title, text, category, task, (subject, name)) in enumerate(PROPOSALS):
        year = 2018 if i == 0 else 2019
        month = 10 if i == 0 else 1
        steps += [
            lambda c=code, t=title, x=text, g=category, s=subject, n=name, y=year, m=month:
                ledger.submit_proposal(
                    c, t, x, g, proposer=build_sealer(settings).seal(
                        s, PersonalData(name=n, contact=f"{s}@example.org")),
                    occurred_at=_at(f"{y}-{m:02d}-02T09:00:00")),
            lambda c=code, y=year, m=month: ledger.start_proposal_review(
                c, ("expert-panel-1",), actor="proposal-desk", occurred_at=_at(f"{y}-{m:02d}-20T09:00:00")),
            lambda c=code, y=year, m=month, t=task: ledger.record_proposal_review(
                c, {"feasibility": Decimal(85 if t else 40), "impact": Decimal(90 if t else 35)},
                (ReviewComment(reviewer="expert-panel-1",
                               comment="시민 참여형, 확산 가능성 높음" if t else "공공기관 역할과 거리가 멂"),),
                actor="proposal-desk", occurred_at=_at(f"{y}-{m + 1:02d}-20T09:00:00")),
            (lambda c=code, t=task, y=year, m=month: ledger.adopt_proposal(
                c, t, actor="proposal-desk", occurred_at=_at(f"{y}-{m + 1:02d}-28T10:00:00")))
            if task else
            (lambda c=code, y=year, m=month: ledger.reject_proposal(
                c, "공공기관 협업 범위 밖", actor="proposal-desk", occurred_at=_at(f"{y}-{m + 1:02d}-28T10:00:00"))),
        ]
    return steps


def _programme_steps(ledger: Ledger) -> list[Callable[[], object]]:
    steps: list[Callable[[], object]] = []
    report_days = {q: _at(f"{q.next().first_day.isoformat()}T09:00:00") + timedelta(days=9) for q in QUARTERS}
    for code, agency, task, ko, en, budget, origin, starts, metrics, evidenced in PROGRAMS:
        targets = tuple(
            Target(metric=m, quarter=str(q), value=Decimal(v))
            for m, (values, _) in metrics.items() if values
            for q, v in zip(QUARTERS, values, strict=True) if v is not None
        )
        steps.append(lambda c=code, a=agency, t=task, k=ko, e=en, b=budget, o=origin, s=starts, tg=targets:
                     ledger.register_program(
                         c, a, t, k, e, b, date.fromisoformat(s), date(2021, 12, 31), tg, o,
                         occurred_at=_at("2018-12-15T09:00:00") if s < "2019-04" else _at("2019-03-20T09:00:00")))
        for metric, (_, actuals) in metrics.items():
            for q, value in zip(QUARTERS, actuals, strict=True):
                if value is None:
                    continue
                steps.append(lambda c=code, a=agency, m=metric, q=q, v=value, ev=evidenced:
                             ledger.report_outcome(
                                 c, a, f"{c}/{m}/{q}", m, str(q), Decimal(v),
                                 evidence=_evidence(c, m, q) if ev else None,
                                 occurred_at=report_days[q]))
    steps += [
        lambda: ledger.correct_outcome(
            "P-KIBO-01", "KIBO", "P-KIBO-01/startups_financed/2019Q2#c1",
            "P-KIBO-01/startups_financed/2019Q2", Decimal(24), "두 건이 2019Q3 보증으로 재분류됨",
            evidence=_evidence("P-KIBO-01", "startups_financed-corrected", QUARTERS[1]),
            occurred_at=_at("2019-07-25T09:00:00")),
        lambda: ledger.join_partner("P-BPA-01", "BPA", Partner(kind="civic", name="부산환경운동연합"),
                                    occurred_at=_at("2019-02-01T09:00:00")),
        lambda: ledger.join_partner("P-BPA-01", "BPA", Partner(kind="agency", name="한국남부발전", code="KOSPO"),
                                    occurred_at=_at("2019-05-01T09:00:00")),
        lambda: ledger.join_partner("P-KAMCO-01", "KAMCO", Partner(kind="public", name="부산상공회의소"),
                                    occurred_at=_at("2019-02-01T09:00:00")),
        lambda: ledger.join_partner("P-HUG-01", "HUG", Partner(kind="agency", name="한국주택금융공사", code="HF"),
                                    occurred_at=_at("2019-03-01T09:00:00")),
        lambda: ledger.change_status("P-KOSPO-01", "KOSPO", "suspended", "안전 점검으로 일시 중단",
                                     occurred_at=_at("2019-08-16T09:00:00")),
    ]
    return steps


def record_scenario(ledger: Ledger, settings: Settings) -> int:
    """Record the scenario's facts; returns how many steps were new (0: all already there)."""
    new = 0
    if ledger.found():
        new += 1
    for step in [*_proposal_steps(ledger, settings), *_programme_steps(ledger)]:
        try:
            step()
            new += 1
        except (AlreadyExistsError, ProposalAlreadyDecidedError, ReviewStateError, ProgramNotActiveError):
            pass
    return new


def council_decides(ledger: Ledger) -> None:
    """The council meets after the review of 2019Q2: one promotion, one deferral."""
    if ledger.decisions_of(str(DECIDED)):
        return
    ledger.decide(str(DECIDED), "P-BPA-01", "promote",
                  "목표 초과 달성과 시민 참여 확산 · targets beaten, citizens joined in",
                  "council-2019-07", occurred_at=_at("2019-07-30T15:00:00"))
    ledger.decide(str(DECIDED), "P-KIBO-01", "defer",
                  "2019Q2 실적 정정 확인 후 재심 · review again once the correction is confirmed",
                  "council-2019-07", occurred_at=_at("2019-07-30T15:00:00"))


def run_demo(settings: Settings, out: Console) -> None:
    from impact.cli import _ranking_table
    from impact.orchestration.run import partition_key_of, run_review
    from impact.projections.scoring import programme_titles, review_quarter
    from impact.projections.store import ProjectionStore

    ledger = build_ledger(settings)
    with out.status("recording the scenario in the event store"):
        new = record_scenario(ledger, settings)
    out.print("started clean: recorded the scenario" if new else "resumed: the scenario was already recorded")
    with out.status(f"reviewing {DECIDED} (Dagster, in-process: relay, load, score, record)"):
        run_review(settings, partition_key_of(DECIDED))
    council_decides(ledger)
    out.print(f"the council decided on {DECIDED}: P-BPA-01 promoted to a joint project, P-KIBO-01 deferred")
    with out.status(f"reviewing {QUARTER} and writing the council's report"):
        result = run_review(settings, partition_key_of(QUARTER), report=True)
    meta = {k: v.value for k, v in result.asset_materializations_for_node("quarterly_scores")[0].metadata.items()}
    report = result.asset_materializations_for_node("council_report")[0].metadata["path"].value
    store = ProjectionStore(settings)
    review = review_quarter(store, QUARTER, as_of=datetime.fromisoformat(str(meta["as_of"])))
    out.print(_ranking_table(review, programme_titles(store)))
    out.print(f"inputs digest {review.inputs_digest} · "
              + ("recorded as a review event" if meta["recorded"] else "unchanged since recorded"))
    out.print(f"council report: {report}")
