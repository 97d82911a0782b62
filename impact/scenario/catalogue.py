"""The programmes of the scenario: the ones the 2018 declaration names, and the agencies' others.

Named programmes come from the declaration day (a Plastic ZERO campaign born from a
citizen proposal, the seven institutions' joint job fair, a social-economy flea
market of 57 enterprises, procurement training) and from what followed (youth
start-up finance, a social-economy fund that later members join). The rest are
typical programmes of each institution's field, three to five per agency.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class ProgrammeSketch:
    code: str
    agency: str
    task: str
    title_ko: str
    title_en: str
    metrics: tuple[str, ...]
    budget_krw: int
    quality: float  # how well it tends to meet its targets (1.0 = on target)
    from_proposal: bool = False
    partners: tuple[tuple[str, str], ...] = ()  # (kind, name)


NAMED: tuple[ProgrammeSketch, ...] = (
    ProgrammeSketch(
        "P-BPA-01",
        "BPA",
        "S4-T2",
        "플라스틱 ZERO 캠페인",
        "Plastic ZERO campaign",
        ("plastic_collected_kg", "volunteer_hours", "youth_participants"),
        450_000_000,
        1.22,
        True,
        (("agency", "KOSPO"), ("agency", "KSD"), ("civic", "바다살리기 시민모임")),
    ),
    ProgrammeSketch(
        "P-KAMCO-01",
        "KAMCO",
        "S1-T1",
        "7개 공공기관 합동 채용박람회",
        "Joint job fair of the seven institutions",
        ("jobs_created", "local_hires", "youth_participants"),
        300_000_000,
        1.12,
        False,
        (("agency", "KIBO"), ("agency", "HUG"), ("agency", "HF")),
    ),
    ProgrammeSketch(
        "P-KSD-01",
        "KSD",
        "S3-T1",
        "사회적경제기업 플리마켓",
        "Social-economy flea market",
        ("se_purchases_krw", "social_enterprises_supported"),
        120_000_000,
        1.08,
        True,
        (("enterprise", "부산 사회적경제기업 57곳"),),
    ),
    ProgrammeSketch(
        "P-KAMCO-02",
        "KAMCO",
        "S3-T1",
        "사회적경제기업 공공구매 활성화 교육",
        "Public procurement training for social-economy enterprises",
        ("se_purchases_krw", "participant_satisfaction"),
        60_000_000,
        0.97,
    ),
    ProgrammeSketch(
        "P-KIBO-01",
        "KIBO",
        "S2-T1",
        "청년 창업기업 금융지원",
        "Youth start-up finance",
        ("startups_financed", "startup_finance_krw", "jobs_created"),
        3_000_000_000,
        1.05,
        True,
    ),
    ProgrammeSketch(
        "P-HF-01",
        "HF",
        "S3-T2",
        "부산 사회적경제 기금",
        "Busan social-economy fund",
        ("social_enterprises_supported", "startup_finance_krw"),
        2_000_000_000,
        1.0,
        False,
        (("agency", "KAMCO"), ("agency", "BNK")),
    ),
)

FIELD_PROGRAMMES: dict[str, tuple[tuple[str, str, str, tuple[str, ...]], ...]] = {
    "KAMCO": (
        (
            "S3-T3",
            "전통시장 상권 재생",
            "Traditional market regeneration",
            ("se_purchases_krw", "jobs_created"),
        ),
        (
            "S4-T1",
            "취약계층 채무조정 상담",
            "Debt counselling for vulnerable households",
            ("vulnerable_beneficiaries", "participant_satisfaction"),
        ),
    ),
    "KIBO": (
        (
            "S2-T2",
            "에너지 기술 벤처 보증",
            "Guarantees for energy-tech ventures",
            ("startups_financed", "startup_finance_krw"),
        ),
        (
            "S1-T2",
            "청년 기술창업 인턴십",
            "Youth tech start-up internships",
            ("youth_participants", "jobs_created"),
        ),
        (
            "S2-T3",
            "해양 스타트업 액셀러레이팅",
            "Marine start-up acceleration",
            ("startups_financed", "jobs_created"),
        ),
    ),
    "BPA": (
        (
            "S2-T3",
            "스마트 항만 기술 실증",
            "Smart-port technology pilots",
            ("startups_financed", "jobs_created"),
        ),
        (
            "S1-T3",
            "항만 취약계층 일자리",
            "Port jobs for vulnerable groups",
            ("jobs_created", "vulnerable_beneficiaries"),
        ),
        (
            "S4-T3",
            "북항 시민 참여 프로그램",
            "North Port citizen programme",
            ("volunteer_hours", "participant_satisfaction"),
        ),
    ),
    "HUG": (
        (
            "S4-T1",
            "주거취약계층 임대보증 지원",
            "Rental guarantees for vulnerable households",
            ("vulnerable_beneficiaries", "budget_spent_krw"),
        ),
        (
            "S3-T3",
            "도시재생 주민 협동조합",
            "Urban-regeneration residents' cooperatives",
            ("social_enterprises_supported", "jobs_created"),
        ),
        (
            "S1-T1",
            "지역인재 채용 연계",
            "Local talent hiring",
            ("local_hires", "youth_participants"),
        ),
    ),
    "KOSPO": (
        (
            "S2-T2",
            "태양광 협동조합 육성",
            "Solar cooperatives",
            ("social_enterprises_supported", "startup_finance_krw"),
        ),
        (
            "S4-T1",
            "에너지 취약계층 효율 개선",
            "Energy efficiency for vulnerable homes",
            ("vulnerable_beneficiaries", "budget_spent_krw"),
        ),
        (
            "S1-T2",
            "발전소 청년 직무교육",
            "Youth training at power plants",
            ("youth_participants", "local_hires"),
        ),
    ),
    "KSD": (
        (
            "S4-T3",
            "금융교육 나눔",
            "Financial literacy for citizens",
            ("youth_participants", "volunteer_hours"),
        ),
        (
            "S3-T2",
            "사회적 금융 중개",
            "Social finance brokerage",
            ("social_enterprises_supported", "startup_finance_krw"),
        ),
        (
            "S1-T3",
            "장애인 고용 연계",
            "Jobs for people with disabilities",
            ("jobs_created", "vulnerable_beneficiaries"),
        ),
    ),
    "HF": (
        (
            "S4-T1",
            "청년·신혼부부 주거 금융",
            "Housing finance for young couples",
            ("vulnerable_beneficiaries", "participant_satisfaction"),
        ),
        (
            "S1-T2",
            "주택금융 청년 인턴",
            "Housing-finance youth internships",
            ("youth_participants", "local_hires"),
        ),
        (
            "S4-T3",
            "노인 돌봄 자원봉사",
            "Volunteer care for the elderly",
            ("volunteer_hours", "vulnerable_beneficiaries"),
        ),
    ),
    "BNK": (
        (
            "S3-T2",
            "지역 사회적기업 금융 지원",
            "Finance for local social enterprises",
            ("social_enterprises_supported", "startup_finance_krw"),
        ),
    ),
}

# Typical quarterly target of each metric for a mid-sized programme.
BASE_TARGET: dict[str, int] = {
    "jobs_created": 40,
    "local_hires": 25,
    "youth_participants": 300,
    "startups_financed": 12,
    "startup_finance_krw": 1_500_000_000,
    "se_purchases_krw": 250_000_000,
    "social_enterprises_supported": 20,
    "vulnerable_beneficiaries": 800,
    "volunteer_hours": 2_500,
    "plastic_collected_kg": 6_000,
    "budget_spent_krw": 80_000_000,
    "participant_satisfaction": 85,
}

PROPOSAL_TOPICS: tuple[tuple[str, str, str], ...] = (
    ("environment", "해변 플라스틱 줍기 캠페인", "바다와 해변의 플라스틱을 시민이 함께 수거하자"),
    ("environment", "일회용품 없는 공공기관", "기관 행사와 식당에서 일회용품을 없애자"),
    ("jobs", "공공기관 합동 채용박람회", "부산 청년을 위한 합동 채용 행사를 열자"),
    ("jobs", "지역 청년 인턴십 확대", "지역 대학생에게 공공기관 인턴 기회를"),
    ("startup", "청년 창업 보증 확대", "아이디어만 있는 청년 창업가도 금융 지원을"),
    ("startup", "해양 스타트업 지원", "항만과 해양 기술 창업을 돕자"),
    ("social_economy", "사회적경제기업 장터", "사회적경제기업 제품을 시민이 살 수 있는 장터"),
    ("social_economy", "공공구매 교육", "사회적경제기업이 공공조달에 참여하도록 교육"),
    ("housing", "청년 주거 지원", "청년과 신혼부부의 주거비 부담을 줄이자"),
    ("welfare", "어르신 돌봄 봉사", "홀로 사는 어르신을 찾아가는 봉사"),
    ("energy", "에너지 취약계층 지원", "겨울철 난방비 부담이 큰 가구 지원"),
    ("community", "북항 시민 공간", "재개발되는 북항에 시민 참여 공간을"),
)
