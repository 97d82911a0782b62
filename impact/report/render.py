"""The council report as one self-contained HTML page: Korean and English, inline SVG, no script."""

from decimal import Decimal
from typing import Any

from jinja2 import Environment, StrictUndefined
from markupsafe import Markup

from impact.domain.scoring import MAIN_COMPONENTS, RIPPLE_PARTS
from impact.report.charts import components_chart, metric_chart, ranking_chart, trend_chart
from impact.report.data import CandidateView, ReportData

LABELS: dict[str, tuple[str, str]] = {
    "performance": ("사업성과", "Performance"),
    "ripple": ("파급효과", "Ripple effect"),
    "efficiency": ("효율성", "Efficiency"),
    "evidence": ("증빙", "Evidence"),
    "reach": ("수혜 범위", "Reach"),
    "breadth": ("참여 폭", "Breadth"),
    "spillover": ("파급 지표", "Spill-over"),
    "citizen_origin": ("시민 제안", "Citizen origin"),
    "trend": ("추세", "Trend"),
    "too_few_quarters": ("데이터 분기 부족", "Too few quarters of data"),
    "suspended": ("중단됨", "Suspended"),
    "completed": ("종료됨", "Completed"),
    "already_joint": ("이미 공동사업", "Already a joint project"),
    "promote": ("공동사업 승격", "Promoted to joint project"),
    "defer": ("보류", "Deferred"),
    "decline": ("부결", "Declined"),
    "submitted": ("접수", "Submitted"),
    "reviewed": ("심사 완료", "Reviewed"),
    "adopted": ("채택", "Adopted"),
    "programme": ("사업화", "Became a programme"),
    "joint_project": ("공동사업", "Joint project"),
    "rejected": ("반려", "Rejected"),
    "merged": ("병합", "Merged"),
    "active": ("진행 중", "Active"),
}

EXPLAIN: dict[str, str] = {
    "performance": "Σ weight × min(actual ÷ target, cap) ÷ cap, over its own targets for the quarter",
    "ripple": "reach, breadth, spill-over, citizen origin and trend, weighted as below",
    "efficiency": "outcome per KRW against the best programme of the same task with that metric",
    "evidence": "share of reported outcomes backed by an evidence hash, minus a penalty per correction",
    "reach": "people reached (beneficiary metrics) ÷ the most any programme reached",
    "breadth": "other agencies + partners involved ÷ saturation",
    "spillover": "mean of each spill-over metric ÷ the highest reported for it",
    "citizen_origin": "1 if born from an adopted citizen proposal",
    "trend": "(1 + mean growth on the previous quarter) ÷ 2",
}


def label(key: str) -> str:
    ko, en = LABELS.get(key, (key, key))
    return f"{ko} {en}"


def _bilingual(names: dict[str, dict[str, str]], code: str) -> Markup:
    found = names.get(code)
    if not found:
        return Markup("{}").format(code)
    return Markup('{} <span class="en">{}</span>').format(found["ko"], found["en"])


def _krw(value: Any) -> str:
    return f"₩{int(value):,}"


