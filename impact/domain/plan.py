"""The Social Value Innovation Basic Plan: 4 strategies and 12 detailed tasks, revisable.

The 2018 declaration names the four strategies; it does not list the twelve tasks
by name, so the task titles below are the ledger's own rendering, three per
strategy, in the strategies' own words. A revision replaces the whole structure
and keeps the old one visible.
"""

from datetime import date, datetime
from uuid import UUID

from eventsourcing.domain import event
from pydantic import Field

from impact.domain.base import Aggregate, Model, natural_id
from impact.errors import UnknownTaskError


class Strategy(Model):
    code: str = Field(pattern=r"^S[0-9]{1,2}$")
    name_ko: str
    name_en: str


class Task(Model):
    code: str = Field(pattern=r"^S[0-9]{1,2}-T[0-9]{1,2}$")
    strategy: str
    name_ko: str
    name_en: str


class PlanVersion(Model):
    revision: int
    effective_on: date
    strategies: tuple[Strategy, ...]
    tasks: tuple[Task, ...]
    note: str = ""


DECLARED_ON = date(2018, 11, 28)

STRATEGIES_2018: tuple[Strategy, ...] = (
    Strategy(
        code="S1",
        name_ko="시민행복을 위한 일자리 지원 확대",
        name_en="More job support for citizens' happiness",
    ),
    Strategy(
        code="S2",
        name_ko="신성장동력 발굴을 위한 혁신성장 지원",
        name_en="Innovation-growth support for new growth engines",
    ),
    Strategy(
        code="S3",
        name_ko="지역경제 활성화를 위한 지역주도사업 지원",
        name_en="Locally led projects to revive the regional economy",
    ),
    Strategy(
        code="S4",
        name_ko="사회통합을 위한 상생협력 추진",
        name_en="Win-win cooperation for social integration",
    ),
)

TASKS_2018: tuple[Task, ...] = tuple(
    Task(code=code, strategy=code.split("-")[0], name_ko=ko, name_en=en)
    for code, ko, en in (
        ("S1-T1", "지역 인재 채용 확대", "Hiring more local talent"),
        ("S1-T2", "청년 일자리 및 직무 역량 지원", "Youth jobs and skills"),
        ("S1-T3", "취약계층 일자리 연계", "Jobs for vulnerable groups"),
        ("S2-T1", "혁신 창업기업 금융 지원", "Finance for innovative start-ups"),
        ("S2-T2", "에너지·금융 융합 신산업 육성", "New industries from energy-finance convergence"),
        ("S2-T3", "해양·항만 기술 혁신 지원", "Marine and port technology innovation"),
        (
            "S3-T1",
            "사회적경제기업 공공구매 확대",
            "Public purchasing from social-economy enterprises",
        ),
        ("S3-T2", "사회적경제 기금 조성", "A social-economy fund"),
        ("S3-T3", "지역 상권 및 도시재생 지원", "Local commerce and urban regeneration"),
        ("S4-T1", "주거 취약계층 지원", "Housing support for vulnerable households"),
        (
            "S4-T2",
            "건강한 환경 및 해양생태계 보호",
            "A healthy environment and the marine ecosystem",
        ),
        (
            "S4-T3",
            "시민 참여와 지역 공동체 상생",
            "Citizen participation and community cooperation",
        ),
    )
)


class Plan(Aggregate):
    """The plan, declared once and revised by events; every version stays readable."""

    kind = "plan"

    class Declared(Aggregate.Created):
        title_ko: str
        title_en: str
        effective_on: date
        strategies: tuple[Strategy, ...]
        tasks: tuple[Task, ...]

    class Revised(Aggregate.Event):
        effective_on: date
        strategies: tuple[Strategy, ...]
        tasks: tuple[Task, ...]
        note: str

    @staticmethod
    def create_id(**_: object) -> UUID:
        return natural_id("plan", "social-value-innovation-2018")

    @event(Declared)
    def __init__(
        self,
        title_ko: str,
        title_en: str,
        effective_on: date,
        strategies: tuple[Strategy, ...],
        tasks: tuple[Task, ...],
        occurred_at: datetime,
        actor: str,
    ) -> None:
        self.title_ko = title_ko
        self.title_en = title_en
        self.versions: list[PlanVersion] = [
            PlanVersion(revision=1, effective_on=effective_on, strategies=strategies, tasks=tasks)
        ]

    @classmethod
    def declare(
        cls,
        title_ko: str,
        title_en: str,
        effective_on: date,
        strategies: tuple[Strategy, ...],
        tasks: tuple[Task, ...],
        occurred_at: datetime,
        actor: str,
    ) -> "Plan":
        """Declare a plan whose tasks each belong to one of its strategies."""
        cls.check_structure(strategies, tasks)
        return cls(
            title_ko=title_ko,
            title_en=title_en,
            effective_on=effective_on,
            strategies=strategies,
            tasks=tasks,
            occurred_at=occurred_at,
            actor=actor,
        )

    @classmethod
    def declare_2018(cls, occurred_at: datetime, actor: str) -> "Plan":
        """The Social Value Innovation Basic Plan as the declaration of 28 November 2018 set it."""
        return cls.declare(
            title_ko="사회적 가치 혁신사업 기본계획",
            title_en="Social Value Innovation Basic Plan",
            effective_on=DECLARED_ON,
            strategies=STRATEGIES_2018,
            tasks=TASKS_2018,
            occurred_at=occurred_at,
            actor=actor,
        )

    @classmethod
    def check_structure(cls, strategies: tuple[Strategy, ...], tasks: tuple[Task, ...]) -> None:
        codes = {s.code for s in strategies}
        for task in tasks:
            if task.strategy not in codes:
                raise UnknownTaskError(
                    f"task {task.code} names strategy {task.strategy}, which the plan lacks"
                )
        if len({t.code for t in tasks}) != len(tasks):
            raise UnknownTaskError("task codes in a plan must be unique")

    def revise(
        self,
        effective_on: date,
        strategies: tuple[Strategy, ...],
        tasks: tuple[Task, ...],
        note: str,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        self.check_structure(strategies, tasks)
        self._revised(
            effective_on=effective_on,
            strategies=strategies,
            tasks=tasks,
            note=note,
            occurred_at=occurred_at,
            actor=actor,
        )

    @event(Revised)
    def _revised(
        self,
        effective_on: date,
        strategies: tuple[Strategy, ...],
        tasks: tuple[Task, ...],
        note: str,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        self.versions.append(
            PlanVersion(
                revision=len(self.versions) + 1,
                effective_on=effective_on,
                strategies=strategies,
                tasks=tasks,
                note=note,
            )
        )

    def version_on(self, day: date) -> PlanVersion:
        effective = [v for v in self.versions if v.effective_on <= day]
        return effective[-1] if effective else self.versions[0]

    def task(self, code: str, on: date) -> Task:
        version = self.version_on(on)
        for task in version.tasks:
            if task.code == code:
                return task
        known = ", ".join(t.code for t in version.tasks)
        raise UnknownTaskError(
            f"task {code} is not in plan revision {version.revision} (tasks: {known})"
        )
