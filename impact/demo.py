"""The main job, in its first form: a thin slice of the programme through the whole platform.

A citizen's proposal is submitted, reviewed and adopted; three agencies register
programmes (one born from the proposal) and report a quarter's outcomes; every
event is relayed to Kafka, loaded into ClickHouse by the Dagster job, and the
quarter's review ranks them. Run twice, it resumes: what is already recorded is
left as it is.
"""

from datetime import UTC, date, datetime
from decimal import Decimal

from rich.console import Console

from impact.bootstrap import build_ledger, build_sealer
from impact.domain.errors import AlreadyExistsError, ProposalAlreadyDecidedError, ReviewStateError
from impact.domain.program import Target
from impact.domain.proposal import ReviewComment
from impact.domain.quarter import Quarter
from impact.domain.scoring import POLICIES
from impact.ledger import Ledger
from impact.privacy import PersonalData
from impact.settings import Settings

QUARTER = Quarter(2019, 1)


def _at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


PROGRAMS = (
    # code, agency, task, ko, en, budget, origin, metric, target, actual
    ("P-BPA-01", "BPA", "S4-T2", "플라스틱 ZERO 캠페인", "Plastic ZERO campaign", 120_000_000,
     ("C-2018-0001",), "plastic_collected_kg", "5000", "6150.5"),
    ("P-KAMCO-01", "KAMCO", "S1-T1", "7개 공공기관 합동 채용박람회", "Joint job fair of the seven", 80_000_000,
     (), "jobs_created", "40", "31"),
    ("P-KIBO-01", "KIBO", "S2-T1", "청년 창업기업 금융지원", "Youth start-up finance", 2_000_000_000,
     (), "startups_financed", "25", "27"),
)


def record_slice(ledger: Ledger, sealer_settings: Settings) -> int:
    """Record the slice's facts; returns how many steps were new (0: all already there)."""
    new = 0
    if ledger.found():
        new += 1
    steps = [
        lambda: ledger.submit_proposal(
            "C-2018-0001", "해변 플라스틱 줍기 캠페인", "해양 생태계 보호를 위한 시민 참여 캠페인",
            "environment", proposer=build_sealer(sealer_settings).seal(
                "citizen-0001", PersonalData(name="김부산", contact="citizen@example.org")),
            occurred_at=_at("2018-10-02T09:00:00"),
        ),
        lambda: ledger.start_proposal_review("C-2018-0001", ("expert-panel-1",), actor="proposal-desk",
                                             occurred_at=_at("2018-10-20T09:00:00")),
        lambda: ledger.record_proposal_review(
            "C-2018-0001", {"feasibility": Decimal(85), "impact": Decimal(90)},
            (ReviewComment(reviewer="expert-panel-1", comment="시민 참여형, 확산 가능성 높음"),),
            actor="proposal-desk", occurred_at=_at("2018-11-20T09:00:00")),
        lambda: ledger.adopt_proposal("C-2018-0001", "S4-T2", actor="proposal-desk",
                                      occurred_at=_at("2018-11-28T10:00:00")),
    ]
    for code, agency, task, ko, en, budget, origin, metric, target, actual in PROGRAMS:
        steps.append(lambda c=code, a=agency, t=task, k=ko, e=en, b=budget, o=origin, m=metric, tg=target:
                     ledger.register_program(
                         c, a, t, k, e, b, date(2019, 1, 1), date(2021, 12, 31),
                         (Target(metric=m, quarter=str(QUARTER), value=Decimal(tg)),), o,
                         occurred_at=_at("2018-12-15T09:00:00")))
        steps.append(lambda c=code, a=agency, m=metric, v=actual:
                     ledger.report_outcome(c, a, f"{c}/{m}/{QUARTER}", m, str(QUARTER), Decimal(v),
                                           occurred_at=_at("2019-04-10T09:00:00")))
    for step in steps:
        try:
            step()
            new += 1
        except (AlreadyExistsError, ProposalAlreadyDecidedError, ReviewStateError):
            pass
    return new


def run_demo(settings: Settings, out: Console) -> None:
    from impact.orchestration.run import run_review
    from impact.projections.ranking import rank_quarter
    from impact.projections.store import ProjectionStore
    from impact.cli import _ranking_table

    ledger = build_ledger(settings)
    with out.status("recording the slice in the event store"):
        new = record_slice(ledger, settings)
    out.print("started clean: recorded the slice" if new else "resumed: the slice was already recorded")
    with out.status("relaying to Kafka, loading ClickHouse, ranking (Dagster, in-process)"):
        run_review(settings, QUARTER.first_day.isoformat())
    rows = rank_quarter(ProjectionStore(settings), QUARTER, POLICIES[max(POLICIES)])
    out.print(_ranking_table(QUARTER, rows))
