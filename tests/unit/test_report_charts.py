"""The council report's ranking chart names each programme, not only its code."""

from decimal import Decimal

from impact.report.charts import ranking_chart, shorten, text_width


def test_the_ranking_chart_labels_programmes_by_code_and_name():
    svg = ranking_chart(
        [
            ("1. P-BPA-01 플라스틱 ZERO 캠페인", Decimal("73.23"), True),
            (
                "2. P-KAMCO-02 사회적경제기업 공공구매 활성화 교육 및 판로 개척 지원",
                Decimal("51.9"),
                False,
            ),
        ],
        "ranking",
    )
    assert "1. P-BPA-01 플라스틱 ZERO 캠페인" in svg
    assert "2. P-KAMCO-02 사회적경제기업" in svg and "…" in svg, "a long name is cut, not spilled"
    width = int(svg.split('width="')[1].split('"')[0])
    assert 230 + 360 + 70 <= width <= 420 + 360 + 70


def test_labels_are_measured_with_hangul_as_wide_characters():
    assert text_width("가나") == 24 and abs(text_width("ab") - 14.4) < 1e-9
    assert shorten("가나다라마", 40) == "가나…"
    assert shorten("P-BPA-01", 200) == "P-BPA-01"
