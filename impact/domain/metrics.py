"""The metric catalogue: what programmes report, in which unit, and which way is better.

The catalogue is versioned data. A report names a metric by code; its value must be
finite and within the metric's range.
"""

from decimal import Decimal
from typing import Literal

from pydantic import Field

from impact.domain.base import Model
from impact.errors import UnknownMetricError, ValueOutOfRangeError

Aggregation = Literal["sum", "mean", "last"]
Direction = Literal["higher", "lower"]


class Metric(Model):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,63}$")
    name_ko: str
    name_en: str
    unit: str
    aggregation: Aggregation = "sum"
    better: Direction = "higher"
    strategy: str
    sdgs: tuple[int, ...] = ()
    minimum: Decimal = Decimal(0)
    maximum: Decimal
    reach: bool = Field(default=False, description="Counts people reached (ripple: reach).")
    spillover: bool = Field(default=False, description="Benefits beyond the programme itself.")


class MetricCatalogue(Model):
    version: int
    metrics: tuple[Metric, ...]

    def metric(self, code: str) -> Metric:
        for metric in self.metrics:
            if metric.code == code:
                return metric
        raise UnknownMetricError(
            f"metric {code!r} is not in catalogue v{self.version}; "
            f"known: {', '.join(m.code for m in self.metrics)}"
        )

    def check_value(self, code: str, value: Decimal) -> Metric:
        metric = self.metric(code)
        if not value.is_finite():
            raise ValueOutOfRangeError(f"{code}: {value} is not a finite number")
        if not metric.minimum <= value <= metric.maximum:
            raise ValueOutOfRangeError(
                f"{code}: {value} {metric.unit} is outside [{metric.minimum}, {metric.maximum}]"
            )
        return metric


def _m(code: str, ko: str, en: str, unit: str, strategy: str, maximum: int, **kw: object) -> Metric:
    return Metric(
        code=code,
        name_ko=ko,
        name_en=en,
        unit=unit,
        strategy=strategy,
        maximum=Decimal(maximum),
        **kw,  # type: ignore[arg-type]
    )


CATALOGUE_V1 = MetricCatalogue(
    version=1,
    metrics=(
        _m(
            "jobs_created",
            "일자리 창출",
            "Jobs created",
            "people",
            "S1",
            100_000,
            sdgs=(8,),
            reach=True,
        ),
        _m("local_hires", "지역인재 채용", "Local hires", "people", "S1", 100_000, sdgs=(8, 10)),
        _m(
            "youth_participants",
            "청년 참여자",
            "Youth participants",
            "people",
            "S1",
            1_000_000,
            sdgs=(4, 8),
            reach=True,
        ),
        _m(
            "startups_financed",
            "창업기업 금융지원",
            "Start-ups financed",
            "companies",
            "S2",
            100_000,
            sdgs=(8, 9),
        ),
        _m(
            "startup_finance_krw",
            "창업기업 지원금액",
            "Start-up finance",
            "KRW",
            "S2",
            10**13,
            sdgs=(8, 9),
            spillover=True,
        ),
        _m(
            "se_purchases_krw",
            "사회적경제기업 구매액",
            "Purchases from social-economy enterprises",
            "KRW",
            "S3",
            10**13,
            sdgs=(12,),
            spillover=True,
        ),
        _m(
            "social_enterprises_supported",
            "사회적경제기업 지원",
            "Social enterprises supported",
            "companies",
            "S3",
            100_000,
            sdgs=(8, 17),
            spillover=True,
        ),
        _m(
            "vulnerable_beneficiaries",
            "취약계층 수혜자",
            "Vulnerable beneficiaries",
            "people",
            "S4",
            10_000_000,
            sdgs=(1, 10),
            reach=True,
        ),
        _m(
            "volunteer_hours",
            "봉사 시간",
            "Volunteer hours",
            "hours",
            "S4",
            10_000_000,
            sdgs=(17,),
            spillover=True,
        ),
        _m(
            "plastic_collected_kg",
            "플라스틱 수거량",
            "Plastic collected",
            "kg",
            "S4",
            10**9,
            sdgs=(12, 14),
        ),
        _m("budget_spent_krw", "집행 예산", "Budget spent", "KRW", "S3", 10**13, better="lower"),
        _m(
            "participant_satisfaction",
            "참여자 만족도",
            "Participant satisfaction",
            "points of 100",
            "S4",
            100,
            aggregation="mean",
        ),
    ),
)

CATALOGUES: dict[int, MetricCatalogue] = {1: CATALOGUE_V1}
CURRENT_CATALOGUE = CATALOGUE_V1
