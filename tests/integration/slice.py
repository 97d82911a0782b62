"""A few facts recorded through the ledger, shared by integration tests."""

from datetime import UTC, date, datetime
from decimal import Decimal

from impact.domain.program import Target
from impact.ledger import Ledger
from tests import commands as cmd


def record_programmes(ledger: Ledger, count: int, quarter: str = "2019Q1") -> None:
    agencies = ("KAMCO", "KIBO", "BPA", "HUG", "KOSPO", "KSD", "HF")
    for i in range(count):
        agency = agencies[i % len(agencies)]
        code = f"P-{agency}-{i:02d}"
        ledger.handle(
            cmd.register_program(
                code,
                agency,
                "S1-T1",
                f"사업 {i}",
                f"Programme {i}",
                1_000_000,
                date(2019, 1, 1),
                targets=(Target(metric="jobs_created", quarter=quarter, value=Decimal(10)),),
                occurred_at=datetime(2018, 12, 1, tzinfo=UTC),
            )
        )
        ledger.handle(
            cmd.report_outcome(
                code,
                agency,
                f"{code}/r1",
                "jobs_created",
                quarter,
                Decimal(i + 1),
                occurred_at=datetime(2019, 4, 5, tzinfo=UTC),
            )
        )
