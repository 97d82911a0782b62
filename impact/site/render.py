"""The public site's pages: Jinja templates, one stylesheet, one small optional script."""

import re
import shutil
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, StrictUndefined
from markupsafe import Markup

from impact.domain.metrics import CURRENT_CATALOGUE
from impact.site.data import CATEGORIES, CHANNELS, DECISIONS, PROGRAMME_STATUS, STAGES, SiteData

CSS = """
:root { --ink: #1f2933; --muted: #52606d; --line: #d9e2ec; --accent: #0b5e84; --bg: #f5f7fa; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK KR", "Noto Sans KR", "Apple SD Gothic Neo", "Malgun Gothic",
       sans-serif; color: var(--ink); margin: 0 auto; max-width: 1080px; padding: 16px 24px 64px;
       line-height: 1.5; background: #fff; }
a { color: var(--accent); }
dd a, td a { white-space: nowrap; }
a:focus, button:focus, select:focus { outline: 3px solid #f0b429; outline-offset: 2px; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 16px; top: 8px; background: #fff; padding: 4px 8px; }
header.site { border-bottom: 3px solid var(--ink); margin-bottom: 16px; }
header.site p { margin: 0 0 8px; color: var(--muted); }
h1 { font-size: 26px; margin: 8px 0 4px; }
h2 { font-size: 20px; margin: 28px 0 8px; }
.en { color: var(--muted); font-weight: normal; }
table { border-collapse: collapse; width: 100%; font-size: 14px; margin: 8px 0 16px; }
caption { text-align: left; font-weight: bold; padding: 4px 0; }
th, td { border-bottom: 1px solid var(--line); padding: 6px 8px; text-align: left; vertical-align: top; }
th { background: var(--bg); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; border-radius: 4px; padding: 0 6px; font-size: 13px;
         border: 1px solid var(--line); background: var(--bg); white-space: nowrap; }
.badge.joint_project, .badge.programme { background: #e3f8ff; border-color: #0b5e84; }
.badge.rejected { background: #fff1e6; border-color: #9c4221; color: #7b341e; }
.badge.merged { background: #f0f4f8; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; }
dl.facts dt { font-weight: bold; }
dl.facts dd { margin: 0; }
nav.filters { background: var(--bg); padding: 8px 12px; border-radius: 6px; font-size: 14px; }
nav.filters ul { list-style: none; padding: 0; margin: 4px 0; display: flex; flex-wrap: wrap; gap: 4px 12px; }
form.filter { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: end; margin: 8px 0; }
form.filter label { display: flex; flex-direction: column; font-size: 14px; }
.charts { display: flex; flex-wrap: wrap; gap: 16px 32px; }
figure { margin: 0 0 12px; }
figcaption { font-size: 13px; color: var(--muted); }
.note { font-size: 13px; color: var(--muted); }
footer { margin-top: 48px; border-top: 1px solid var(--line); padding-top: 8px; font-size: 13px; color: var(--muted); }
"""

SCRIPT = """
// Filters the table in place; without script, the links above do the same on their own pages.
document.querySelectorAll('form.filter').forEach(function (form) {
  form.hidden = false;
  var rows = document.querySelectorAll('#proposals tbody tr');
  var count = document.getElementById('shown');
  function apply() {
    var want = {};
    form.querySelectorAll('select').forEach(function (s) { want[s.name] = s.value; });
    var n = 0;
    rows.forEach(function (row) {
      var show = Object.keys(want).every(function (k) {
        return !want[k] || (' ' + row.dataset[k] + ' ').indexOf(' ' + want[k] + ' ') >= 0;
      });
      row.hidden = !show;
      if (show) { n += 1; }
    });
    count.textContent = n;
  }
  form.addEventListener('change', apply);
  form.addEventListener('submit', function (e) { e.preventDefault(); apply(); });
});
"""

