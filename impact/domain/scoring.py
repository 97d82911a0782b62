"""The promotion score: a versioned policy, and ``score_quarter`` over one quarter's inputs.

The plan asks whether a programme's performance (사업성과) and ripple effect (파급효과)
are excellent enough for it to become a joint project (DESIGN §5). Four components,
each in [0, 1], are weighted into a score in [0, 100]:

* performance = Σ w_m · min(actual_m / target_m, cap) / cap  ÷  Σ w_m, over the targets
  the programme set itself for the quarter (a target not reported counts 0; for a
  metric where lower is better the ratio is target / actual);
* ripple = a weighted sum of
  reach (people reached by beneficiary metrics, over the most any programme reached),
  breadth (other agencies and partners involved, over ``breadth_saturation``, at most 1),
  spill-over (mean over its spill-over metrics of value / the highest value reported),
  citizen origin (1 when born from an adopted citizen proposal),
  trend ((1 + mean growth against the previous quarter) / 2, each growth in [-1, 1], over
  the metrics where higher is better);
* efficiency = mean over its outcome metrics of (value per KRW) / (best value per KRW
  among programmes of the same task reporting that metric); the KRW is the quarter's
  ``budget_spent_krw`` when reported, otherwise the registered budget;
* evidence = share of its reported outcomes backed by an evidence hash, minus
  ``correction_penalty`` per correction, at least 0.

Gates keep a programme out of the candidates (it is still scored, with the failing gate
named): fewer than ``min_quarters`` quarters with data, suspended, completed, already a
joint project. The ranking puts eligible programmes first, by score, ties by code.

Arithmetic is Decimal throughout, in a fixed context; each component is rounded to 4
places and the score, computed from the rounded components, to 2 (half up). The inputs
have a digest (sha256 of their RFC 8785 canonical JSON), so the same inputs under the
same policy give the same bytes.
"""

import hashlib
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Context, Decimal, getcontext, localcontext
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, Field, field_validator, model_serializer, model_validator

from impact.canonical_json import canonical
from impact.domain.base import Model
from impact.domain.quarter import QuarterText
from impact.domain.review import Flag, ScoredCandidate

COMPONENT_PLACES = Decimal("0.0001")
SCORE_PLACES = Decimal("0.01")
ARITHMETIC = Context(prec=28, rounding=ROUND_HALF_UP)

ZERO = Decimal(0)
ONE = Decimal(1)

MAIN_COMPONENTS = ("performance", "ripple", "efficiency", "evidence")
RIPPLE_PARTS = ("reach", "breadth", "spillover", "citizen_origin", "trend")
COMPONENTS: tuple[str, ...] = (*MAIN_COMPONENTS, *RIPPLE_PARTS)

Gate = Literal["too_few_quarters", "suspended", "completed", "already_joint"]


def plain(value: Decimal) -> Decimal:
    """The same number without trailing zeros or exponent: ``6150.500000`` → ``6150.5``."""
    _, digits, exponent = value.as_tuple()
    if exponent == 0 and value and len(digits) <= getcontext().prec:
        return value  # an integer written plainly, as most are: normalizing gives it back
    normal = value.normalize()
    return Decimal(format(normal, "f")) if normal else ZERO


Quantity = Annotated[Decimal, Field(allow_inf_nan=False), AfterValidator(plain)]


# -- the policy ----------------------------------------------------------------------


class RippleWeights(Model):
    reach: Decimal = Decimal("0.30")
    breadth: Decimal = Decimal("0.25")
    spillover: Decimal = Decimal("0.20")
    citizen_origin: Decimal = Decimal("0.15")
    trend: Decimal = Decimal("0.10")


