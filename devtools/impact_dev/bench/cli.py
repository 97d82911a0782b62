"""``impact-dev bench``: how fast the log is relayed, loaded and replayed, against raw
baselines measured in the same run, on the real local broker and embedded ClickHouse.

This module is the command line of ``impact_dev.bench.runner`` and its table. Mounted in
``impact_dev.cli``; ``python -m impact_dev.bench.cli`` runs it the same way.
"""

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from impact.settings import Settings
from impact_dev.bench import runner, scaling
from impact_dev.bench.common import bench_dir


def _rate(summary: dict[str, Any] | None, unit: str) -> str:
    if not summary or not summary.get("rate"):
        return "—"
    r = summary["rate"]
    if unit == "MiB":
        return f"{r['median']:,.0f} MiB [{r['min']:,.0f}–{r['max']:,.0f}]"
    return f"{r['median']:,.0f}/s [{r['min']:,.0f}–{r['max']:,.0f}]"


def _time(summary: dict[str, Any] | None) -> str:
    if not summary or not summary.get("wall_s"):
        return "—"
    wall, cpu = summary["wall_s"]["median"], (summary.get("cpu_s") or {}).get("median")
    broker = (summary.get("broker_cpu_s") or {}).get("median")
    text = f"{wall:,.2f} s / {cpu:,.2f} CPU-s" if cpu is not None else f"{wall:,.2f} s"
    if broker is not None:
        text += f" (+broker {broker:,.2f})"
    return text


def _ms(summary: dict[str, Any], key: str) -> str:
    found = summary.get(key)
    if not found:
        return "—"
    return f"{found['median']:,.0f} ms [{found['min']:,.0f}–{found['max']:,.0f}]"


def cells(row: dict[str, Any]) -> list[str]:
    """figure, ours, ours time, baseline, baseline time, ratio, target."""
    ours: dict[str, Any] = row.get("ours") or {}
    base: dict[str, Any] | None = row.get("baseline")
    target = row.get("target", "")
    if row.get("met") is not None:
        target = f"{'met' if row['met'] else 'MISSED'}: {target}"
    if row.get("latency"):
        return [
            row["figure"],
            f"p50 {_ms(ours, 'p50_ms')}",
            f"p99 {_ms(ours, 'p99_ms')}",
            "stages (p50): "
            + ", ".join(
                f"{name} {ours[key]['median']:,.0f} ms"
                for name, key in (
                    ("sent→stored", "to_stored_ms_p50"),
                    ("stored→loaded", "stored_to_loaded_ms_p50"),
                    ("loaded→visible", "loaded_to_visible_ms_p50"),
                )
                if ours.get(key)
            ),
            "",
            "",
            target,
        ]
    if row.get("timing"):
        wall = ours["wall_s"]
        cold = (ours.get("cold_s") or {}).get("median")
        queries = (ours.get("queries_s") or {}).get("median")
        return [
            row["figure"],
            f"{wall['median'] * 1000:,.0f} ms "
            f"[{wall['min'] * 1000:,.0f}–{wall['max'] * 1000:,.0f}]",
            (f"SQL {queries * 1000:,.0f} ms of it; " if queries is not None else "")
            + f"{ours['cpu_s']['median']:,.2f} CPU-s (Python + chDB)"
            + (f"; first (cold) {cold * 1000:,.0f} ms" if cold else ""),
            "",
            "",
            "",
            target,
        ]
    ratio = f"{row['ratio']:.3f}x" if row.get("ratio") is not None else "—"
    return [
        row["figure"],
        _rate(ours, row["unit"]),
        _time(ours) if row["unit"] != "MiB" else "",
        f"{row.get('baseline_label', '')}: {_rate(base, row['unit'])}"
        if base
        else row.get("baseline_label", ""),
        _time(base) if base and row["unit"] != "MiB" else "",
        ratio,
        target,
    ]


HEADERS = (
    "figure",
    "ours: median [min–max]",
    "ours: wall / CPU (median)",
    "baseline, same run",
    "baseline: wall / CPU",
    "ratio ours/baseline",
    "target",
)


