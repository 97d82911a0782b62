"""The council's quarterly report: one self-contained HTML page built from the projections."""

from impact.domain.quarter import Quarter
from impact.projections.store import ProjectionStore
from impact.report.data import ReportData, gather
from impact.report.render import render


def build_report(store: ProjectionStore, quarter: Quarter) -> str:
    """The report of a quarter as HTML text (UTF-8), from what ClickHouse holds."""
    return render(gather(store, quarter))


__all__ = ["ReportData", "build_report", "gather", "render"]
