"""Citizens follow their proposals on the public site: opened from disk in a real browser,
Korean first with English, every link answered, and nobody's personal data anywhere.

Needs Debian's ``chromium`` and ``fonts-noto-cjk`` (``infra/report-deps.sh`` installs them).
"""

import re
from html.parser import HTMLParser
from urllib.parse import urldefrag

import pytest
from PIL import Image

from impact.scenario.generator import build_scenario
from tests.e2e.test_report import chromium

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


PROBE = """<script>
  const select = document.getElementById('f-stage');
  select.value = 'rejected';
  select.dispatchEvent(new Event('change', { bubbles: true }));
  const rows = [...document.querySelectorAll('#proposals tbody tr')].filter(r => !r.hidden);
  document.body.setAttribute('data-shown', rows.length);
</script></body>"""


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.images_without_text = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for name in ("href", "src"):
            if found.get(name):
                self.links.append(found[name] or "")
        if found.get("id"):
            self.ids.add(found["id"] or "")
        if tag == "svg" and not (found.get("aria-label") and found.get("role") == "img"):
            self.images_without_text += 1


def test_the_public_site_shows_every_proposal_and_no_ones_personal_data(run, tmp_path):
    run("demo", "--until", "2019Q1", timeout=900)
    site = tmp_path / "site"
    shown = run("site", "--out", str(site)).stdout
    assert re.search(r"(\d+) proposals", shown)

    acts = build_scenario().acts
    proposals = [a.data for a in acts if a.kind == "proposal.submit"]
    cutoff = next(a.at for a in acts if a.kind == "council" and a.data["quarter"] == "2019Q1")
    played = [a.data for a in acts if a.kind == "proposal.submit" and a.at <= cutoff]
    pages = sorted(site.rglob("*.html"))
    assert {p.stem for p in (site / "proposals").glob("*.html")} == {p["code"] for p in played}

    personal = {p["name"] for p in proposals} | {p["contact"] for p in proposals if p["contact"]}
    everything = "\n".join(p.read_text(encoding="utf-8") for p in site.rglob("*") if p.is_file())
    leaked = sorted(x for x in personal if x in everything)
    assert not leaked, f"personal data on the public site: {leaked[:5]}"
    assert "http://" not in everything and "https://" not in everything, "no server, no CDN"

    for page in pages:
        parser = Links()
        parser.feed(page.read_text(encoding="utf-8"))
        assert parser.images_without_text == 0, f"{page}: a chart without a text alternative"
        for link in parser.links:
            target, fragment = urldefrag(link)
            path = (page.parent / target).resolve() if target else page
            assert path.is_file(), f"{page.relative_to(site)} links to {link}, which is missing"
            if fragment and path == page:
                assert fragment in parser.ids, f"{page.name}: no #{fragment}"

    dom = chromium(tmp_path, "--dump-dom", (site / "index.html").as_uri()).stdout
    assert "시민 제안은 어떻게 되었나" in dom and "What became of citizens' proposals" in dom
    assert dom.count('href="proposals/') == len(played)
    assert (
        '<form class="filter"' in dom
        and 'hidden=""' not in dom.split('<form class="filter"')[1][:200]
    ), "the script shows the in-page filter"
    probed = site / "probed.html"  # a copy with a probe: choose "rejected" and count the rows
    probed.write_text(
        (site / "index.html").read_text(encoding="utf-8").replace("</body>", PROBE),
        encoding="utf-8",
    )
    dom = chromium(tmp_path, "--dump-dom", probed.as_uri()).stdout
    shown = re.search(r'data-shown="(\d+)"', dom)
    rejected = (site / "status" / "rejected.html").read_text(encoding="utf-8")
    assert shown and int(shown.group(1)) == rejected.count('href="../proposals/') > 0
    probed.unlink()
    adopted = next(p for p in pages if p.parent.name == "proposals" and "사업화" in p.read_text())
    page = chromium(tmp_path, "--dump-dom", adopted.as_uri()).stdout
    assert "이 제안에서 나온 사업" in page and 'href="../programmes/P-' in page
    programme = re.search(r'href="\.\./programmes/(P-[A-Z0-9-]+)\.html"', page).group(1)
    charts = (site / "programmes" / f"{programme}.html").read_text(encoding="utf-8")
    assert "outcome-chart" in charts and "분기별 목표 대비 실적" in charts

    for name, target in (("index", site / "index.html"), ("proposal", adopted)):
        shot = tmp_path / f"{name}.png"
        chromium(tmp_path, f"--screenshot={shot}", "--window-size=1100,1200", target.as_uri())
        with Image.open(shot) as image:
            colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
        assert colours is not None and len(colours) > 50, f"the {name} screenshot is blank"