BASE = """<!DOCTYPE html>
<html lang="ko">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{% block title %}{% endblock %} · 부산 시민 제안 추적 Busan citizen proposals</title>
<link rel="stylesheet" href="{{ root }}style.css">
</head>
<body>
<a class="skip" href="#main">본문 바로가기 · Skip to content</a>
<header class="site">
  <p><a href="{{ root }}index.html">부산 공공기관 사회적가치 · 시민 제안은 어떻게 되었나</a>
     <span class="en" lang="en">Busan public institutions' social value · What became of citizens' proposals</span></p>
</header>
<main id="main">
{% block main %}{% endblock %}
</main>
<footer>
  <p>원장에 기록된 사실만으로 만든 페이지입니다. 제안자의 이름과 연락처는 싣지 않습니다.
  <span lang="en">Built from the facts recorded in the ledger only; proposers' names and contacts are never published.</span></p>
</footer>
</body>
</html>
"""

PROPOSAL_ROWS = """
<table id="proposals">
  <caption aria-live="polite">제안 <span id="shown">{{ rows|length }}</span>건 <span class="en" lang="en">proposals</span></caption>
  <thead><tr>
    <th scope="col">코드 <span class="en" lang="en">Code</span></th>
    <th scope="col">제목 <span class="en" lang="en">Title</span></th>
    <th scope="col">분야 <span class="en" lang="en">Category</span></th>
    <th scope="col">접수 <span class="en" lang="en">Submitted</span></th>
    <th scope="col">상태 <span class="en" lang="en">Status</span></th>
    <th scope="col">사업 <span class="en" lang="en">Programmes</span></th>
  </tr></thead>
  <tbody>
  {% for p in rows %}
  <tr data-stage="{{ p.stage }}" data-strategy="{{ p.strategies|join(' ') }}" data-agency="{{ p.agencies|join(' ') }}">
    <td><a href="{{ root }}proposals/{{ p.code }}.html">{{ p.code }}</a></td>
    <td>{{ p.title }}</td>
    <td>{{ category(p.category) }}</td>
    <td>{{ day(p.submitted_at) }}</td>
    <td><span class="badge {{ p.stage }}">{{ stage(p.stage) }}</span></td>
    <td>{% for c in p.programmes %}<a href="{{ root }}programmes/{{ c }}.html">{{ c }}</a>{% if not loop.last %}, {% endif %}{% endfor %}</td>
  </tr>
  {% endfor %}
  </tbody>
</table>
"""

INDEX = (
    """{% extends "base" %}
{% block title %}{{ heading_ko }}{% endblock %}
{% block main %}
<h1>{{ heading_ko }} <span class="en" lang="en">{{ heading_en }}</span></h1>
<p>시민이 낸 제안 하나하나가 심사를 거쳐 채택·병합·반려되었는지, 어떤 사업이 되었고 그 사업이 목표를 얼마나 이루었는지 보여 줍니다.
<span class="en" lang="en">Each proposal citizens made: whether it was adopted, merged or not adopted after review, the programme it became, and how that programme did against its targets.</span></p>
<nav class="filters" aria-label="제안 거르기 Filter proposals">
  <h2 id="by-status">상태별 <span class="en" lang="en">By status</span></h2>
  <ul>{% for key, n in counts.stage %}<li><a href="{{ root }}status/{{ key }}.html">{{ stage(key) }}</a> ({{ n }})</li>{% endfor %}</ul>
  <h2 id="by-strategy">전략별 <span class="en" lang="en">By strategy</span></h2>
  <ul>{% for key, n in counts.strategy %}<li><a href="{{ root }}strategy/{{ key }}.html">{{ key }} {{ name(key) }}</a> ({{ n }})</li>{% endfor %}</ul>
  <h2 id="by-agency">기관별 <span class="en" lang="en">By agency</span></h2>
  <ul>{% for key, n in counts.agency %}<li><a href="{{ root }}agency/{{ key }}.html">{{ name(key) }}</a> ({{ n }})</li>{% endfor %}</ul>
</nav>
{% if show_form %}
<form class="filter" hidden aria-label="이 목록 바로 거르기 Filter this list">
  <label for="f-stage">상태 Status
    <select id="f-stage" name="stage"><option value="">전체 All</option>
    {% for key, n in counts.stage %}<option value="{{ key }}">{{ stage(key) }}</option>{% endfor %}</select></label>
  <label for="f-strategy">전략 Strategy
    <select id="f-strategy" name="strategy"><option value="">전체 All</option>
    {% for key, n in counts.strategy %}<option value="{{ key }}">{{ key }} {{ name(key) }}</option>{% endfor %}</select></label>
  <label for="f-agency">기관 Agency
    <select id="f-agency" name="agency"><option value="">전체 All</option>
    {% for key, n in counts.agency %}<option value="{{ key }}">{{ name(key) }}</option>{% endfor %}</select></label>
</form>
{% endif %}
"""
    + PROPOSAL_ROWS
    + """
{% if show_form %}<script src="{{ root }}filter.js"></script>{% endif %}
{% endblock %}
"""
)

