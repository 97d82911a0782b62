"""Inline SVG charts for the council report: drawn here, no script, no external file.

Each function returns one ``<svg>`` element with explicit width and height, a
``<title>`` for screen readers, and text in the report's font stack (Hangul needs a
CJK font such as Noto Sans CJK on the machine that opens the page).
"""

import unicodedata
from collections.abc import Sequence
from decimal import Decimal
from html import escape

from markupsafe import Markup

INK = "#1f2933"
MUTED = "#9aa5b1"
GRID = "#e4e7eb"
ACCENT = "#0b6e99"
WARN = "#c05621"


def _svg(width: int, height: int, title: str, body: list[str], css_class: str) -> Markup:
    return Markup(
        f'<svg class="{css_class}" width="{width}" height="{height}" viewBox="0 0 {width} {height}"'
        f' role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
        + "".join(body)
        + "</svg>"
    )


def _text(
    x: float,
    y: float,
    text: str,
    anchor: str = "start",
    size: int = 12,
    fill: str = INK,
    weight: str = "normal",
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}"'
        f' font-weight="{weight}" fill="{fill}">{escape(text)}</text>'
    )


def text_width(text: str, size: int = 12) -> float:
    """About how wide ``text`` is drawn at ``size`` px: Hangul and other wide characters take
    a full em, Latin letters and digits a little over half."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else size * 0.6 for ch in text)


def shorten(text: str, width: float, size: int = 12) -> str:
    """``text``, cut with an ellipsis to fit ``width`` px."""
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + "…", size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def ranking_chart(rows: Sequence[tuple[str, Decimal, bool]], title: str) -> Markup:
    """One horizontal bar per programme: (label, score 0..100, eligible). A label wider than
    the label column allows is cut with an ellipsis (the table beside the chart has it whole)."""
    bar_w, row_h = 360, 24
    widest = max((text_width(label) for label, _, _ in rows), default=0)
    label_w = int(min(max(230, widest + 16), 420))
    rows = [(shorten(label, label_w - 16), score, eligible) for label, score, eligible in rows]
    width, height = label_w + bar_w + 70, 30 + row_h * max(1, len(rows))
    body = [
        f'<line x1="{label_w + bar_w * i / 4:.1f}" y1="20" x2="{label_w + bar_w * i / 4:.1f}"'
        f' y2="{height - 4}" stroke="{GRID}"/>'
        + _text(label_w + bar_w * i / 4, 14, str(25 * i), "middle", 10, MUTED)
        for i in range(5)
    ]
    for i, (label, score, eligible) in enumerate(rows):
        y = 24 + i * row_h
        w = bar_w * float(score) / 100
        body.append(_text(label_w - 8, y + 15, label, "end", 12))
        body.append(
            f'<rect class="bar" x="{label_w}" y="{y + 3}" width="{max(w, 1):.1f}" height="{row_h - 8}"'
            f' rx="2" fill="{ACCENT if eligible else MUTED}"/>'
        )
        body.append(_text(label_w + w + 6, y + 15, f"{score}", "start", 12, INK, "bold"))
    return _svg(width, height, title, body, "chart ranking-chart")


def components_chart(parts: Sequence[tuple[str, Decimal, Decimal]], title: str) -> Markup:
    """Each component's value (0..1) as a bar, with its weight and points in the score.

    ``parts``: (label, value, weight); points = value × weight × 100.
    """
    label_w, bar_w, row_h = 190, 260, 26
    width, height = label_w + bar_w + 150, 8 + row_h * len(parts)
    body = []
    for i, (label, value, weight) in enumerate(parts):
        y = 4 + i * row_h
        w = bar_w * float(value)
        points = (value * weight * 100).quantize(Decimal("0.01"))
        body.append(_text(label_w - 8, y + 16, label, "end", 12))
        body.append(
            f'<rect x="{label_w}" y="{y + 4}" width="{bar_w}" height="{row_h - 10}"'
            f' fill="{GRID}" rx="2"/>'
        )
        body.append(
            f'<rect class="bar" x="{label_w}" y="{y + 4}" width="{max(w, 1):.1f}"'
            f' height="{row_h - 10}" fill="{ACCENT}" rx="2"/>'
        )
        body.append(
            _text(
                label_w + bar_w + 8,
                y + 16,
                f"{value:.2f} × {weight * 100:.0f}% = {points}",
                "start",
                12,
            )
        )
    return _svg(width, height, title, body, "chart components-chart")


def _scale(values: Sequence[Decimal], floor: Decimal = Decimal(0)) -> Decimal:
    top = max([v for v in values if v is not None] + [floor])
    return top if top > 0 else Decimal(1)


def trend_chart(points: Sequence[tuple[str, Decimal | None]], title: str) -> Markup:
    """The score (0..100) quarter by quarter, as a line with labelled points."""
    left, top, plot_w, plot_h = 36, 14, 320, 120
    width, height = left + plot_w + 20, top + plot_h + 34
    step = plot_w / max(1, len(points) - 1) if len(points) > 1 else 0
    body = []
    for v in (0, 50, 100):
        y = top + plot_h - plot_h * v / 100
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="{GRID}"/>'
        )
        body.append(_text(left - 6, y + 4, str(v), "end", 10, MUTED))
    coords = []
    for i, (quarter, score) in enumerate(points):
        x = left + (i * step if len(points) > 1 else plot_w / 2)
        body.append(_text(x, top + plot_h + 18, quarter, "middle", 10, MUTED))
        if score is not None:
            y = top + plot_h - plot_h * float(score) / 100
            coords.append((x, y, score))
    if len(coords) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in coords)
        body.append(f'<polyline points="{path}" fill="none" stroke="{ACCENT}" stroke-width="2"/>')
    for x, y, score in coords:
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{ACCENT}"/>')
        body.append(_text(x, y - 8, f"{score}", "middle", 10))
    if not coords:
        body.append(_text(left + plot_w / 2, top + plot_h / 2, "—", "middle", 14, MUTED))
    return _svg(width, height, title, body, "chart trend-chart")


def metric_chart(
    points: Sequence[tuple[str, Decimal | None, Decimal | None]],
    title: str,
    unit: str,
    lower_is_better: bool = False,
) -> Markup:
    """Target (outline) and actual (filled) per quarter: (quarter, target, actual)."""
    left, top, plot_w, plot_h = 64, 14, 300, 110
    width, height = left + plot_w + 20, top + plot_h + 34
    scale = _scale([v for _, t, a in points for v in (t, a) if v is not None])
    group = plot_w / max(1, len(points))
    bar = min(22.0, group / 3)
    body = [
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="{MUTED}"/>',
        _text(left - 6, top + 8, f"{scale.normalize():,f}", "end", 10, MUTED),
        _text(left - 6, top + 20, unit, "end", 10, MUTED),
        _text(left - 6, top + plot_h, "0", "end", 10, MUTED),
    ]
    for i, (quarter, target, actual) in enumerate(points):
        cx = left + group * i + group / 2
        body.append(_text(cx, top + plot_h + 18, quarter, "middle", 10, MUTED))
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
    return _svg(width, height, title, body, "chart metric-chart")
