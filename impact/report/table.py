"""The ranking of a promotion review as a terminal table (``impact review``, ``impact demo``)."""

from typing import Any

from rich.table import Table

COMPONENT_COLUMNS = (
    ("performance", "사업성과\nperform."),
    ("ripple", "파급효과\nripple"),
    ("efficiency", "효율성\nefficiency"),
    ("evidence", "증빙\nevidence"),
)


def ranking_table(review: Any, titles: dict[str, dict[str, Any]]) -> Table:
    table = Table(
        title=f"Promotion review {review.quarter}: ranked programmes "
        f"(policy v{review.policy.version})"
    )
    for col, justify in (
        ("rank", "right"),
        ("programme", "left"),
        ("agency", "left"),
        ("title", "left"),
        ("score", "right"),
        *((label, "right") for _, label in COMPONENT_COLUMNS),
        ("eligible", "left"),
    ):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for c in review.candidates:
        t = titles.get(c.program_code, {})
        table.add_row(
            str(c.rank),
            c.program_code,
            t.get("agency", ""),
            f"{t.get('title_ko', '')}\n{t.get('title_en', '')}",
            str(c.score),
            *(f"{c.components[k]:.2f}" for k, _ in COMPONENT_COLUMNS),
            "yes" if c.eligible else f"no: {c.failed_gate}",
        )
    return table