PROPOSAL = """{% extends "base" %}
{% block title %}{{ p.code }} {{ p.title }}{% endblock %}
{% block main %}
<p class="note"><a href="{{ root }}index.html">← 모든 제안 · All proposals</a></p>
<h1>{{ p.title }}</h1>
<p><span class="badge {{ p.stage }}">{{ stage(p.stage) }}</span> 제안 코드 <span class="en" lang="en">Proposal</span> {{ p.code }}</p>
<h2>제안 <span class="en" lang="en">The proposal</span></h2>
<dl class="facts">
  <dt>접수일 <span class="en" lang="en">Submitted</span></dt><dd>{{ day(p.submitted_at) }}</dd>
  <dt>접수 경로 <span class="en" lang="en">Channel</span></dt><dd>{{ channel(p.channel) }}</dd>
  <dt>분야 <span class="en" lang="en">Category</span></dt><dd>{{ category(p.category) }}</dd>
</dl>
<h2>심사와 결정 <span class="en" lang="en">Review and decision</span></h2>
<dl class="facts">
  <dt>전문가 심사 <span class="en" lang="en">Expert review</span></dt>
  <dd>{% if p.reviewed_at %}{{ day(p.reviewed_at) }}{% if p.review_score is not none %} · 평균 점수 <span class="en" lang="en">mean score</span> {{ p.review_score }} / 100{% endif %}{% else %}심사 전 <span class="en" lang="en">not yet reviewed</span>{% endif %}</dd>
  <dt>결정 <span class="en" lang="en">Decision</span></dt>
  <dd>
  {% if p.adopted_at %}채택 <span class="en" lang="en">Adopted</span> {{ day(p.adopted_at) }} · 추진 과제 <span class="en" lang="en">task</span> {{ p.task_code }} {{ name(p.task_code) }}
  {% elif p.stage == "rejected" %}반려 <span class="en" lang="en">Not adopted</span> — 사유 <span class="en" lang="en">reason</span>: {{ p.rejection_reason }}
  {% elif p.merged_into %}<a href="{{ p.merged_into }}.html">{{ p.merged_into }}</a>에 병합 <span class="en" lang="en">Merged into {{ p.merged_into }}</span> — 비슷한 제안과 함께 검토되었습니다 <span class="en" lang="en">(taken forward with a similar proposal)</span>
  {% else %}아직 없음 <span class="en" lang="en">None yet</span>{% endif %}
  </dd>
  {% if p.merged_here %}
  <dt>병합된 제안 <span class="en" lang="en">Merged into this one</span></dt>
  <dd>{% for c in p.merged_here %}<a href="{{ c }}.html">{{ c }}</a>{% if not loop.last %}, {% endif %}{% endfor %}</dd>
  {% endif %}
</dl>
<h2>이 제안에서 나온 사업 <span class="en" lang="en">Programmes it became</span></h2>
{% if programmes %}
<ul>
{% for g in programmes %}
  <li><a href="{{ root }}programmes/{{ g.code }}.html">{{ g.code }} {{ g.title_ko }}</a> <span class="en" lang="en">{{ g.title_en }}</span> — {{ name(g.agency) }}
  {% if g.promoted_quarter %} · <span class="badge joint_project">{{ g.promoted_quarter }} 공동사업 승격 <span lang="en">promoted to a joint project</span></span>{% endif %}</li>
{% endfor %}
</ul>
{% else %}
<p>아직 사업이 되지 않았습니다. <span class="en" lang="en">It has not become a programme.</span></p>
{% endif %}
{% endblock %}
"""