class PlausibilityRule(Model):
    """A value more than ``threshold`` times its reference is flagged for the council, and
    counts as ``treatment`` says: as is, capped at ``threshold`` times the reference, or left
    out until another member or an auditor attests its evidence. The reference is the
    programme's own ``target`` for the quarter, its ``previous`` quarter's value, or the
    ``task_median``: the median of the other programmes of its task reporting the metric
    (at least two of them). Metrics where lower is better are not checked."""

    statistic: Literal["target", "previous", "task_median"]
    threshold: Decimal = Field(gt=1)
    treatment: Literal["as_is", "cap", "exclude_until_attested"] = "cap"


class ScoringPolicy(Model):
    """A version of the promotion-score policy; adopted by ``Consortium.PolicyAdopted``.

    The fields after ``candidates`` came with v2; their defaults are v1's rules (no deadline,
    every partner and every evidence hash counts, no plausibility rule), so a v1 review
    replays as it was recorded."""

    version: int = Field(ge=1)
    weight_performance: Decimal = Decimal("0.40")
    weight_ripple: Decimal = Decimal("0.30")
    weight_efficiency: Decimal = Decimal("0.15")
    weight_evidence: Decimal = Decimal("0.15")
    ripple: RippleWeights = RippleWeights()
    attainment_cap: Decimal = Field(
        default=Decimal("1.5"), gt=0, description="Per-metric cap on actual/target."
    )
    metric_weights: dict[str, Decimal] = Field(
        default_factory=dict, description="Weight of a metric in performance; 1 when not named."
    )
    breadth_saturation: int = Field(
        default=6, ge=1, description="Other agencies plus partners at which breadth is full."
    )
    trend_without_history: Decimal = Field(
        default=Decimal("0.5"), description="Trend of a programme with nothing to compare against."
    )
    efficiency_without_peers: Decimal = Field(
        default=Decimal("0.5"), description="Efficiency of a programme with no peer in its task."
    )
    correction_penalty: Decimal = Field(default=Decimal("0.10"), ge=0)
    min_quarters: int = Field(
        default=1, ge=0, description="Quarters with data needed to be a candidate."
    )
    candidates: int = Field(
        default=5, ge=1, description="How many top programmes the council sees."
    )
    report_deadline_days: int | None = Field(
        default=None,
        ge=0,
        description="Days after a quarter's end by which its outcomes are due; an outcome first "
        "reported later is late. None: no deadline.",
    )
    late_penalty: Decimal = Field(
        default=ZERO, ge=0, description="Taken off evidence for each late outcome."
    )
    confirmed_partners_only: bool = Field(
        default=False,
        description="Breadth counts only agencies that accepted and other partners with an "
        "identifier or evidence.",
    )
    evidence_registered: Decimal | None = Field(
        default=None,
        ge=0,
        le=1,
        description="What an outcome whose document is in the evidence register counts in "
        "evidence; one whose document was attested counts evidence_attested, any other 0. "
        "None: any evidence hash counts 1.",
    )
    evidence_attested: Decimal = Field(default=ONE, ge=0, le=1)
    plausibility: tuple[PlausibilityRule, ...] = ()

    @model_validator(mode="after")
    def _weights_sum_to_one(self) -> "ScoringPolicy":
        main = (
            self.weight_performance
            + self.weight_ripple
            + self.weight_efficiency
            + self.weight_evidence
        )
        ripple = sum((getattr(self.ripple, p) for p in RIPPLE_PARTS), ZERO)
        if main != ONE or ripple != ONE:
            raise ValueError(
                f"policy v{self.version}: component weights must add up to 1 (they add up to "
                f"{main}) and so must the ripple weights (they add up to {ripple})"
            )
        return self

    def weights(self) -> dict[str, Decimal]:
        """The weight of every component in the score (ripple parts: within ripple)."""
        return {
            "performance": self.weight_performance,
            "ripple": self.weight_ripple,
            "efficiency": self.weight_efficiency,
            "evidence": self.weight_evidence,
            **{p: getattr(self.ripple, p) for p in RIPPLE_PARTS},
        }

    def metric_weight(self, metric: str) -> Decimal:
        return self.metric_weights.get(metric, ONE)


