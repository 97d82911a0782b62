"""A chart of ours against baseline: one bar per ratio, on a log scale, 1.0 marked.

Drawn with Pillow (in the dev extras) as PNG; without Pillow, the same chart as SVG.
"""

import math
from pathlib import Path
from typing import Any

WIDTH, ROW, LEFT, RIGHT, TOP, BOTTOM = 1100, 46, 430, 90, 70, 60
LOW, HIGH = 0.001, 10.0  # the log axis


Bar = tuple[str, float, float | None, bool]


def bars(result: dict[str, Any]) -> list[Bar]:
    """(label, ratio, target ratio or None, lower is better) for every row with a ratio."""
    out = []
    for row in result["rows"]:
        if row.get("ratio") is None:
            continue
        label = row.get("short") or row["figure"][:50]
        target = row.get("target_ratio")
        out.append((label[:60], float(row["ratio"]), target, row["unit"] == "MiB"))
    return out


def _x(value: float) -> float:
    value = min(max(value, LOW), HIGH)
    span = math.log10(HIGH) - math.log10(LOW)
    return LEFT + (WIDTH - LEFT - RIGHT) * (math.log10(value) - math.log10(LOW)) / span


def draw(result: dict[str, Any], out: Path) -> list[Path]:
    data = bars(result)
    if not data:
        return []
    try:
        return [_png(result, data, out / "bench-ratios.png")]
    except ImportError:
        return [_svg(result, data, out / "bench-ratios.svg")]


def _title(result: dict[str, Any]) -> str:
    o = result["options"]
    return (
        f"impact-dev bench: ours / baseline, median of {o['runs']} runs "
        f"({o['events']:,} events; {result['machine']['cpus']} CPUs)"
    )


def load_font(size: int) -> Any:
    from PIL import ImageFont

    for path in (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    ):
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)


def _png(result: dict[str, Any], data: list[Bar], path: Path) -> Path:
    from PIL import Image, ImageDraw

    height = TOP + ROW * len(data) + BOTTOM
    image = Image.new("RGB", (WIDTH, height), "white")
    pen = ImageDraw.Draw(image)
    font, small, big = load_font(14), load_font(12), load_font(17)
    pen.text((20, 20), _title(result), fill="black", font=big)
    for tick in (0.001, 0.01, 0.1, 0.5, 1, 2, 10):
        x = _x(tick)
        pen.line(
            [(x, TOP - 8), (x, height - BOTTOM + 4)],
            fill="#dddddd" if tick != 1 else "#555555",
            width=1 if tick != 1 else 2,
        )
        pen.text((x - 10, height - BOTTOM + 10), f"{tick:g}x", fill="#333333", font=small)
    for i, (label, ratio, target, lower) in enumerate(data):
        y = TOP + i * ROW
        pen.text((20, y + 12), label, fill="black", font=font)
        if target is None:
            colour = "#1565c0"
        else:
            met = ratio <= target if lower else ratio >= target
            colour = "#2e7d32" if met else "#c62828"
        pen.rectangle([(LEFT, y + 8), (_x(ratio), y + ROW - 10)], fill=colour)
        pen.text((_x(ratio) + 6, y + 12), f"{ratio:.3g}x", fill="black", font=font)
        if target is not None:
            tx = _x(target)
            pen.line([(tx, y + 4), (tx, y + ROW - 6)], fill="#ff9800", width=3)
    pen.text(
        (LEFT, height - 24),
        "log scale; orange: target (green met, red missed); blue: reference, no target",
        fill="#555555",
        font=small,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path


def _svg(result: dict[str, Any], data: list[Bar], path: Path) -> Path:
    from html import escape

    height = TOP + ROW * len(data) + BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'font-family="sans-serif" font-size="14"><rect width="100%" height="100%" fill="white"/>',
        f'<text x="20" y="36" font-size="17">{escape(_title(result))}</text>',
    ]
    for tick in (0.001, 0.01, 0.1, 0.5, 1, 2, 10):
        x = _x(tick)
        parts.append(
            f'<line x1="{x:.1f}" y1="{TOP - 8}" x2="{x:.1f}" y2="{height - BOTTOM + 4}" '
            f'stroke="{"#555" if tick == 1 else "#ddd"}"/>'
            f'<text x="{x - 10:.1f}" y="{height - BOTTOM + 22}" font-size="12">{tick:g}x</text>'
        )
    for i, (label, ratio, target, _) in enumerate(data):
        y = TOP + i * ROW
        parts.append(
            f'<text x="20" y="{y + 26}">{escape(label)}</text>'
            f'<rect x="{LEFT}" y="{y + 8}" width="{_x(ratio) - LEFT:.1f}" height="{ROW - 18}" '
            f'fill="#1565c0"/><text x="{_x(ratio) + 6:.1f}" y="{y + 26}">{ratio:.3g}x</text>'
        )
        if target is not None:
            parts.append(
                f'<line x1="{_x(target):.1f}" y1="{y + 4}" x2="{_x(target):.1f}" '
                f'y2="{y + ROW - 6}" stroke="#ff9800" stroke-width="3"/>'
            )
    parts.append("</svg>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts))
    return path
