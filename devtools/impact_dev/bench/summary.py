"""The samples of a figure summed up: median [min–max] of each measured value."""

import statistics
from dataclasses import asdict
from typing import Any

from impact_dev.bench.session import Sample


def percentile(ordered: list[float], p: float) -> float | None:
    if not ordered:
        return None
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _mmm(values: list[float | None]) -> dict[str, float] | None:
    found = [v for v in values if v is not None]
    if not found:
        return None
    return {"min": min(found), "median": statistics.median(found), "max": max(found)}


def summarize(samples: list[Sample]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "runs": len(samples),
        "count": samples[0].count if samples else 0,
        "rate": _mmm([s.rate for s in samples]),
        "wall_s": _mmm([s.wall_s for s in samples]),
        "cpu_s": _mmm([s.cpu_s for s in samples]),
        "broker_cpu_s": _mmm([s.broker_cpu_s for s in samples]),
    }
    keys = {
        k
        for s in samples
        for k, v in s.extra.items()
        if isinstance(v, int | float) and not isinstance(v, bool)
    }
    for key in sorted(keys):
        out[key] = _mmm([s.extra.get(key) for s in samples])
    out["samples"] = [asdict(s) for s in samples]
    return out