def _num(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return f"{value.normalize():,f}"


def _charts(view: CandidateView, data: ReportData) -> dict[str, Any]:
    weights = data.policy_weights
    c = view.candidate.components
    code = view.candidate.program_code
    main = [(label(k), c[k], weights[k]) for k in MAIN_COMPONENTS]
    ripple = [(label(k), c[k], weights[k]) for k in RIPPLE_PARTS]
    metrics = []
    for t in view.inputs.targets:
        name = data.names.get(t.metric, {"ko": t.metric, "en": t.metric, "unit": ""})
        points = [(p.quarter, p.target, p.actual) for p in view.metrics.get(t.metric, [])]
        metrics.append(
            metric_chart(
                points,
                f"{code} {name['en']}: target and actual by quarter",
                name.get("unit", ""),
                t.lower_is_better,
            )
        )
    return {
        "components": components_chart(
            main, f"{code}: score components against the policy weights"
        ),
        "ripple": components_chart(ripple, f"{code}: ripple-effect parts and their weights"),
        "trend": trend_chart(
            [(p.quarter, p.score) for p in view.history], f"{code}: score by quarter"
        ),
        "metrics": metrics,
    }


def render(data: ReportData) -> str:
    env = Environment(
        autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True
    )
    env.filters.update(krw=_krw, num=_num, label=label)
    env.globals.update(
        bilingual=lambda code: _bilingual(data.names, code), LABELS=LABELS, EXPLAIN=EXPLAIN
    )
    ranking = ranking_chart(
        [
            (
                f"{v.candidate.rank}. {v.candidate.program_code} {v.programme.get('title_ko', '')}".rstrip(),
                v.candidate.score,
                v.candidate.eligible,
            )
            for v in data.ranking
        ],
        f"Promotion review {data.quarter}: scores of all programmes",
    )
    return env.from_string(TEMPLATE).render(
        d=data,
        ranking_chart=ranking,
        charts={v.candidate.program_code: _charts(v, data) for v in data.council},
        main=MAIN_COMPONENTS,
        ripple=RIPPLE_PARTS,
    )


TEMPLATE = """<!DOCTYPE html>
<html lang="ko">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ d.quarter }} 공동사업 승격 심사 · Promotion review</title>
<style>
  :root { --ink: #1f2933; --muted: #616e7c; --line: #e4e7eb; --accent: #0b6e99; }
  body { font-family: "Noto Sans CJK KR", "Noto Sans KR", "Apple SD Gothic Neo", "Malgun Gothic",
         sans-serif; color: var(--ink); margin: 0 auto; max-width: 1040px; padding: 24px 32px 64px;
         line-height: 1.45; }
  h1 { font-size: 26px; margin: 0 0 4px; }
  h2 { font-size: 20px; margin: 36px 0 10px; border-bottom: 2px solid var(--ink); padding-bottom: 4px; }
  h3 { font-size: 17px; margin: 0 0 6px; }
  .en { color: var(--muted); font-weight: normal; }
  .meta { color: var(--muted); font-size: 13px; }
  table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 8px 0 16px; }
  th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
  th { background: #f5f7fa; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  .gate { color: #c05621; }
  .ok { color: #2f855a; }
  .card { border: 1px solid var(--line); border-radius: 6px; padding: 16px 20px; margin: 18px 0;
          page-break-inside: avoid; }
  .rank { display: inline-block; background: var(--accent); color: #fff; border-radius: 4px;
          padding: 0 8px; margin-right: 8px; }
  .charts { display: flex; flex-wrap: wrap; gap: 12px 28px; align-items: flex-start; }
  .charts figure { margin: 0; }
  figcaption { font-size: 12px; color: var(--muted); }
  .chart text { font-family: inherit; }
  .note { font-size: 12px; color: var(--muted); }
</style>
</head>
<body>
<header>
  <h1>{{ d.quarter }} 공동사업 승격 심사 <span class="en">Promotion review</span></h1>
  <p class="meta">부산 공공기관 사회적가치 성과 원장 · Busan social-value impact ledger ·
    정책 Policy v{{ d.review.policy.version }} ·
    기준 시점 As of {{ d.review.as_of.strftime("%Y-%m-%d %H:%M:%S") }} UTC<br>
    입력 요약값 Inputs digest <code>{{ d.review.inputs_digest }}</code><br>
    {% if d.recorded %}
      {% if d.reproduced %}
      <span class="ok">✔ 기록된 심사와 일치 · Reproduces the review recorded at
        {{ d.recorded.recorded_at.strftime("%Y-%m-%d %H:%M:%S") }} UTC</span>
      {% else %}
      <span class="gate">✘ 기록된 심사와 다름 · Differs from the recorded review (digest
        <code>{{ d.recorded.inputs_digest }}</code>)</span>
      {% endif %}
    {% else %}
      <span class="gate">미기록 미리보기 · Preview: not yet recorded as a review</span>
    {% endif %}
  </p>
</header>

<h2>순위 <span class="en">Ranking</span></h2>
<figure id="ranking-chart">{{ ranking_chart }}</figure>
<table id="ranking">
  <thead><tr>
    <th class="num">순위<br><span class="en">Rank</span></th><th>사업<br><span class="en">Programme</span></th>
    <th>기관<br><span class="en">Agency</span></th><th class="num">점수<br><span class="en">Score</span></th>
    {% for k in main %}<th class="num">{{ LABELS[k][0] }}<br><span class="en">{{ LABELS[k][1] }}</span></th>{% endfor %}
    <th class="num">협력<br><span class="en">Partners confirmed / named</span></th>
    <th>자격<br><span class="en">Eligible</span></th>
  </tr></thead>
  <tbody>
  {% for v in d.ranking %}
    {% set c = v.candidate %}
    <tr>
      <td class="num">{{ c.rank }}</td>
      <td><b>{{ c.program_code }}</b> {{ v.programme.title_ko }}<br><span class="en">{{ v.programme.title_en }}</span></td>
      <td>{{ v.programme.agency }}</td>
      <td class="num"><b>{{ c.score }}</b></td>
      {% for k in main %}<td class="num">{{ "%.2f"|format(c.components[k]) }}</td>{% endfor %}
      {% set named = (v.programme.partner_names or [])|length %}
      <td class="num partners">{% if named %}{{ (v.programme.confirmed_agency_partners or [])|length + (v.programme.confirmed_other_partners or 0) }} / {{ named }}{% else %}—{% endif %}{% if c.flags %} <span class="gate" title="flags">⚑{{ c.flags|length }}</span>{% endif %}</td>
      <td>{% if c.eligible %}<span class="ok">✔ 후보 candidate</span>{% else %}<span class="gate">{{ c.failed_gate|label }}</span>{% endif %}</td>
    </tr>
  {% endfor %}
  </tbody>
</table>

<h2>정책 가중치 <span class="en">Policy v{{ d.review.policy.version }} weights</span></h2>
<table id="policy">
  <thead><tr><th>구성요소 <span class="en">Component</span></th><th class="num">가중치 <span class="en">Weight</span></th><th><span class="en">How it is computed</span></th></tr></thead>
  <tbody>
  {% for k in main %}
    <tr><td>{{ k|label }}</td><td class="num">{{ "%.0f"|format(d.policy_weights[k] * 100) }}%</td><td class="note">{{ EXPLAIN[k] }}</td></tr>
  {% endfor %}
  {% for k in ripple %}
    <tr><td>&nbsp;&nbsp;└ {{ k|label }}</td><td class="num">{{ "%.0f"|format(d.policy_weights[k] * 100) }}% <span class="en">of ripple</span></td><td class="note">{{ EXPLAIN[k] }}</td></tr>
  {% endfor %}
  </tbody>
</table>
<p class="note">Attainment cap {{ d.review.policy.attainment_cap }} · at least {{ d.review.policy.min_quarters }} quarter(s) with data ·
  correction penalty {{ d.review.policy.correction_penalty }} · breadth full at {{ d.review.policy.breadth_saturation }} ·
  the council sees the top {{ d.review.policy.candidates }} eligible programmes.</p>

{% if d.review.policy.report_deadline_days is not none or d.review.policy.plausibility %}
<p class="note" id="trust-rules">Outcomes due {{ d.review.policy.report_deadline_days }} days after the quarter (late penalty {{ d.review.policy.late_penalty }} each) ·
  breadth counts {{ "confirmed partners only" if d.review.policy.confirmed_partners_only else "every partner named" }} ·
  {% if d.review.policy.evidence_registered is not none %}evidence counts {{ d.review.policy.evidence_registered }} when registered, {{ d.review.policy.evidence_attested }} when attested, 0 otherwise ·{% endif %}
  {% for r in d.review.policy.plausibility %}flag above {{ r.threshold }}× {{ r.statistic|replace("_", " ") }} → {{ r.treatment|replace("_", " ") }}{% if not loop.last %}; {% endif %}{% endfor %}</p>
{% endif %}

<h2>검토 표시 <span class="en">Flags the council sees before deciding</span></h2>
{% if d.flagged %}
<table id="flags">
  <thead><tr><th>사업 <span class="en">Programme</span></th><th>지표 <span class="en">Metric</span></th><th>표시 <span class="en">Flag</span></th><th class="num">값 <span class="en">Value</span></th><th>처리 <span class="en">Counted</span></th><th>사유 <span class="en">Why</span></th></tr></thead>
  <tbody>{% for v, f in d.flagged %}<tr class="flag flag-{{ f.kind }}"><td>{{ v.candidate.program_code }}</td><td>{{ bilingual(f.metric) }}</td><td>{{ f.kind|replace("_", " ") }}</td><td class="num">{{ f.value|num }}</td><td>{{ f.treatment|replace("_", " ") }}</td><td>{{ f.reason }}</td></tr>{% endfor %}</tbody>
</table>
{% else %}<p class="note">표시 없음 · No value flagged under policy v{{ d.review.policy.version }}.</p>{% endif %}
{% if d.declarations %}
<h3>등록 후 추가 약정 지표 <span class="en">Metrics committed after registration</span></h3>
<ul id="declarations">{% for x in d.declarations %}<li>{{ x.occurred_at.date() }} · {{ x.program_code }}: {{ x.metrics|join(", ") }} — {{ x.reason }}</li>{% endfor %}</ul>
{% endif %}

<h2>심사 후보 <span class="en">Candidates for the council</span></h2>
{% for v in d.council %}
  {% set c = v.candidate %}
  {% set p = v.programme %}
  {% set ch = charts[c.program_code] %}
  <section class="card candidate" id="candidate-{{ c.program_code }}">
    <h3><span class="rank">{{ c.rank }}</span>{{ c.program_code }} · {{ p.title_ko }} <span class="en">{{ p.title_en }}</span>
      — {{ c.score }}점 <span class="en">points</span></h3>
    <p class="meta">{{ bilingual(p.agency) }} · {{ p.task_code }} {{ bilingual(p.task_code) }} ·
      예산 <span class="en">budget</span> {{ p.budget_krw|krw }}
      {% if v.inputs.budget_spent_krw is not none %} · 집행 <span class="en">spent this quarter</span> {{ v.inputs.budget_spent_krw|krw }}{% endif %}
      {% if p.partner_names %} · 협력 <span class="en">partners</span>: {{ p.partner_names|join(", ") }}{% endif %}</p>
    {% if p.partner_names %}
    <p class="meta partners">확인된 협력 <span class="en">confirmed partners</span>:
      {% set agencies = p.confirmed_agency_partners or [] %}
      {{ agencies|join(", ") if agencies else "no agency has accepted" }}{% if p.confirmed_other_partners %} + {{ p.confirmed_other_partners }} identified{% endif %}
      <span class="note">(an agency counts once it accepts; other partners with an identifier or evidence)</span></p>
    {% endif %}
    {% set registered = v.inputs.outcomes|selectattr("registered")|list %}
    {% if v.inputs.outcomes and v.inputs.outcomes[0].registered is not none %}
    <p class="meta evidence">증빙 <span class="en">evidence</span>: {{ registered|length }} of {{ v.inputs.outcomes|length }} outcomes cite a registered document,
      {{ v.inputs.outcomes|selectattr("attested")|list|length }} attested by another member or an auditor</p>
    {% endif %}
    {% if c.flags %}<ul class="flags">{% for f in c.flags %}<li class="flag">⚑ {{ f.metric }}: {{ f.reason }} — counted {{ f.treatment|replace("_", " ") }}</li>{% endfor %}</ul>{% endif %}
    <div class="charts">
      <figure>{{ ch.components }}<figcaption>점수 구성 · Components × policy weights = points</figcaption></figure>
      <figure>{{ ch.trend }}<figcaption>분기별 점수 · Score by quarter</figcaption></figure>
      <figure>{{ ch.ripple }}<figcaption>파급효과 세부 · Ripple-effect parts</figcaption></figure>
    </div>
    <h4>목표 대비 실적 <span class="en">Targets against actuals, {{ d.quarter }}</span></h4>
    {% if v.inputs.targets %}
    <table class="targets">
      <thead><tr><th>지표 <span class="en">Metric</span></th><th class="num">목표 <span class="en">Target</span></th><th class="num">실적 <span class="en">Actual</span></th><th class="num">달성률 <span class="en">Attainment</span></th></tr></thead>
      <tbody>
      {% for t in v.inputs.targets %}
        <tr><td>{{ bilingual(t.metric) }}</td><td class="num">{{ t.target|num }}</td><td class="num">{{ t.actual|num }}</td>
          <td class="num">{% if t.actual is not none and t.target > 0 %}{{ "%.1f"|format((t.target / t.actual if t.lower_is_better and t.actual else t.actual / t.target) * 100) }}%{% else %}—{% endif %}</td></tr>
      {% endfor %}
      </tbody>
    </table>
    <div class="charts">
      {% for m in ch.metrics %}<figure>{{ m }}<figcaption>점선 목표 · dashed: target; 막대 실적 · bar: actual</figcaption></figure>{% endfor %}
    </div>
    {% else %}<p class="note">이 분기 목표 없음 · No targets set for this quarter.</p>{% endif %}
    <h4>출처 제안 <span class="en">The proposal it came from</span></h4>
    {% if v.proposals %}
      {% for pr in v.proposals %}
      <p>{{ pr.code }} · {{ pr.title }} — {{ pr.stage|label }}<br><span class="note">
        접수 submitted {{ pr.submitted_at.strftime("%Y-%m-%d") if pr.submitted_at else "—" }} ·
        심사 reviewed {{ pr.reviewed_at.strftime("%Y-%m-%d") if pr.reviewed_at else "—" }} ·
        채택 adopted {{ pr.adopted_at.strftime("%Y-%m-%d") if pr.adopted_at else "—" }} into {{ pr.task_code }} ·
        사업 programmes {{ pr.programmes|join(", ") }}</span></p>
      {% endfor %}
    {% else %}<p class="note">기관 자체 사업 · The agency's own initiative; no citizen proposal.</p>{% endif %}
    <h4>지난 결정 <span class="en">Council decisions so far</span></h4>
    {% if v.decisions %}<ul>{% for x in v.decisions %}<li>{{ x.quarter }}: {{ x.decision|label }} — {{ x.reason }} ({{ x.meeting_ref }})</li>{% endfor %}</ul>
    {% else %}<p class="note">없음 · None yet.</p>{% endif %}
  </section>
{% else %}
  <p>이번 분기 자격을 갖춘 후보 없음 · No programme passed the gates this quarter.</p>
{% endfor %}

<h2>지난 분기 결정 <span class="en">Decisions of past quarters</span></h2>
{% if d.decisions %}
<table id="decisions">
  <thead><tr><th>분기 <span class="en">Quarter</span></th><th>사업 <span class="en">Programme</span></th><th>결정 <span class="en">Decision</span></th><th>사유 <span class="en">Reason</span></th><th>회의 <span class="en">Meeting</span></th></tr></thead>
  <tbody>{% for x in d.decisions %}<tr><td>{{ x.quarter }}</td><td>{{ x.program_code }}</td><td>{{ x.decision|label }}</td><td>{{ x.reason }}</td><td>{{ x.meeting_ref }}</td></tr>{% endfor %}</tbody>
</table>
{% else %}<p class="note">아직 결정 없음 · No decisions recorded yet.</p>{% endif %}

<h2>시민 제안 흐름 <span class="en">Citizen proposal funnel</span></h2>
<table id="funnel"><tbody><tr>
  {% for k in ("submitted", "reviewed", "adopted", "programme", "joint_project") %}
  <td class="num">{{ LABELS[k][0] }}<br><span class="en">{{ LABELS[k][1] }}</span><br><b>{{ d.funnel[k] }}</b></td>
  {% endfor %}
</tr></tbody></table>

<h2>전략별 현황 <span class="en">By strategy, {{ d.quarter }}</span></h2>
<table id="strategies">
  <thead><tr><th>전략 <span class="en">Strategy</span></th><th class="num">사업 <span class="en">Programmes</span></th><th class="num">실적 보고 <span class="en">Outcomes</span></th><th class="num">증빙 <span class="en">Evidenced</span></th><th class="num">목표 달성 <span class="en">Targets met</span></th><th class="num">예산 <span class="en">Budget</span></th></tr></thead>
  <tbody>{% for s in d.strategies %}<tr><td>{{ s.strategy }} {{ bilingual(s.strategy) }}</td><td class="num">{{ s.programmes }}</td><td class="num">{{ s.outcomes }}</td><td class="num">{{ s.evidenced }}</td><td class="num">{{ s.targets_met }}/{{ s.targets }}</td><td class="num">{{ s.budget_krw|krw }}</td></tr>{% endfor %}</tbody>
</table>

<footer class="note">모든 수치는 이벤트 로그에서만 계산됨 · Every number is computed from the event log alone;
  replaying the log as of the time above reproduces this page's scores and digest.</footer>
</body>
</html>
"""
