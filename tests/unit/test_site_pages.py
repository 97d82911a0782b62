"""The public site's pages, written from data given by hand: a proposal that became a
programme promoted to a joint project, one merged into it and one not adopted."""

from datetime import UTC, datetime
from decimal import Decimal

from impact.site.data import Programme, Proposal, SiteData
from impact.site.render import write_site


def proposal(code: str, stage: str, **more: object) -> Proposal:
    fields: dict[str, object] = {
        "code": code,
        "title": f"해변 정화 {code}",
        "channel": "website",
        "category": "environment",
        "submitted_at": datetime(2018, 10, 21, 22, 2, tzinfo=UTC),  # 10-22 in Busan
        "reviewed_at": datetime(2018, 11, 1, tzinfo=UTC),
        "adopted_at": None,
        "task_code": "",
        "stage": stage,
        "rejection_reason": "",
        "merged_into": "",
        "programmes": [],
        "joint_projects": [],
    }
    return Proposal(**{**fields, **more})  # type: ignore[arg-type]


def site_data() -> SiteData:
    programme = Programme(
        code="P-BPA-01",
        agency="BPA",
        task_code="S4-T2",
        strategy="S4",
        title_ko="플라스틱 ZERO 캠페인",
        title_en="Plastic ZERO campaign",
        status="active",
        promoted_quarter="2020Q2",
        agencies=["BPA", "KOSPO"],
        origin_proposals=["C-2018-0001"],
        metrics={
            "plastic_collected_kg": [
                ("2019Q1", Decimal(5000), Decimal("6150.5")),
                ("2019Q2", Decimal(5500), Decimal(4000)),
                ("2019Q3", Decimal(6000), None),
            ]
        },
        decisions=[
            {
                "quarter": "2020Q2",
                "program_code": "P-BPA-01",
                "decision": "promote",
                "reason": "목표 초과 달성",
                "occurred_at": datetime(2020, 8, 1, tzinfo=UTC),
            }
        ],
    )
    adopted = proposal(
        "C-2018-0001",
        "joint_project",
        adopted_at=datetime(2018, 11, 28, tzinfo=UTC),
        task_code="S4-T2",
        programmes=["P-BPA-01"],
        joint_projects=["P-BPA-01"],
        merged_here=["C-2018-0013"],
        strategies=["S4"],
        agencies=["BPA", "KOSPO"],
        review_score=Decimal("91.5"),
    )
    merged = proposal("C-2018-0013", "merged", merged_into="C-2018-0001")
    rejected = proposal("C-2018-0002", "rejected", rejection_reason="기관 역할 밖의 사업")
    names = {
        "BPA": {"ko": "부산항만공사", "en": "Busan Port Authority"},
        "KOSPO": {"ko": "한국남부발전", "en": "Korea Southern Power"},
        "S4": {"ko": "상생협력", "en": "Win-win cooperation"},
        "plastic_collected_kg": {"ko": "플라스틱 수거량", "en": "Plastic collected", "unit": "kg"},
    }
    return SiteData([adopted, merged, rejected], {"P-BPA-01": programme}, names)


def test_a_proposal_page_follows_it_to_the_joint_project_it_became(tmp_path):
    pages = write_site(site_data(), tmp_path)
    assert pages == {"index": 1, "proposals": 3, "programmes": 1, "filters": 6}
    page = (tmp_path / "proposals" / "C-2018-0001.html").read_text(encoding="utf-8")
    assert "2018-10-22" in page, "dates are Busan's"
    assert "평균 점수" in page and "91.5" in page
    assert 'href="../programmes/P-BPA-01.html"' in page and "2020Q2 공동사업 승격" in page
    assert 'href="C-2018-0013.html"' in page, "the proposal merged into it is linked"
    merged = (tmp_path / "proposals" / "C-2018-0013.html").read_text(encoding="utf-8")
    assert 'href="C-2018-0001.html"' in merged and "Merged into C-2018-0001" in merged
    rejected = (tmp_path / "proposals" / "C-2018-0002.html").read_text(encoding="utf-8")
    assert "기관 역할 밖의 사업" in rejected and "Not adopted" in rejected


def test_a_programme_page_charts_outcomes_against_targets_with_a_table_beside(tmp_path):
    write_site(site_data(), tmp_path)
    page = (tmp_path / "programmes" / "P-BPA-01.html").read_text(encoding="utf-8")
    assert '<svg class="chart outcome-chart"' in page and 'role="img"' in page
    assert 'aria-label="P-BPA-01 플라스틱 수거량 Plastic collected' in page
    assert '<td class="num">6,150.5</td>' in page and "123%" in page and "73%" in page
    chart = page.split("outcome-chart")[1].split("</svg>")[0]
    assert ">Q1<" in chart and ">Q2<" in chart
    assert ">Q3<" not in chart, "the chart stops at the last quarter reported; the table goes on"
    assert "목표 초과 달성" in page and "공동사업 승격" in page
    assert "부산항만공사" in page and "한국남부발전" in page


def test_the_index_lists_filters_as_links_that_work_without_script(tmp_path):
    write_site(site_data(), tmp_path)
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    for link in ("status/rejected.html", "strategy/S4.html", "agency/KOSPO.html"):
        assert f'href="{link}"' in index and (tmp_path / link).is_file()
    assert '<form class="filter" hidden' in index, "shown by the script only"
    only = (tmp_path / "status" / "rejected.html").read_text(encoding="utf-8")
    assert "C-2018-0002" in only and "C-2018-0001.html" not in only