PROGRAMME = """{% extends "base" %}
{% block title %}{{ g.code }} {{ g.title_ko }}{% endblock %}
{% block main %}
<p class="note"><a href="{{ root }}index.html">← 모든 제안 · All proposals</a></p>
<h1>{{ g.title_ko }} <span class="en" lang="en">{{ g.title_en }}</span></h1>
<dl class="facts">
  <dt>사업 코드 <span class="en" lang="en">Programme</span></dt><dd>{{ g.code }}</dd>
  <dt>주관 기관 <span class="en" lang="en">Lead agency</span></dt><dd>{{ name(g.agency) }}</dd>
  <dt>참여 기관 <span class="en" lang="en">Agencies</span></dt><dd>{% for a in g.agencies %}{{ name(a) }}{% if not loop.last %}, {% endif %}{% endfor %}</dd>
  <dt>전략 · 과제 <span class="en" lang="en">Strategy · task</span></dt><dd>{{ g.strategy }} {{ name(g.strategy) }} · {{ g.task_code }} {{ name(g.task_code) }}</dd>
  <dt>상태 <span class="en" lang="en">Status</span></dt><dd>{{ status(g.status) }}</dd>
  <dt>공동사업 <span class="en" lang="en">Joint project</span></dt><dd>{% if g.promoted_quarter %}{{ g.promoted_quarter }} 심사에서 승격 <span class="en" lang="en">promoted in the {{ g.promoted_quarter }} review</span>{% else %}아니오 <span class="en" lang="en">no</span>{% endif %}</dd>
  <dt>출발한 제안 <span class="en" lang="en">From proposals</span></dt><dd>{% for c in g.origin_proposals %}<a href="{{ root }}proposals/{{ c }}.html">{{ c }}</a>{% if not loop.last %}, {% endif %}{% else %}—{% endfor %}</dd>
</dl>
{% if g.decisions %}
<h2>협의회 결정 <span class="en" lang="en">Council decisions</span></h2>
<table>
  <thead><tr><th scope="col">분기 <span class="en" lang="en">Quarter</span></th><th scope="col">결정 <span class="en" lang="en">Decision</span></th><th scope="col">사유 <span class="en" lang="en">Reason</span></th></tr></thead>
  <tbody>{% for d in g.decisions %}<tr><td>{{ d.quarter }}</td><td>{{ decision(d.decision) }}</td><td>{{ d.reason }}</td></tr>{% endfor %}</tbody>
</table>
{% endif %}
<h2>분기별 목표 대비 실적 <span class="en" lang="en">Outcomes against targets by quarter</span></h2>
{% for metric, points in g.metrics.items() %}
<section aria-labelledby="m-{{ metric }}">
  <h3 id="m-{{ metric }}">{{ name(metric) }} <span class="en">({{ unit(metric) }})</span></h3>
  <div class="charts">
  <figure aria-describedby="t-{{ metric }}">
    {{ charts[metric] }}
    <figcaption>점선 테두리: 목표, 막대: 실적 (목표 미달은 주황) · <span lang="en">Dashed outline: target; bar: actual (orange when short of the target)</span></figcaption>
  </figure>
  <table id="t-{{ metric }}">
    <caption class="en">{{ name(metric) }}: 표 <span lang="en">table</span></caption>
    <thead><tr><th scope="col">분기 <span class="en" lang="en">Quarter</span></th><th scope="col" class="num">목표 <span class="en" lang="en">Target</span></th><th scope="col" class="num">실적 <span class="en" lang="en">Actual</span></th><th scope="col" class="num">달성률 <span class="en" lang="en">Attained</span></th></tr></thead>
    <tbody>{% for q, t, a in points %}<tr><th scope="row">{{ q }}</th><td class="num">{{ num(t) }}</td><td class="num">{{ num(a) }}</td><td class="num">{{ rate(t, a) }}</td></tr>{% endfor %}</tbody>
  </table>
  </div>
</section>
{% else %}
<p>보고된 성과가 아직 없습니다. <span class="en" lang="en">No outcome reported yet.</span></p>
{% endfor %}
{% endblock %}
"""