def table(result: dict[str, Any]) -> Table:
    o = result["options"]
    out = Table(
        title=f"impact-dev bench: {o['events']:,} events, {o['runs']} runs, "
        f"{result['machine']['cpus']} CPUs, {result['seconds']:.0f} s",
        show_lines=True,
    )
    for header in HEADERS:
        out.add_column(header, overflow="fold")
    for row in result["rows"]:
        out.add_row(*cells(row))
    return out


def markdown(result: dict[str, Any]) -> str:
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    for row in result["rows"]:
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells(row)) + " |")
    if result["notes"]:
        lines += ["", *(f"- {note}" for note in result["notes"])]
    return "\n".join(lines) + "\n"


def bench(
    events: Annotated[
        str,
        typer.Option(
            help="Events in the relayed and replayed log (built once, cached); several sizes "
            "(10000,100000,1000000) measure each in turn and chart how the replay scales."
        ),
    ] = "20000",
    runs: Annotated[int, typer.Option(min=1, help="Repeat every measurement this many times.")] = 3,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the results as JSON on stdout.")
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Folder for the JSON, Markdown and the chart (default: <state>/bench/out)."
        ),
    ] = None,
    only: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated figures: relay, replay, memory, ingest, latency, review "
            "(default: all)."
        ),
    ] = None,
    submissions: Annotated[
        int | None,
        typer.Option(
            help="Submissions the ingest figure applies (default: events/20, 500 to 5,000)."
        ),
    ] = None,
    latency_samples: Annotated[
        int, typer.Option(help="Submissions timed end to end per run.")
    ] = 100,
    latency_rate: Annotated[
        float, typer.Option(help="Submissions per second in the latency loop.")
    ] = 20.0,
    review_scales: Annotated[
        str,
        typer.Option(
            help="Scales of the review query figure: the 1x scenario's programmes and "
            "outcomes copied N times."
        ),
    ] = "1,10,100",
    profile: Annotated[
        Path | None,
        typer.Option(
            help="Record each measured phase of ours with py-spy (if installed) into this "
            "folder, with a hotspot report beside each profile."
        ),
    ] = None,
    prepare_only: Annotated[
        bool,
        typer.Option(
            "--prepare-only",
            help="Build the cached event stores and topics the figures need, measure nothing.",
        ),
    ] = False,
    keep_topics: Annotated[
        bool, typer.Option("--keep-topics", help="Keep the per-run bench topics.")
    ] = False,
    broker: Annotated[
        str,
        typer.Option(
            help="'local': the environment's broker (the local one is secured: SASL SCRAM over "
            "TLS, ACLs); 'plaintext': a PLAINTEXT broker of the bench's own on "
            "IMPACT_BENCH_PLAINTEXT_PORT (default 19092) and the next port, to measure what "
            "security costs against the same figures on 'local'; 'cluster': a three-node "
            "cluster of the bench's own (secured, topics at three replicas, acks=all) on "
            "IMPACT_BENCH_CLUSTER_PORT (default 29092) and the next two ports, controllers "
            "100 ports above. A list (local,cluster) measures each in turn in this run and "
            "compares them."
        ),
    ] = "local",
) -> None:
    """Measure relay, replay, ingest, latency, review and memory against raw baselines, and
    print one table (figure | ours | baseline measured in the same run | ratio)."""
    figures = tuple(f.strip() for f in only.split(",")) if only else runner.FIGURES
    unknown = set(figures) - set(runner.FIGURES)
    if unknown:
        raise typer.BadParameter(
            f"unknown figure(s) {', '.join(sorted(unknown))}; "
            f"choose from {', '.join(runner.FIGURES)}"
        )
    try:
        sizes = sorted({int(x.replace("_", "")) for x in events.split(",") if x.strip()})
    except ValueError:
        raise typer.BadParameter(f"--events {events!r}: give numbers like 20000") from None
    if not sizes or sizes[0] < 10:
        raise typer.BadParameter("--events must be at least 10")
    try:
        scales = tuple(sorted({int(x) for x in review_scales.split(",") if x.strip()}))
    except ValueError:
        raise typer.BadParameter(
            f"--review-scales {review_scales!r}: give numbers like 1,10,100"
        ) from None
    if not scales or min(scales) < 1:
        raise typer.BadParameter("--review-scales: each scale is 1 or more")
    brokers = [b.strip() for b in broker.split(",") if b.strip()]
    if not brokers or set(brokers) - set(BROKERS) or len(set(brokers)) != len(brokers):
        raise typer.BadParameter(
            f"--broker {broker!r}: one or more of {', '.join(BROKERS)}, each once"
        )
    if len(sizes) > 1 and len(brokers) > 1:
        raise typer.BadParameter("several --events sizes are measured on one --broker")
    folder = out or Settings().state_dir / "bench" / "out"
    err = Console(stderr=True)
    environment = dict(os.environ)
    results: list[tuple[str, dict[str, Any]]] = []
    for name in brokers:
        os.environ.clear()
        os.environ.update(environment)
        try:
            BROKERS[name](lambda text: err.print(text, markup=False, highlight=False))
            by_size: list[tuple[int, dict[str, Any]]] = []
            for size in sizes:
                place = folder / name if len(brokers) > 1 else folder
                result = _bench_once(
                    place / f"events-{size}" if len(sizes) > 1 else place,
                    figures,
                    size,
                    runs,
                    submissions,
                    latency_samples,
                    latency_rate,
                    keep_topics,
                    scales,
                    profile,
                    prepare_only,
                    as_json,
                )
                if result is not None:
                    by_size.append((size, result))
        finally:
            os.environ.clear()
            os.environ.update(environment)
        if len(sizes) > 1 and by_size:
            written = scaling.write(by_size, folder)
            if not as_json:
                Console().print(scaling.markdown(scaling.points(by_size)), markup=False)
            err.print(f"wrote {', '.join(str(p) for p in written)}", markup=False, highlight=False)
        if len(by_size) == 1:
            results.append((name, by_size[0][1]))
    if len(results) > 1 and not as_json:
        console = Console() if Console().is_terminal else Console(width=220)
        console.print(comparison(results))


