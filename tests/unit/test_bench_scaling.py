"""The bench's scaling summary: one point per size, read from each size's own result."""

from pathlib import Path

from impact_dev.bench import scaling


def _result(ours: float, raw: float, peak: float, tenth: float, count: int) -> dict:
    def side(rate: float, n: int) -> dict:
        return {"count": n, "rate": {"min": rate, "median": rate, "max": rate}}

    return {
        "rows": [
            {
                "figure": f"replay: topic offset 0 → fresh ClickHouse, events/s ({count:,} events)",
                "ours": side(ours, count),
                "baseline": side(raw, count),
                "ratio": ours / raw,
            },
            {
                "figure": f"peak memory of the replay, 10x ({count:,}) vs 1x events, MiB",
                "ours": side(peak, count),
                "baseline": side(tenth, count // 10),
                "ratio": peak / tenth,
            },
            {"figure": "replay, vs kcat", "ours": side(ours, count), "baseline": None},
            {"figure": "relay: event store → topic", "ours": side(1.0, count)},
        ]
    }


def test_each_size_gives_its_rates_ratio_and_peak_memory(tmp_path: Path) -> None:
    results = [
        (10_000, _result(8_000, 20_000, 380, 340, 10_277)),
        (100_000, _result(20_000, 50_000, 500, 400, 100_193)),
    ]
    points = scaling.points(results)
    assert [p["events"] for p in points] == [10_277, 100_193]
    assert [p["ratio"] for p in points] == [0.4, 0.4]
    assert [(p["peak_mib"], p["peak_tenth_mib"], p["memory_ratio"]) for p in points] == [
        (380, 340, 380 / 340),
        (500, 400, 1.25),
    ]
    table = scaling.markdown(points)
    assert "| 100,193 | 20,000 | 50,000 | 0.400 | 500 / 400 | 1.250 |" in table
    written = scaling.write(results, tmp_path)
    assert {p.name for p in written} >= {"bench-scaling.json", "bench-scaling.md"}


def test_a_size_without_a_figure_is_shown_as_missing() -> None:
    (point,) = scaling.points([(2_000, {"rows": []})])
    assert point["ratio"] is None and point["peak_mib"] is None
    assert "| 2,000 | — | — | — | — / — | — |" in scaling.markdown([point])
