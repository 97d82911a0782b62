"""The council opens the quarter's report from disk in a real browser and sees the candidates.

Needs Debian's ``chromium`` and ``fonts-noto-cjk`` (``infra/report-deps.sh`` installs them).
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

# Injected into a copy of the report only: the report itself carries no script. It asks the
# layout engine how big the top candidate's trend chart was drawn.
PROBE = """<script>
  const chart = document.querySelector('section.candidate svg.trend-chart');
  const box = chart.getBoundingClientRect();
  document.body.setAttribute('data-trend-chart', Math.round(box.width) + 'x' + Math.round(box.height));
</script></body>"""


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    if CHROMIUM is None:
        pytest.fail(
            "chromium is not installed: run infra/report-deps.sh (Debian chromium, fonts-noto-cjk)"
        )
    profile = tmp_path / "chromium-profile"
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def record_two_quarters(run) -> None:
    run("init")
    run(
        "proposal",
        "submit",
        "--code",
        "C-2018-0001",
        "--title",
        "해변 플라스틱 줍기",
        "--proposer-name",
        "김부산",
        "--occurred-at",
        "2018-10-02",
    )
    run(
        "proposal",
        "start-review",
        "C-2018-0001",
        "--panel",
        "expert-1",
        "--occurred-at",
        "2018-10-20",
    )
    run("proposal", "review", "C-2018-0001", "--score", "impact=90", "--occurred-at", "2018-11-20")
    run("proposal", "adopt", "C-2018-0001", "--task", "S4-T2", "--occurred-at", "2018-11-28")
    run(
        "program",
        "register",
        "--code",
        "P-BPA-01",
        "--agency",
        "BPA",
        "--task",
        "S4-T2",
        "--title-ko",
        "플라스틱 ZERO 캠페인",
        "--title-en",
        "Plastic ZERO campaign",
        "--budget-krw",
        "120000000",
        "--starts-on",
        "2019-01-01",
        "--target",
        "plastic_collected_kg:2019Q1:5000",
        "--target",
        "plastic_collected_kg:2019Q2:5500",
        "--origin",
        "C-2018-0001",
        "--occurred-at",
        "2018-12-15",
    )
    run(
        "program",
        "register",
        "--code",
        "P-KAMCO-01",
        "--agency",
        "KAMCO",
        "--task",
        "S1-T1",
        "--title-ko",
        "합동 채용박람회",
        "--title-en",
        "Joint job fair",
        "--budget-krw",
        "80000000",
        "--starts-on",
        "2019-01-01",
        "--target",
        "jobs_created:2019Q1:40",
        "--target",
        "jobs_created:2019Q2:40",
        "--occurred-at",
        "2018-12-15",
    )
    sha = "ab" * 32
    for quarter, plastic, jobs, day in (
        ("2019Q1", "6150.5", "31", "2019-04-10"),
        ("2019Q2", "6900", "35", "2019-07-10"),
    ):
        run(
            "program",
            "report",
            "--program",
            "P-BPA-01",
            "--agency",
            "BPA",
            "--metric",
            "plastic_collected_kg",
            "--quarter",
            quarter,
            "--value",
            plastic,
            "--evidence-uri",
            f"https://evidence.example/busan/{quarter}.pdf",
            "--evidence-sha256",
            sha,
            "--occurred-at",
            day,
        )
        run(
            "program",
            "report",
            "--program",
            "P-KAMCO-01",
            "--agency",
            "KAMCO",
            "--metric",
            "jobs_created",
            "--quarter",
            quarter,
            "--value",
            jobs,
            "--occurred-at",
            day,
        )


def test_the_council_sees_the_top_candidate_with_its_charts_in_korean_and_english(run, tmp_path):
    record_two_quarters(run)
    run("review", "2019Q1")
    run(
        "council",
        "decide",
        "2019Q1",
        "P-KAMCO-01",
        "--defer",
        "--reason",
        "다음 분기 재심 · next quarter",
        "--meeting",
        "council-2019-04",
    )
    ranking = json.loads(run("review", "2019Q2", "--json").stdout)
    top = ranking["ranking"][0]
    report = tmp_path / "report.html"
    run("report", "2019Q2", "--out", str(report))

    html = report.read_text(encoding="utf-8")
    assert "<script" not in html and not re.search(r"(src|href)=\"?(https?:)?//", html), (
        "self-contained"
    )
    assert "http://" not in html and "https://" not in html

    probed = tmp_path / "probed.html"
    probed.write_text(html.replace("</body>", PROBE), encoding="utf-8")
    dom = chromium(tmp_path, "--dump-dom", probed.as_uri()).stdout
    card = dom[dom.index(f'id="candidate-{top["program_code"]}"') :]
    assert top["title_ko"] in card[:2000] and top["title_en"] in card[:2000]
    assert "사업성과" in card and "Performance" in card
    size = re.search(r'data-trend-chart="(\d+)x(\d+)"', dom)
    assert size and int(size.group(1)) > 100 and int(size.group(2)) > 50, (
        f"trend chart drawn as {size}"
    )
    assert "다음 분기 재심" in dom, "the decision of the past quarter is shown"
    assert "C-2018-0001" in dom, "the proposal the programme came from is shown"

    shot = tmp_path / "report.png"
    chromium(tmp_path, f"--screenshot={shot}", "--window-size=1100,1600", report.as_uri())
    with Image.open(shot) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
        assert image.size == (1100, 1600)
    assert colours is not None and len(colours) > 50, "the screenshot is not blank"
    white = max(count for count, rgb in colours if rgb == (255, 255, 255))
    assert white < 0.97 * 1100 * 1600, "the screenshot is not blank"
    if os.environ.get("IMPACT_KEEP_SCREENSHOT"):
        shutil.copy(shot, os.environ["IMPACT_KEEP_SCREENSHOT"])