def _bench_once(
    folder: Path,
    figures: tuple[str, ...],
    events: int,
    runs: int,
    submissions: int | None,
    latency_samples: int,
    latency_rate: float,
    keep_topics: bool,
    scales: tuple[int, ...],
    profile: Path | None,
    prepare_only: bool,
    as_json: bool,
) -> dict[str, Any] | None:
    """One broker's bench: measured, written to ``folder`` and printed."""
    options = runner.Options(
        events=events,
        runs=runs,
        out=folder,
        only=figures,
        submissions=submissions,
        latency_samples=latency_samples,
        latency_rate=latency_rate,
        keep_topics=keep_topics,
        review_scales=scales,
        profile=profile,
        prepare_only=prepare_only,
    )
    err = Console(stderr=True)
    result = runner.Bench(
        options, say=lambda text: err.print(text, markup=False, highlight=False)
    ).run()
    if prepare_only:
        err.print(
            "prepared: " + json.dumps(result["details"], default=str), markup=False, highlight=False
        )
        return None
    written = runner.write_artifacts(result, folder)
    (folder / "bench-latest.md").write_text(markdown(result), encoding="utf-8")
    if as_json:
        print(json.dumps(result, indent=2, default=str))
    else:
        console = Console() if Console().is_terminal else Console(width=220)
        console.print(table(result))
        for note in result["notes"]:
            console.print(f"note: {note}", markup=False)
    err.print(
        f"wrote {', '.join(str(p) for p in [*written, folder / 'bench-latest.md'])}",
        markup=False,
        highlight=False,
    )
    return result


