"""How the replay scales: its rate and the raw consumer's, and its peak memory, at each size
of one ``impact-dev bench --events 10000,100000,1000000`` run, as a table and a chart
(``bench-scaling.md``, ``bench-scaling.json``, ``bench-scaling.png``).

Each size is a bench of its own (``replay`` and ``memory``, ratios measured in the same run);
the peak memory of a size is the replay of all its events (10x) beside the replay of its
first tenth (1x), so the chart shows both curves and whether they stay flat.
"""

import contextlib
import json
import math
from pathlib import Path
from typing import Any

from impact_dev.bench.chart import load_font

Point = dict[str, Any]


def _median(row: dict[str, Any] | None, side: str) -> float | None:
    value = ((row or {}).get(side) or {}).get("rate") or {}
    return value.get("median")


def points(results: list[tuple[int, dict[str, Any]]]) -> list[Point]:
    """One point per size: events replayed, ours and the raw consumer (events/s), their
    ratio, and the replay's peak RSS at the size and at a tenth of it (MiB)."""
    out = []
    for size, result in results:
        rows: dict[str, dict[str, Any]] = {}
        for row in result["rows"]:  # the first row of a figure (later: "replay, vs kcat")
            rows.setdefault(row["figure"].split(":")[0].split(",")[0], row)
        replay, memory = rows.get("replay"), rows.get("peak memory of the replay")
        ours, raw = _median(replay, "ours"), _median(replay, "baseline")
        out.append(
            {
                "size": size,
                "events": ((replay or {}).get("ours") or {}).get("count"),
                "ours_per_s": ours,
                "raw_per_s": raw,
                "ratio": ours / raw if ours and raw else None,
                "peak_mib": _median(memory, "ours"),
                "peak_tenth_mib": _median(memory, "baseline"),
                "memory_ratio": (memory or {}).get("ratio"),
            }
        )
    return out


def _cell(value: float | None, pattern: str) -> str:
    return "—" if value is None else pattern.format(value)


def markdown(data: list[Point]) -> str:
    lines = [
        "| events | replay, events/s | raw kafka-python consumer, events/s | ratio "
        "| peak RSS, all / a tenth (MiB) | memory ratio |",
        "|---|---|---|---|---|---|",
    ]
    for p in data:
        lines.append(
            f"| {p['events'] or p['size']:,} | {_cell(p['ours_per_s'], '{:,.0f}')} "
            f"| {_cell(p['raw_per_s'], '{:,.0f}')} | {_cell(p['ratio'], '{:.3f}')} "
            f"| {_cell(p['peak_mib'], '{:,.0f}')} / {_cell(p['peak_tenth_mib'], '{:,.0f}')} "
            f"| {_cell(p['memory_ratio'], '{:.3f}')} |"
        )
    return "\n".join(lines) + "\n"


def write(results: list[tuple[int, dict[str, Any]]], folder: Path) -> list[Path]:
    data = points(results)
    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / "bench-scaling.json", folder / "bench-scaling.md"]
    written[0].write_text(json.dumps(data, indent=2), encoding="utf-8")
    written[1].write_text(markdown(data), encoding="utf-8")
    with contextlib.suppress(ImportError):  # no Pillow: the table and the JSON say it all
        written.append(draw(data, folder / "bench-scaling.png"))
    return written


# -- the chart: two panels, the size on a log axis --------------------------------------

WIDTH, HEIGHT, MARGIN, GAP = 1100, 460, 70, 90
PANEL = (WIDTH - 2 * MARGIN - GAP) // 2


def draw(data: list[Point], path: Path) -> Path:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    pen = ImageDraw.Draw(image)
    pen.text(
        (20, 16),
        "impact-dev bench: the replay at each size (medians; ratios measured in the same run)",
        fill="black",
        font=load_font(17),
    )
    sizes = [p["size"] for p in data]
    _panel(
        pen,
        MARGIN,
        "replay, events/s",
        sizes,
        [("raw kafka-python consumer", "#9e9e9e", [p["raw_per_s"] for p in data])],
        [("ours: Loader into ClickHouse", "#1565c0", [p["ours_per_s"] for p in data])],
        [f"{p['ratio']:.2f}x" if p["ratio"] else "" for p in data],
    )
    _panel(
        pen,
        MARGIN + PANEL + GAP,
        "peak RSS of the replay, MiB",
        sizes,
        [("its first tenth", "#9e9e9e", [p["peak_tenth_mib"] for p in data])],
        [("all its events", "#6a1b9a", [p["peak_mib"] for p in data])],
        [f"{p['memory_ratio']:.2f}x" if p["memory_ratio"] else "" for p in data],
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path


Series = tuple[str, str, list[float | None]]


def _panel(
    pen: Any,
    left: int,
    title: str,
    sizes: list[int],
    reference: list[Series],
    ours: list[Series],
    labels: list[str],
) -> None:
    top, bottom = 70, HEIGHT - 80
    font, small = load_font(14), load_font(12)
    values = [v for _, _, vs in reference + ours for v in vs if v]
    if not values:
        return
    high = max(values) * 1.15
    low_size, high_size = min(sizes), max(sizes)
    span = math.log10(high_size / low_size) if high_size > low_size else 1.0

    def x(size: int) -> float:
        share = math.log10(size / low_size) / span if high_size > low_size else 0.5
        return left + 30 + (PANEL - 60) * share

    def y(value: float) -> float:
        return bottom - (bottom - top) * value / high

    pen.text((left, top - 30), title, fill="black", font=font)
    pen.line([(left, top), (left, bottom), (left + PANEL, bottom)], fill="#555555", width=1)
    for step in range(5):
        value = high * step / 4
        pen.line([(left, y(value)), (left + PANEL, y(value))], fill="#eeeeee")
        pen.text((left - 60, y(value) - 7), f"{value:,.0f}", fill="#333333", font=small)
    for size in sizes:
        pen.text((x(size) - 20, bottom + 8), f"{size:,}", fill="#333333", font=small)
    pen.text(
        (left + PANEL // 2 - 50, bottom + 28), "events (log scale)", fill="#555555", font=small
    )
    for n, (name, colour, series) in enumerate(reference + ours):
        dots = [(x(s), y(v)) for s, v in zip(sizes, series, strict=True) if v]
        if len(dots) > 1:
            pen.line(dots, fill=colour, width=3)
        for dot in dots:
            pen.ellipse([(dot[0] - 4, dot[1] - 4), (dot[0] + 4, dot[1] + 4)], fill=colour)
        pen.rectangle(
            [(left + 10 + 230 * n, HEIGHT - 28), (left + 22 + 230 * n, HEIGHT - 16)], fill=colour
        )
        pen.text((left + 28 + 230 * n, HEIGHT - 30), name, fill="#333333", font=small)
    for size, rate, label in zip(sizes, ours[0][2], labels, strict=True):
        if rate and label:
            pen.text((x(size) + 6, y(rate) - 20), label, fill="black", font=small)
