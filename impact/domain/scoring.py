"""The promotion-score policy: versioned data adopted by an event.

A baseline policy (DESIGN §5): performance, ripple, efficiency and evidence, each
in [0, 1], weighted into a score in [0, 100]; gates decide who may be a candidate.
"""

from decimal import Decimal

from pydantic import Field

from impact.domain.base import Model


class ScoringPolicy(Model):
    version: int
    weight_performance: Decimal = Decimal("0.40")
    weight_ripple: Decimal = Decimal("0.30")
    weight_efficiency: Decimal = Decimal("0.15")
    weight_evidence: Decimal = Decimal("0.15")
    attainment_cap: Decimal = Field(default=Decimal("1.5"), description="Per-metric cap on actual/target.")
    min_quarters: int = Field(default=1, description="Quarters with data needed to be a candidate.")
    candidates: int = Field(default=5, description="How many top programmes the council sees.")


POLICY_V1 = ScoringPolicy(version=1)
POLICIES: dict[int, ScoringPolicy] = {1: POLICY_V1}