POLICY_V1 = ScoringPolicy(version=1)
BASELINE_EFFECTIVE_FROM = "2018Q4"
"""v1 is in force from the quarter the consortium was founded in (28 Nov 2018)."""

POLICY_V2 = ScoringPolicy(
    version=2,
    report_deadline_days=35,
    late_penalty=Decimal("0.05"),
    confirmed_partners_only=True,
    evidence_registered=Decimal("0.6"),
    evidence_attested=ONE,
    plausibility=(
        PlausibilityRule(statistic="target", threshold=Decimal(3), treatment="cap"),
        PlausibilityRule(
            statistic="previous", threshold=Decimal(5), treatment="exclude_until_attested"
        ),
        PlausibilityRule(statistic="task_median", threshold=Decimal(10), treatment="cap"),
    ),
)
"""Scores the consortium can trust: outcomes are due 35 days after their quarter (each late
one takes 0.05 off evidence), breadth counts confirmed partners only, evidence counts 0.6
for a registered document and 1 for an attested one (a hash no one registered: 0), and a
value above 3x its target is capped there, above 5x its previous quarter left out until
attested, above 10x its task's median capped there."""


# -- the inputs ----------------------------------------------------------------------


def _drop_unset(data: Any, names: tuple[str, ...]) -> Any:
    """Inputs a policy does not use are None and left out of the canonical JSON, so the
    inputs of a review under an earlier policy keep their digest."""
    if isinstance(data, dict):
        for name in names:
            if data.get(name) is None:
                data.pop(name, None)
    return data


class TargetInput(Model):
    metric: str
    target: Quantity
    actual: Quantity | None
    lower_is_better: bool = False


class OutcomeInput(Model):
    """A programme's current value of one metric for the quarter, as known then."""

    metric: str
    value: Quantity
    previous: Quantity | None = Field(
        description="Its value for the previous quarter, if reported."
    )
    evidenced: bool
    reach: bool = False
    spillover: bool = False
    lower_is_better: bool = False
    per_krw: bool = Field(
        default=True, description="A quantity that can be set against money spent."
    )
    reported_days_after: int | None = Field(
        default=None, description="Whole days after the quarter's end it was first reported."
    )
    registered: bool | None = Field(
        default=None, description="Its evidence names a document of the evidence register."
    )
    attested: bool | None = Field(
        default=None, description="That document was attested by another member or an auditor."
    )

    _POLICY_FIELDS: ClassVar[tuple[str, ...]] = ("reported_days_after", "registered", "attested")

    @model_serializer(mode="wrap")
    def _without_unused(self, handler):
        return _drop_unset(handler(self), self._POLICY_FIELDS)


