"""The table: one row per figure, ours against its baseline, with the ratio and the target."""

from typing import Any

from impact_dev.bench.session import Options, Sample
from impact_dev.bench.summary import summarize

TARGETS = {
    "replay_vs_raw": 0.8,  # of the raw kafka-python consumer's rate, same topic
    "relay_vs_raw": 0.8,  # of the raw transactional producer's rate, same bytes and transactions
    "ingest_per_s": 5_000,  # signed submissions a second
    "latency_p99_ms": 250,  # submission → visible in the projections, at 20 a second
    "memory_growth": 1.2,  # peak RSS at 10x within 20% of 1x
    "review_100x_s": 0.2,
}


def rows(
    samples: dict[str, list[Sample]], details: dict[str, Any], o: Options
) -> list[dict[str, Any]]:
    """One dict per table row: figure, ours, baseline, ratio, target."""
    out: list[dict[str, Any]] = []
    s = {k: summarize(v) for k, v in samples.items()}

    def med(key: str, field_: str = "rate") -> float | None:
        found = s.get(key, {}).get(field_)
        return found["median"] if found else None

    def ratio(a: float | None, b: float | None) -> float | None:
        return a / b if a is not None and b else None

    def rate_row(
        figure: str,
        ours: str,
        base: str,
        base_label: str,
        unit: str,
        target: str = "",
        met: bool | None = None,
        target_ratio: float | None = None,
        short: str = "",
    ) -> None:
        if ours not in s or base not in s:
            return
        out.append(
            {
                "figure": figure,
                "unit": unit,
                "ours": s[ours],
                "baseline_label": base_label,
                "baseline": s[base],
                "ratio": ratio(med(ours), med(base)),
                "target": target,
                "met": met,
                "target_ratio": target_ratio,
                "short": short,
            }
        )

    n = next(iter(samples.get("replay", samples.get("relay", []))), None)
    size = f"{n.count:,} events" if n else ""
    rate_row(
        f"relay: event store → topic, events/s ({size})",
        "relay",
        "relay.raw_txn",
        "raw kafka-python producer, same bytes, same transactions",
        "events/s",
        f"≥ {TARGETS['relay_vs_raw']:.0%} of raw",
        _at_least(ratio(med("relay"), med("relay.raw_txn")), TARGETS["relay_vs_raw"]),
        TARGETS["relay_vs_raw"],
        short="relay / raw producer, same transactions",
    )
    rate_row(
        "relay, vs a plain producer",
        "relay",
        "relay.raw_plain",
        "raw kafka-python producer, same bytes, no transactions",
        "events/s",
        short="relay / raw producer, no transactions",
    )
    vs_raw = ratio(med("replay"), med("replay.raw"))
    rate_row(
        f"replay: topic offset 0 → fresh ClickHouse raw + projections, events/s ({size})",
        "replay",
        "replay.raw",
        "raw kafka-python consumer, same topic (ceiling)",
        "events/s",
        f"≥ {TARGETS['replay_vs_raw']:.0%} of raw",
        _at_least(vs_raw, TARGETS["replay_vs_raw"]),
        TARGETS["replay_vs_raw"],
        short="replay / raw kafka-python consumer",
    )
    if "replay.kcat" in s:
        rate_row(
            "replay, vs kcat",
            "replay",
            "replay.kcat",
            "kcat (librdkafka) → /dev/null, same topic",
            "events/s",
            short="replay / kcat (librdkafka)",
        )
    elif "kcat" in details and isinstance(details["kcat"], str):
        out.append(
            {
                "figure": "replay, vs kcat",
                "unit": "events/s",
                "ours": s.get("replay"),
                "baseline_label": details["kcat"],
                "baseline": None,
                "ratio": None,
                "target": "",
                "met": None,
            }
        )
    rate_row(
        f"ingest: signed submissions → domain → log, submissions/s ({o.ingest_count:,})",
        "ingest",
        "ingest.raw",
        "raw kafka-python consumer, same topic",
        "submissions/s",
        f"≥ {TARGETS['ingest_per_s']:,}/s",
        _at_least(med("ingest"), TARGETS["ingest_per_s"]),
        short="ingest / raw kafka-python consumer",
    )
    if "latency" in s:
        lat = s["latency"]
        out.append(
            {
                "figure": f"end-to-end latency, submission → visible in projections "
                f"({o.latency_samples} at {o.latency_rate:g}/s)",
                "unit": "ms",
                "ours": lat,
                "baseline_label": "",
                "baseline": None,
                "ratio": None,
                "target": f"p99 < {TARGETS['latency_p99_ms']} ms",
                "met": _below(lat.get("p99_ms", {}).get("median"), TARGETS["latency_p99_ms"]),
                "latency": True,
            }
        )
    for factor in o.review_scales:
        key = f"review.{factor}x"
        if key in s:
            found = s[key]
            target, met = "", None
            if factor == max(o.review_scales) and factor >= 100:
                target = f"< {TARGETS['review_100x_s'] * 1000:.0f} ms"
                met = _below(found["wall_s"]["median"], TARGETS["review_100x_s"])
            programmes = found.get("programmes", {}).get("median")
            outcomes = found.get("outcomes", {}).get("median")
            out.append(
                {
                    "figure": f"quarterly review query at {factor}x ({programmes:,.0f} programmes, "
                    f"{outcomes:,.0f} outcomes"
                    + (
                        "; the 1x scenario replayed"
                        if factor == 1
                        else "; the 1x programmes copied in raw_events by SQL"
                    )
                    + ")",
                    "unit": "ms",
                    "ours": found,
                    "baseline_label": "",
                    "baseline": None,
                    "ratio": None,
                    "target": target,
                    "met": met,
                    "timing": True,
                }
            )
    if "memory.1x" in s and "memory.10x" in s:
        growth = ratio(med("memory.10x"), med("memory.1x"))
        n10 = s["memory.10x"]["count"]
        n1 = s["memory.1x"]["count"]
        out.append(
            {
                "figure": f"peak memory of the replay, 10x ({n10:,}) vs 1x ({n1:,}) events, MiB",
                "unit": "MiB",
                "ours": s["memory.10x"],
                "baseline_label": "the same replay at 1x",
                "baseline": s["memory.1x"],
                "ratio": growth,
                "target": f"≤ {TARGETS['memory_growth']:.1f}x",
                "target_ratio": TARGETS["memory_growth"],
                "short": "replay peak memory, 10x / 1x events",
                "met": None if growth is None else bool(growth <= TARGETS["memory_growth"]),
            }
        )
    return out


def _at_least(value: float | None, target: float) -> bool | None:
    return None if value is None else bool(value >= target)


def _below(value: float | None, target: float) -> bool | None:
    return None if value is None else bool(value < target)