def _bi(pair: tuple[str, str] | None, key: str) -> Markup:
    ko, en = pair or (key, key)
    return Markup('{} <span class="en" lang="en">{}</span>').format(ko, en)


SEOUL = ZoneInfo("Asia/Seoul")


def _day(value: datetime | None) -> str:
    """The date in Busan (KST) of a time the projections hold in UTC."""
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(SEOUL).strftime("%Y-%m-%d")


def _num(value: Decimal | None) -> str:
    return "—" if value is None else f"{value.normalize():,f}"


def _rate(target: Decimal | None, actual: Decimal | None) -> str:
    if target is None or actual is None or target == 0:
        return "—"
    return f"{actual / target * 100:.0f}%"


def outcome_chart(
    points: list[tuple[str, Decimal | None, Decimal | None]],
    title: str,
    unit: str,
    lower_is_better: bool = False,
) -> Markup:
    """Target (dashed outline) and actual (filled) per quarter, one group per quarter, wide
    enough for every quarter's label; the table beside it gives the same figures."""
    from html import escape

    from impact.report.charts import ACCENT, INK, MUTED, WARN

    left, top, plot_h, group = 96, 14, 120, 52
    plot_w = group * max(1, len(points))
    width, height = left + plot_w + 12, top + plot_h + 40
    values = [v for _, t, a in points for v in (t, a) if v is not None]
    scale = max([*values, Decimal(0)]) or Decimal(1)
    bar = 16.0

    def text(x: float, y: float, value: str, anchor: str = "end", size: int = 11) -> str:
        return (
            f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}"'
            f' fill="{MUTED}">{escape(value)}</text>'
        )

    body = [
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}"'
        f' stroke="{MUTED}"/>',
        text(left - 6, top + 8, f"{scale.normalize():,f}"),
        text(left - 6, top + 22, unit),
        text(left - 6, top + plot_h, "0"),
    ]
    for i, (quarter, target, actual) in enumerate(points):
        cx = left + group * i + group / 2
        body.append(text(cx, top + plot_h + 16, quarter[:4], "middle", 10))
        body.append(text(cx, top + plot_h + 29, quarter[4:], "middle", 10))
        if target is not None:
            h = plot_h * float(target / scale)
            body.append(
                f'<rect x="{cx - bar - 1:.1f}" y="{top + plot_h - h:.1f}" width="{bar:.1f}"'
                f' height="{h:.1f}" fill="none" stroke="{INK}" stroke-dasharray="3 2"/>'
            )
        if actual is not None:
            h = plot_h * float(actual / scale)
            met = target is None or (actual <= target if lower_is_better else actual >= target)
            body.append(
                f'<rect class="bar" x="{cx + 1:.1f}" y="{top + plot_h - h:.1f}" width="{bar:.1f}"'
                f' height="{max(h, 1):.1f}" fill="{ACCENT if met else WARN}"/>'
            )
    return Markup(
        f'<svg class="chart outcome-chart" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>" + "".join(body) + "</svg>"
    )


def _charted(
    points: list[tuple[str, Decimal | None, Decimal | None]],
) -> list[tuple[str, Decimal | None, Decimal | None]]:
    """The quarters up to the last with an actual (all of them if none has one)."""
    reported = [i for i, (_, _, a) in enumerate(points) if a is not None]
    return points[: reported[-1] + 1] if reported else points


LOWER = {m.code for m in CURRENT_CATALOGUE.metrics if m.better == "lower"}
SAFE = re.compile(r"^[A-Za-z0-9._-]+$")