def comparison(results: list[tuple[str, dict[str, Any]]]) -> Table:
    """Each rate figure of ours and of its raw baseline on every broker measured, and the
    ratio of each broker's to the first's."""
    first = results[0][0]
    out = Table(title="the same figures on each broker, this run", show_lines=True)
    out.add_column("figure", overflow="fold")
    for name, _ in results:
        out.add_column(f"ours on {name}", overflow="fold")
        out.add_column(f"raw baseline on {name}", overflow="fold")
    for name, _ in results[1:]:
        out.add_column(f"ours: {name} / {first}")
    for row in results[0][1]["rows"]:
        if row.get("latency") or row.get("timing") or row.get("unit") == "MiB":
            continue
        found = [
            next((r for r in result["rows"] if r["figure"] == row["figure"]), None)
            for _, result in results
        ]
        matches = [m for m in found if m is not None]
        if len(matches) < len(found):
            continue
        medians = [((m.get("ours") or {}).get("rate") or {}).get("median") for m in matches]
        cells = [row["figure"]]
        for m in matches:
            cells += [_rate(m.get("ours"), m.get("unit", "")), _rate(m.get("baseline"), "")]
        for median in medians[1:]:
            cells.append(f"{median / medians[0]:.2f}x" if median and medians[0] else "—")
        out.add_row(*cells)
    return out


def use_cluster(say: Any) -> None:
    """Point this process and its workers at a three-node cluster of the bench's own (started
    if need be, secured like the local broker, its jars linked from the local broker's),
    the ledger's topics at three replicas; the bench folder and its caches are kept."""
    from impact_dev.broker import LocalBroker
    from impact_dev.cluster import LocalCluster

    base = Settings()
    port = int(os.environ.get("IMPACT_BENCH_CLUSTER_PORT", "29092"))
    state = bench_dir() / "cluster"
    os.environ.update(
        {
            "IMPACT_BENCH_DIR": str(bench_dir()),
            "IMPACT_STATE_DIR": str(state),
            "KAFKA_BOOTSTRAP_SERVERS": ",".join(f"127.0.0.1:{port + i}" for i in range(3)),
            "IMPACT_KAFKA_CONTROLLER_PORT": str(port + 100),
            "IMPACT_KAFKA_CREDENTIALS": str(state / "kafka" / "security"),
            "IMPACT_REPLICATION_FACTOR": "3",
        }
    )
    cluster = LocalCluster(Settings())
    cluster.fetch(libs_from=LocalBroker(base).libs_dir)
    say(f"the bench runs against a three-node cluster on {cluster.bootstrap} ({state})")
    cluster.up(timeout=240)


def use_local_broker(say: Any) -> None:
    """The environment's broker, as it is."""


def use_plaintext_broker(say: Any) -> None:
    """Point this process and its workers at a PLAINTEXT local broker of the bench's own
    (started if need be, its jars linked from the local broker's), keeping the bench folder
    and its caches."""
    from impact_dev.broker import LocalBroker

    base = Settings()
    port = int(os.environ.get("IMPACT_BENCH_PLAINTEXT_PORT", "19092"))
    state = bench_dir() / "plaintext-broker"
    environment = {
        "IMPACT_BENCH_DIR": str(bench_dir()),
        "IMPACT_STATE_DIR": str(state),
        "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{port}",
        "IMPACT_KAFKA_CONTROLLER_PORT": str(port + 1),
        "IMPACT_KAFKA_SECURITY": "PLAINTEXT",
        "IMPACT_KAFKA_CREDENTIALS": str(state / "kafka" / "security"),
    }
    os.environ.update(environment)
    local = LocalBroker(Settings())
    if local.secured:
        raise typer.BadParameter(f"{state} holds a secured broker; remove it")
    local.fetch(libs_from=LocalBroker(base).libs_dir)
    say(f"the bench runs against a PLAINTEXT broker on 127.0.0.1:{port} ({state})")
    local.up()


BROKERS = {"local": use_local_broker, "plaintext": use_plaintext_broker, "cluster": use_cluster}
"""What ``--broker`` names: how each points this process (and its workers) at its broker."""


def main() -> None:
    from impact.cli.run import run_typer

    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command()(bench)
    run_typer(app)


if __name__ == "__main__":
    main()