class ProgramQuarterInputs(Model):
    """Everything the score of one programme for one quarter depends on."""

    program_code: str
    agency: str
    task_code: str
    status: Literal["active", "suspended", "completed"] = "active"
    joint: bool = False
    agencies: tuple[str, ...] = Field(description="Owner, joint participants and agency partners.")
    partners: int = Field(default=0, ge=0, description="Partners that are not agencies.")
    citizen_origin: bool = False
    budget_krw: int = Field(ge=0)
    budget_spent_krw: Quantity | None = None
    quarters_with_data: int = Field(ge=0)
    corrections: int = Field(default=0, ge=0)
    targets: tuple[TargetInput, ...] = ()
    outcomes: tuple[OutcomeInput, ...] = ()
    confirmed_agencies: tuple[str, ...] | None = Field(
        default=None, description="Owner, joint participants and agency partners that accepted."
    )
    confirmed_partners: int | None = Field(
        default=None, ge=0, description="Other partners with an identifier or evidence."
    )

    _POLICY_FIELDS: ClassVar[tuple[str, ...]] = ("confirmed_agencies", "confirmed_partners")

    @model_serializer(mode="wrap")
    def _without_unused(self, handler):
        return _drop_unset(handler(self), self._POLICY_FIELDS)

    @field_validator("agencies")
    @classmethod
    def _agencies_sorted(cls, agencies: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(sorted(set(agencies)))

    @field_validator("targets", "outcomes")
    @classmethod
    def _by_metric(cls, items: tuple[Any, ...]) -> tuple[Any, ...]:
        metrics = [i.metric for i in items]
        if len(set(metrics)) != len(metrics):
            raise ValueError("a metric appears twice for one programme and quarter")
        return tuple(sorted(items, key=lambda i: i.metric))


class QuarterInputs(Model):
    quarter: QuarterText
    programmes: tuple[ProgramQuarterInputs, ...]

    @field_validator("programmes")
    @classmethod
    def _sorted_by_code(
        cls, programmes: tuple[ProgramQuarterInputs, ...]
    ) -> tuple[ProgramQuarterInputs, ...]:
        codes = [p.program_code for p in programmes]
        if len(set(codes)) != len(codes):
            raise ValueError("a programme appears twice in the quarter's inputs")
        return tuple(sorted(programmes, key=lambda p: p.program_code))

    def for_policy(self, policy: "ScoringPolicy") -> "QuarterInputs":
        """The inputs the policy uses: what it has no rule for is left unset (None)."""
        late = policy.report_deadline_days is not None
        register = policy.evidence_registered is not None
        confirmed = policy.confirmed_partners_only

        def outcome(o: OutcomeInput) -> OutcomeInput:
            unused = (not late and o.reported_days_after is not None) or (
                not register and (o.registered is not None or o.attested is not None)
            )
            if not unused:  # as it is: a policy with every rule copies nothing
                return o
            return o.model_copy(
                update={
                    "reported_days_after": o.reported_days_after if late else None,
                    "registered": o.registered if register else None,
                    "attested": o.attested if register else None,
                }
            )

        def programme(p: ProgramQuarterInputs) -> ProgramQuarterInputs:
            outcomes = tuple(outcome(o) for o in p.outcomes)
            unused = not confirmed and (
                p.confirmed_agencies is not None or p.confirmed_partners is not None
            )
            if not unused and all(a is b for a, b in zip(outcomes, p.outcomes, strict=True)):
                return p
            return p.model_copy(
                update={
                    "outcomes": outcomes,
                    "confirmed_agencies": p.confirmed_agencies if confirmed else None,
                    "confirmed_partners": p.confirmed_partners if confirmed else None,
                }
            )

        programmes = tuple(programme(p) for p in self.programmes)
        if all(a is b for a, b in zip(programmes, self.programmes, strict=True)):
            return self
        return self.model_copy(update={"programmes": programmes})

    def canonical_json(self) -> bytes:
        """RFC 8785 canonical JSON: sorted keys, decimals as strings."""
        return canonical(self.model_dump(mode="json"))

    def digest(self) -> str:
        return hashlib.sha256(self.canonical_json()).hexdigest()


# -- the score -----------------------------------------------------------------------


def _round(value: Decimal) -> Decimal:
    return min(ONE, max(ZERO, value)).quantize(COMPONENT_PLACES)


def _mean(values: Sequence[Decimal]) -> Decimal | None:
    return sum(values, ZERO) / len(values) if values else None


def performance(p: ProgramQuarterInputs, policy: ScoringPolicy) -> Decimal:
    weighted = total = ZERO
    cap = policy.attainment_cap
    for t in p.targets:
        if t.target <= 0:
            continue
        weight = policy.metric_weight(t.metric)
        if t.actual is None:
            ratio = ZERO
        elif t.lower_is_better:
            ratio = cap if t.actual == 0 else t.target / t.actual
        else:
            ratio = t.actual / t.target
        weighted += weight * min(ratio, cap) / cap
        total += weight
    return weighted / total if total else ZERO


def reach_value(p: ProgramQuarterInputs) -> Decimal:
    return sum((o.value for o in p.outcomes if o.reach), ZERO)


def trend(p: ProgramQuarterInputs, policy: ScoringPolicy) -> Decimal:
    growths = []
    for o in p.outcomes:
        if o.previous is None or o.lower_is_better:  # spending less is not more impact
            continue
        if o.previous == 0:
            growth = ONE if o.value > 0 else ZERO
        else:
            growth = (o.value - o.previous) / o.previous
        growths.append(min(ONE, max(-ONE, growth)))
    mean = _mean(growths)
    return policy.trend_without_history if mean is None else (ONE + mean) / 2


def budget_basis(p: ProgramQuarterInputs) -> Decimal:
    if p.budget_spent_krw is not None and p.budget_spent_krw > 0:
        return p.budget_spent_krw
    return Decimal(p.budget_krw)


def _intensities(p: ProgramQuarterInputs) -> dict[str, Decimal]:
    """Outcome per KRW, per metric that can be set against money."""
    basis = budget_basis(p)
    if basis <= 0:
        return {}
    return {o.metric: o.value / basis for o in p.outcomes if o.per_krw and not o.lower_is_better}


class _Peers:
    """What each programme is compared against: everyone in the quarter, or its task."""

    def __init__(self, programmes: Iterable[ProgramQuarterInputs]) -> None:
        self.reach_max = ZERO
        self.spillover_max: dict[str, Decimal] = {}
        self.intensity_max: dict[tuple[str, str], Decimal] = {}
        self.intensity_count: dict[tuple[str, str], int] = {}
        # Each programme's reach and intensities, worked out once (keyed by its code).
        self.reach_of: dict[str, Decimal] = {}
        self.intensities_of: dict[str, dict[str, Decimal]] = {}
        for p in programmes:
            reach = self.reach_of[p.program_code] = reach_value(p)
            self.reach_max = max(self.reach_max, reach)
            for o in p.outcomes:
                if o.spillover:
                    self.spillover_max[o.metric] = max(
                        self.spillover_max.get(o.metric, ZERO), o.value
                    )
            intensities = self.intensities_of[p.program_code] = _intensities(p)
            for metric, value in intensities.items():
                key = (p.task_code, metric)
                self.intensity_max[key] = max(self.intensity_max.get(key, ZERO), value)
                self.intensity_count[key] = self.intensity_count.get(key, 0) + 1

    def reach(self, p: ProgramQuarterInputs) -> Decimal:
        return self.reach_of[p.program_code] / self.reach_max if self.reach_max > 0 else ZERO

    def spillover(self, p: ProgramQuarterInputs) -> Decimal:
        shares = [
            o.value / self.spillover_max[o.metric]
            for o in p.outcomes
            if o.spillover and self.spillover_max[o.metric] > 0
        ]
        return _mean(shares) or ZERO

    def efficiency(self, p: ProgramQuarterInputs, policy: ScoringPolicy) -> Decimal:
        shares = []
        for metric, value in self.intensities_of[p.program_code].items():
            key = (p.task_code, metric)
            if self.intensity_count[key] >= 2 and self.intensity_max[key] > 0:
                shares.append(value / self.intensity_max[key])
        mean = _mean(shares)
        return policy.efficiency_without_peers if mean is None else mean


def breadth(p: ProgramQuarterInputs, policy: ScoringPolicy) -> Decimal:
    if policy.confirmed_partners_only and p.confirmed_agencies is not None:
        agencies, partners = p.confirmed_agencies, p.confirmed_partners or 0
    else:
        agencies, partners = p.agencies, p.partners
    others = len(set(agencies) - {p.agency}) + partners
    return Decimal(others) / Decimal(policy.breadth_saturation)


def is_late(o: OutcomeInput, policy: ScoringPolicy) -> bool:
    deadline = policy.report_deadline_days
    return deadline is not None and (o.reported_days_after or 0) > deadline


def _backing(o: OutcomeInput, policy: ScoringPolicy) -> Decimal:
    if policy.evidence_registered is None or o.registered is None:
        return ONE if o.evidenced else ZERO
    if not o.evidenced:
        return ZERO
    if o.attested:
        return policy.evidence_attested
    return policy.evidence_registered if o.registered else ZERO


def evidence(p: ProgramQuarterInputs, policy: ScoringPolicy) -> Decimal:
    if not p.outcomes:
        return ZERO
    backed = sum((_backing(o, policy) for o in p.outcomes), ZERO) / Decimal(len(p.outcomes))
    late = sum(1 for o in p.outcomes if is_late(o, policy))
    return backed - policy.correction_penalty * p.corrections - policy.late_penalty * late


# -- flags: late reports and implausible values ------------------------------------------


def task_medians(
    programmes: Iterable[ProgramQuarterInputs],
) -> dict[tuple[str, str], list[Decimal]]:
    """Every value reported per (task, metric), in order, for the ``task_median`` reference."""
    values: dict[tuple[str, str], list[Decimal]] = {}
    for p in programmes:
        for o in p.outcomes:
            values.setdefault((p.task_code, o.metric), []).append(o.value)
    for reported in values.values():
        reported.sort()
    return values


def _median_of_others(ordered: Sequence[Decimal], value: Decimal) -> Decimal | None:
    """The median of ``ordered`` (sorted) without one of its ``value``s; None when fewer
    than two others are left. The others are not copied and sorted again for each
    programme: the remaining values' places are those of ``ordered`` shifted past
    ``value``'s, so a quarter of n programmes of one task costs n log n, not n² log n."""
    count = len(ordered) - 1
    if count < 2:
        return None
    gone = bisect_left(ordered, value)

    def other(k: int) -> Decimal:
        return ordered[k if k < gone else k + 1]

    middle = count // 2
    if count % 2:
        return other(middle)
    return (other(middle - 1) + other(middle)) / 2


def _reference(
    rule: PlausibilityRule,
    p: ProgramQuarterInputs,
    o: OutcomeInput,
    peers: Mapping[tuple[str, str], list[Decimal]],
) -> Decimal | None:
    if rule.statistic == "target":
        found = [t.target for t in p.targets if t.metric == o.metric]
        return found[0] if found else None
    if rule.statistic == "previous":
        return o.previous
    return _median_of_others(peers[(p.task_code, o.metric)], o.value)


_STRICTNESS = {"as_is": 0, "cap": 1, "exclude_until_attested": 2}


def checked(
    p: ProgramQuarterInputs,
    policy: ScoringPolicy,
    peers: Mapping[tuple[str, str], list[Decimal]],
) -> tuple[ProgramQuarterInputs, tuple[Flag, ...]]:
    """The programme's inputs as the policy counts them, and the flags the council sees."""
    flags: list[Flag] = []
    counted: dict[str, Decimal | None] = {}  # metric -> value it counts with (None: left out)
    for o in p.outcomes:
        if is_late(o, policy):
            flags.append(
                Flag(
                    metric=o.metric,
                    kind="late",
                    value=o.value,
                    threshold=Decimal(policy.report_deadline_days or 0),
                    treatment="as_is",
                    reason=f"first reported {o.reported_days_after} days after the quarter "
                    f"ended; due within {policy.report_deadline_days}"
                    + (f" (evidence -{policy.late_penalty})" if policy.late_penalty else ""),
                )
            )
        if o.lower_is_better:
            continue
        for rule in policy.plausibility:
            reference = _reference(rule, p, o, peers)
            if reference is None or reference <= 0 or o.value <= rule.threshold * reference:
                continue
            treatment = rule.treatment
            if treatment == "exclude_until_attested" and o.attested:
                treatment = "as_is"
            ratio = (o.value / reference).quantize(SCORE_PLACES)
            flags.append(
                Flag(
                    metric=o.metric,
                    kind=rule.statistic,
                    value=o.value,
                    reference=plain(reference),
                    threshold=rule.threshold,
                    treatment=treatment,
                    reason=f"{o.value} is {ratio} times its {rule.statistic.replace('_', ' ')} "
                    f"{plain(reference)} (flagged above {rule.threshold} times)"
                    + (
                        " — attested, so it counts"
                        if o.attested and rule.treatment != treatment
                        else ""
                    ),
                )
            )
            now = counted.get(o.metric, o.value)
            if treatment == "exclude_until_attested":
                counted[o.metric] = None
            elif treatment == "cap" and now is not None:
                counted[o.metric] = min(now, plain(rule.threshold * reference))
    if not counted:
        return p, tuple(flags)
    outcomes = tuple(
        o if o.metric not in counted else o.model_copy(update={"value": counted[o.metric]})
        for o in p.outcomes
        if o.metric not in counted or counted[o.metric] is not None
    )
    targets = tuple(
        t if t.metric not in counted else t.model_copy(update={"actual": counted[t.metric]})
        for t in p.targets
    )
    return p.model_copy(update={"outcomes": outcomes, "targets": targets}), tuple(flags)


def failed_gate(p: ProgramQuarterInputs, policy: ScoringPolicy) -> Gate | None:
    if p.quarters_with_data < policy.min_quarters:
        return "too_few_quarters"
    if p.status == "suspended":
        return "suspended"
    if p.status == "completed":
        return "completed"
    if p.joint:
        return "already_joint"
    return None


def components_of(
    p: ProgramQuarterInputs,
    peers: _Peers,
    policy: ScoringPolicy,
    weights: Mapping[str, Decimal] | None = None,
) -> dict[str, Decimal]:
    parts = {
        "reach": _round(peers.reach(p)),
        "breadth": _round(breadth(p, policy)),
        "spillover": _round(peers.spillover(p)),
        "citizen_origin": ONE.quantize(COMPONENT_PLACES)
        if p.citizen_origin
        else ZERO.quantize(COMPONENT_PLACES),
        "trend": _round(trend(p, policy)),
    }
    weights = weights or policy.weights()
    ripple = sum((weights[name] * parts[name] for name in RIPPLE_PARTS), ZERO)
    return {
        "performance": _round(performance(p, policy)),
        "ripple": _round(ripple),
        "efficiency": _round(peers.efficiency(p, policy)),
        "evidence": _round(evidence(p, policy)),
        **parts,
    }


def score_of(
    components: Mapping[str, Decimal],
    policy: ScoringPolicy,
    weights: Mapping[str, Decimal] | None = None,
) -> Decimal:
    weights = weights or policy.weights()
    total = sum((weights[name] * components[name] for name in MAIN_COMPONENTS), ZERO)
    return (100 * total).quantize(SCORE_PLACES)


def score_quarter(inputs: QuarterInputs, policy: ScoringPolicy) -> tuple[ScoredCandidate, ...]:
    """Score and rank every programme of the quarter; eligible ones first."""
    with localcontext(ARITHMETIC):
        values = task_medians(inputs.programmes)
        counted = [checked(p, policy, values) for p in inputs.programmes]
        peers = _Peers(p for p, _ in counted)
        weights = policy.weights()
        scored: list[tuple[bool, Decimal, str, dict[str, Decimal], Gate | None, tuple[Flag, ...]]]
        scored = []
        for p, flags in counted:
            components = components_of(p, peers, policy, weights)
            gate = failed_gate(p, policy)
            score = score_of(components, policy, weights)
            scored.append((gate is None, score, p.program_code, components, gate, flags))
    scored.sort(key=lambda s: (not s[0], -s[1], s[2]))
    return tuple(
        ScoredCandidate(
            program_code=code,
            rank=rank,
            score=score,
            components=components,
            eligible=eligible,
            failed_gate=gate,
            flags=flags,
        )
        for rank, (eligible, score, code, components, gate, flags) in enumerate(scored, start=1)
    )


def canonical_candidates(candidates: Sequence[ScoredCandidate]) -> bytes:
    """The ranking as canonical JSON bytes: what "same bytes" means for a review."""
    data: list[Any] = [c.model_dump(mode="json") for c in candidates]
    return canonical(data)