def write_site(data: SiteData, out: Path) -> dict[str, int]:
    env = Environment(
        autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True
    )
    names = data.names

    def name(code: str) -> Markup:
        found = names.get(code)
        if not found:
            return Markup("{}").format(code)
        return _bi((found["ko"], found["en"]), code)

    env.globals.update(
        stage=lambda k: _bi(STAGES.get(k), k),
        channel=lambda k: _bi(CHANNELS.get(k), k),
        category=lambda k: _bi(CATEGORIES.get(k), k),
        decision=lambda k: _bi(DECISIONS.get(k), k),
        status=lambda k: _bi(PROGRAMME_STATUS.get(k), k),
        name=name,
        unit=lambda k: names.get(k, {}).get("unit", ""),
        num=_num,
        day=_day,
        rate=_rate,
    )
    templates = {
        "base": BASE,
        "index": INDEX,
        "proposal": PROPOSAL,
        "programme": PROGRAMME,
    }
    from jinja2 import DictLoader

    env.loader = DictLoader(templates)
    if out.exists():
        for sub in ("proposals", "programmes", "status", "strategy", "agency"):
            shutil.rmtree(out / sub, ignore_errors=True)
    for sub in ("proposals", "programmes", "status", "strategy", "agency"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    (out / "style.css").write_text(CSS, encoding="utf-8")
    (out / "filter.js").write_text(SCRIPT, encoding="utf-8")

    proposals = sorted(data.proposals, key=lambda p: p.code)
    counts: dict[str, list[tuple[str, int]]] = {}
    groups: dict[str, dict[str, list[Any]]] = {"stage": {}, "strategy": {}, "agency": {}}
    for p in proposals:
        groups["stage"].setdefault(p.stage, []).append(p)
        for s in p.strategies:
            groups["strategy"].setdefault(s, []).append(p)
        for a in p.agencies:
            groups["agency"].setdefault(a, []).append(p)
    order = list(STAGES)
    for kind, found in groups.items():
        keys = sorted(found, key=lambda k: (order.index(k) if k in order else 99, k))
        counts[kind] = [(k, len(found[k])) for k in keys]

    index = env.get_template("index")
    pages = {"index": 1, "proposals": 0, "programmes": 0, "filters": 0}
    (out / "index.html").write_text(
        index.render(
            root="",
            rows=proposals,
            counts=counts,
            show_form=True,
            heading_ko="시민 제안은 어떻게 되었나",
            heading_en="What became of citizens' proposals",
        ),
        encoding="utf-8",
    )
    folder = {"stage": "status", "strategy": "strategy", "agency": "agency"}
    what = {
        "stage": lambda k: STAGES.get(k, (k, k)),
        "strategy": lambda k: (
            f"{k} {names.get(k, {}).get('ko', '')}",
            f"{k} {names.get(k, {}).get('en', '')}",
        ),
        "agency": lambda k: (names.get(k, {}).get("ko", k), names.get(k, {}).get("en", k)),
    }
    for kind, found in groups.items():
        for key, rows in found.items():
            if not SAFE.match(key):
                continue
            ko, en = what[kind](key)
            (out / folder[kind] / f"{key}.html").write_text(
                index.render(
                    root="../",
                    rows=rows,
                    counts=counts,
                    show_form=False,
                    heading_ko=f"제안: {ko}",
                    heading_en=f"Proposals: {en}",
                ),
                encoding="utf-8",
            )
            pages["filters"] += 1
    proposal_page = env.get_template("proposal")
    for p in proposals:
        became = [data.programmes[c] for c in p.programmes if c in data.programmes]
        (out / "proposals" / f"{p.code}.html").write_text(
            proposal_page.render(root="../", p=p, programmes=became), encoding="utf-8"
        )
        pages["proposals"] += 1
    programme_page = env.get_template("programme")
    for g in data.programmes.values():
        charts = {
            metric: outcome_chart(
                _charted(points),
                f"{g.code} {names.get(metric, {}).get('ko', metric)} "
                f"{names.get(metric, {}).get('en', '')}: 분기별 목표와 실적 "
                "target and actual by quarter (표 참고, see the table)",
                names.get(metric, {}).get("unit", ""),
                metric in LOWER,
            )
            for metric, points in g.metrics.items()
        }
        (out / "programmes" / f"{g.code}.html").write_text(
            programme_page.render(root="../", g=g, charts=charts), encoding="utf-8"
        )
        pages["programmes"] += 1
    return pages
