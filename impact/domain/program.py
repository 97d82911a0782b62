"""Programmes: registered by one agency under one task, reporting outcomes each quarter."""

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar, Literal
from uuid import UUID

from eventsourcing.domain import event
from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from impact.domain.base import Aggregate, Model, natural_id
from impact.domain.metrics import CATALOGUES, CURRENT_CATALOGUE, MetricCatalogue
from impact.domain.quarter import Quarter, QuarterText
from impact.domain.values import EvidenceUri, Line, Quantity
from impact.errors import (
    AlreadyExistsError,
    BeforeProgramStartError,
    MetricNotDeclaredError,
    NotOwnerError,
    PartnerConsentError,
    PeriodOutsideProgramError,
    ProgramNotActiveError,
    QuarterNotEndedError,
    ReportNotFoundError,
    ValueOutOfRangeError,
)

ProgramStatus = Literal["active", "suspended", "completed"]
PartnerKind = Literal["agency", "civic", "enterprise", "public"]

PROGRAM_CODE = r"^P-[A-Z0-9]{2,16}-[0-9A-Z-]{1,24}$"


class Target(Model):
    metric: Line = Field(max_length=64)
    quarter: QuarterText
    value: Quantity


class Evidence(Model):
    uri: EvidenceUri
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")

    @model_validator(mode="after")
    def _register_address_names_the_hash(self) -> "Evidence":
        if self.uri.startswith("docreg:") and self.uri != f"docreg:{self.sha256}":
            raise PydanticCustomError(
                "evidence_mismatch",
                "evidence {uri} names another document than its sha256 {sha256}",
                {"uri": self.uri[:80], "sha256": self.sha256},
            )
        return self


class Partner(Model):
    """A partner as the programme's agency names it. An agency partner is named by its member
    code and is confirmed only by its own acceptance; another partner is confirmed by an
    identifier (``code``: a business registration number, say) or by evidence."""

    kind: PartnerKind
    name: Line = Field(min_length=1, max_length=200)
    code: Line | None = Field(default=None, max_length=64)
    evidence: Evidence | None = None

    @property
    def identified(self) -> bool:
        return self.kind != "agency" and (bool(self.code) or self.evidence is not None)


class Report(Model):
    """An outcome as the programme knows it: the latest value, and its history."""

    report_id: str
    metric: str
    quarter: QuarterText
    value: Decimal
    corrects: str | None = None


class Program(Aggregate):
    kind = "program"

    class Registered(Aggregate.Created):
        """A programme registered: its targets, and the metrics it says it will measure
        besides them (``measures``); together, what it committed to report."""

        class_version: ClassVar[int] = 2
        code: str
        agency: str
        task_code: str
        title_ko: str
        title_en: str
        origin_proposals: tuple[str, ...]
        targets: tuple[Target, ...]
        budget_krw: int
        starts_on: date
        ends_on: date | None
        catalogue_version: int
        measures: tuple[str, ...]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """v1 registrations committed to their targets' metrics only."""
            state["measures"] = ()

    class MetricsDeclared(Aggregate.Event):
        """The programme commits to report more metrics than it did at registration."""

        metrics: tuple[str, ...]
        reason: str

    class OutcomeReported(Aggregate.Event):
        class_version: ClassVar[int] = 2
        report_id: str
        metric: str
        quarter: QuarterText
        value: Quantity
        unit: str
        evidence: Evidence | None
        submission_id: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """v1 reports had no unit: it is the unit the catalogue of the day gave the metric."""
            state["unit"] = CATALOGUES[1].metric(state["metric"]).unit

    class OutcomeCorrected(Aggregate.Event):
        report_id: str
        corrects: str
        metric: str
        quarter: QuarterText
        value: Quantity
        unit: str
        reason: str
        evidence: Evidence | None
        submission_id: str | None

    class PartnerJoined(Aggregate.Event):
        partner: Partner

    class PartnerAccepted(Aggregate.Event):
        """An agency named as a partner accepts, signed by itself: only then does it count."""

        partner_code: str

    class PartnerDeclined(Aggregate.Event):
        """An agency named as a partner declines; it never counts as one."""

        partner_code: str
        reason: str

    class Suspended(Aggregate.Event):
        reason: str

    class Resumed(Aggregate.Event):
        pass

    class Completed(Aggregate.Event):
        completed_on: date

    class Promoted(Aggregate.Event):
        quarter: QuarterText
        participants: tuple[str, ...]

    @staticmethod
    def create_id(code: str, **_: object) -> UUID:
        return natural_id("program", code)

    @event(Registered)
    def __init__(
        self,
        code: str,
        agency: str,
        task_code: str,
        title_ko: str,
        title_en: str,
        origin_proposals: tuple[str, ...],
        targets: tuple[Target, ...],
        budget_krw: int,
        starts_on: date,
        ends_on: date | None,
        catalogue_version: int,
        measures: tuple[str, ...],
        occurred_at: datetime,
        actor: str,
    ) -> None:
        self.code = code
        self.agency = agency
        self.task_code = task_code
        self.title_ko = title_ko
        self.title_en = title_en
        self.origin_proposals = origin_proposals
        self.targets = targets
        self.budget_krw = budget_krw
        self.starts_on = starts_on
        self.ends_on = ends_on
        self.catalogue_version = catalogue_version
        self.declared: set[str] = {t.metric for t in targets} | set(measures)
        self.status: ProgramStatus = "active"
        self.partners: list[Partner] = []
        self.consents: dict[str, bool] = {}
        """Agency partners' answers: True accepted, False declined (absent: not answered)."""
        self.reports: dict[str, Report] = {}
        self.latest: dict[tuple[str, str], str] = {}
        self.joint_participants: tuple[str, ...] = ()

    @classmethod
    def register(
        cls,
        code: str,
        agency: str,
        task_code: str,
        title_ko: str,
        title_en: str,
        origin_proposals: tuple[str, ...],
        targets: tuple[Target, ...],
        budget_krw: int,
        starts_on: date,
        ends_on: date | None,
        occurred_at: datetime,
        catalogue: MetricCatalogue = CURRENT_CATALOGUE,
        measures: tuple[str, ...] = (),
    ) -> "Program":
        """A programme registered by its agency, once its code, budget, period, targets and
        the metrics it will measure are valid under the metric catalogue (the agency and task
        are the caller's rules)."""
        cls.check_registration(code, targets, budget_krw, starts_on, ends_on, catalogue)
        for metric in measures:
            catalogue.metric(metric)
        return cls(
            code=code,
            agency=agency,
            task_code=task_code,
            title_ko=title_ko,
            title_en=title_en,
            origin_proposals=origin_proposals,
            targets=targets,
            budget_krw=budget_krw,
            starts_on=starts_on,
            ends_on=ends_on,
            catalogue_version=catalogue.version,
            measures=tuple(sorted(set(measures))),
            occurred_at=occurred_at,
            actor=agency,
        )

    @classmethod
    def check_registration(
        cls,
        code: str,
        targets: tuple[Target, ...],
        budget_krw: int,
        starts_on: date,
        ends_on: date | None,
        catalogue: MetricCatalogue = CURRENT_CATALOGUE,
    ) -> None:
        if not re.match(PROGRAM_CODE, code):
            raise ValueOutOfRangeError(f"programme code {code!r} must look like P-KAMCO-01")
        if budget_krw < 0:
            raise ValueOutOfRangeError(
                f"budget of {code} is {budget_krw} KRW; it cannot be negative"
            )
        if ends_on is not None and ends_on < starts_on:
            raise PeriodOutsideProgramError(
                f"{code} ends on {ends_on}, before it starts on {starts_on}"
            )
        for target in targets:
            catalogue.check_value(target.metric, target.value)

    # -- queries ----------------------------------------------------------------

    @property
    def is_joint(self) -> bool:
        return bool(self.joint_participants)

    def may_report(self, agency: str) -> bool:
        return agency == self.agency or agency in self.joint_participants

    def current_value(self, metric: str, quarter: str) -> Decimal | None:
        report_id = self.latest.get((metric, quarter))
        return self.reports[report_id].value if report_id else None

    # -- commands ---------------------------------------------------------------

    def report_outcome(
        self,
        report_id: str,
        metric: str,
        quarter: str,
        value: Decimal,
        evidence: Evidence | None,
        submission_id: str | None,
        occurred_at: datetime,
        actor: str,
        catalogue: MetricCatalogue = CURRENT_CATALOGUE,
        arrived_at: datetime | None = None,
    ) -> None:
        """Record an outcome; ``arrived_at`` is when the message reached the ledger (the
        submission's arrival at the broker, or when staff entered it)."""
        self._check_reporter(actor)
        self._check_quarter_ended(quarter, occurred_at, arrived_at)
        self._check_period(quarter)
        found = catalogue.check_value(metric, value)
        self._check_declared(metric)
        if report_id in self.reports:
            raise AlreadyExistsError(f"report {report_id} of {self.code} already exists")
        if (metric, quarter) in self.latest:
            raise AlreadyExistsError(
                f"{self.code} already reported {metric} for {quarter} "
                f"(report {self.latest[(metric, quarter)]}); send a correction that names it"
            )
        self._outcome_reported(
            report_id=report_id,
            metric=metric,
            quarter=quarter,
            value=value,
            unit=found.unit,
            evidence=evidence,
            submission_id=submission_id,
            occurred_at=occurred_at,
            actor=actor,
        )

    def correct_outcome(
        self,
        report_id: str,
        corrects: str,
        value: Decimal,
        reason: str,
        evidence: Evidence | None,
        submission_id: str | None,
        occurred_at: datetime,
        actor: str,
        catalogue: MetricCatalogue = CURRENT_CATALOGUE,
    ) -> None:
        self._check_reporter(actor)
        original = self.reports.get(corrects)
        if original is None:
            raise ReportNotFoundError(
                f"{self.code} has no report {corrects} to correct; name a report it holds"
            )
        if report_id in self.reports:
            raise AlreadyExistsError(f"report {report_id} of {self.code} already exists")
        if not reason.strip():
            raise ValueOutOfRangeError(f"say why report {corrects} of {self.code} is corrected")
        found = catalogue.check_value(original.metric, value)
        self._outcome_corrected(
            report_id=report_id,
            corrects=corrects,
            metric=original.metric,
            quarter=original.quarter,
            value=value,
            unit=found.unit,
            reason=reason,
            evidence=evidence,
            submission_id=submission_id,
            occurred_at=occurred_at,
            actor=actor,
        )

    def declare_metrics(
        self,
        metrics: tuple[str, ...],
        reason: str,
        occurred_at: datetime,
        actor: str,
        catalogue: MetricCatalogue = CURRENT_CATALOGUE,
    ) -> None:
        """Commit to report more metrics: a dated event of its own, which the council sees."""
        self._check_reporter(actor)
        for metric in metrics:
            catalogue.metric(metric)
        new = tuple(sorted(set(metrics) - self.declared))
        if not new:
            raise AlreadyExistsError(
                f"{self.code} already committed to report {', '.join(sorted(set(metrics)))}"
            )
        if not reason.strip():
            raise ValueOutOfRangeError(f"say why {self.code} will now report {', '.join(new)}")
        self._metrics_declared(metrics=new, reason=reason, occurred_at=occurred_at, actor=actor)

    def join_partner(self, partner: Partner, occurred_at: datetime, actor: str) -> None:
        """Name a partner; an agency partner counts only once it accepts (``answer_partner``)."""
        self._check_reporter(actor)
        if partner.kind == "agency":
            if not partner.code:
                raise PartnerConsentError(
                    f"name agency partner {partner.name!r} of {self.code} by its member code "
                    f"(e.g. KAMCO): it must accept with its own signed answer"
                )
            if partner.code == self.agency or partner.code in self.joint_participants:
                raise PartnerConsentError(
                    f"{partner.code} runs {self.code}; it cannot also be its partner"
                )
            if partner.code in self.agency_partners():
                raise AlreadyExistsError(
                    f"{partner.code} is already named a partner of {self.code}"
                )
        if partner in self.partners:
            raise AlreadyExistsError(f"{partner.name} is already a partner of {self.code}")
        self._partner_joined(partner=partner, occurred_at=occurred_at, actor=actor)

    def answer_partner(self, accept: bool, reason: str, occurred_at: datetime, actor: str) -> None:
        """The agency ``actor``, named a partner, accepts or declines, signed by itself."""
        if actor not in self.agency_partners():
            raise PartnerConsentError(
                f"{self.code} never named {actor} a partner; there is nothing for {actor} to "
                f"accept (its owner {self.agency} names partners first)"
            )
        if actor in self.consents:
            answer = "accepted" if self.consents[actor] else "declined"
            raise AlreadyExistsError(f"{actor} already {answer} to be a partner of {self.code}")
        if accept:
            self._partner_accepted(partner_code=actor, occurred_at=occurred_at, actor=actor)
        else:
            self._partner_declined(
                partner_code=actor, reason=reason, occurred_at=occurred_at, actor=actor
            )

    def agency_partners(self) -> list[str]:
        return [p.code for p in self.partners if p.kind == "agency" and p.code]

    def confirmed_partners(self) -> list[Partner]:
        """Partners that count: agencies that accepted, others with an identifier or evidence."""
        return [
            p
            for p in self.partners
            if (p.kind == "agency" and self.consents.get(p.code or "") is True) or p.identified
        ]

    def suspend(self, reason: str, occurred_at: datetime, actor: str) -> None:
        self._check_reporter(actor)
        if self.status != "active":
            raise ProgramNotActiveError(
                f"{self.code} is {self.status}; only an active one can be suspended"
            )
        self._suspended(reason=reason, occurred_at=occurred_at, actor=actor)

    def resume(self, occurred_at: datetime, actor: str) -> None:
        self._check_reporter(actor)
        if self.status != "suspended":
            raise ProgramNotActiveError(
                f"{self.code} is {self.status}; only a suspended one can resume"
            )
        self._resumed(occurred_at=occurred_at, actor=actor)

    def complete(self, completed_on: date, occurred_at: datetime, actor: str) -> None:
        self._check_reporter(actor)
        if self.status == "completed":
            raise ProgramNotActiveError(f"{self.code} is already completed")
        if completed_on < self.starts_on:
            raise PeriodOutsideProgramError(f"{self.code} cannot complete before it starts")
        self._completed(completed_on=completed_on, occurred_at=occurred_at, actor=actor)

    def promote(
        self, quarter: str, participants: tuple[str, ...], occurred_at: datetime, actor: str
    ) -> None:
        if self.is_joint:
            raise AlreadyExistsError(f"{self.code} is already a joint project")
        if self.status != "active":
            raise ProgramNotActiveError(
                f"{self.code} is {self.status}; only an active one can be promoted"
            )
        if self.agency not in participants:
            participants = (self.agency, *participants)
        self._promoted(
            quarter=quarter,
            participants=tuple(sorted(set(participants))),
            occurred_at=occurred_at,
            actor=actor,
        )

    def _check_reporter(self, agency: str) -> None:
        if not self.may_report(agency):
            owner = self.agency
            if self.is_joint:
                raise NotOwnerError(
                    f"programme {self.code} is a joint project of {', '.join(self.joint_participants)}; "
                    f"{agency} is not among them"
                )
            raise NotOwnerError(
                f"programme {self.code} belongs to {owner}; {agency} cannot act on it"
            )

    def _check_period(self, quarter: str) -> None:
        period = Quarter.parse(quarter)
        if period.last_day < self.starts_on:
            raise BeforeProgramStartError(
                f"{quarter} ended before programme {self.code} started on {self.starts_on}; "
                f"report quarters from {Quarter.containing(self.starts_on)} on"
            )
        if not period.overlaps(self.starts_on, self.ends_on):
            end = self.ends_on.isoformat() if self.ends_on else "open-ended"
            raise PeriodOutsideProgramError(
                f"{quarter} is outside programme {self.code} ({self.starts_on} to {end})"
            )

    def _check_declared(self, metric: str) -> None:
        if metric not in self.declared:
            committed = ", ".join(sorted(self.declared)) or "nothing"
            raise MetricNotDeclaredError(
                f"{self.code} did not commit to report {metric} (it committed to: {committed}); "
                f"declare it first with a program.measures submission, which the council sees"
            )

    def _check_quarter_ended(
        self, quarter: str, occurred_at: datetime, arrived_at: datetime | None
    ) -> None:
        """An outcome is known only once its quarter is over: by the time the report says
        it was made, and by the time it reached the ledger."""
        end = Quarter.parse(quarter).end
        for what, moment in (("submitted", occurred_at), ("received", arrived_at)):
            if moment is not None and moment < end:
                raise QuarterNotEndedError(
                    f"{quarter} ends on {end:%Y-%m-%d}; an outcome of {self.code} for it cannot "
                    f"be {what} on {moment:%Y-%m-%d} — report it once the quarter is over"
                )

    # -- mutators ---------------------------------------------------------------

    @event(OutcomeReported)
    def _outcome_reported(
        self,
        report_id: str,
        metric: str,
        quarter: str,
        value: Decimal,
        unit: str,
        evidence: Evidence | None,
        submission_id: str | None,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        self.reports[report_id] = Report(
            report_id=report_id, metric=metric, quarter=quarter, value=value
        )
        self.latest[(metric, quarter)] = report_id

    @event(MetricsDeclared)
    def _metrics_declared(
        self, metrics: tuple[str, ...], reason: str, occurred_at: datetime, actor: str
    ) -> None:
        self.declared |= set(metrics)

    @event(OutcomeCorrected)
    def _outcome_corrected(
        self,
        report_id: str,
        corrects: str,
        metric: str,
        quarter: str,
        value: Decimal,
        unit: str,
        reason: str,
        evidence: Evidence | None,
        submission_id: str | None,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        self.reports[report_id] = Report(
            report_id=report_id, metric=metric, quarter=quarter, value=value, corrects=corrects
        )
        self.latest[(metric, quarter)] = report_id

    @event(PartnerJoined)
    def _partner_joined(self, partner: Partner, occurred_at: datetime, actor: str) -> None:
        self.partners.append(partner)

    @event(PartnerAccepted)
    def _partner_accepted(self, partner_code: str, occurred_at: datetime, actor: str) -> None:
        self.consents[partner_code] = True

    @event(PartnerDeclined)
    def _partner_declined(
        self, partner_code: str, reason: str, occurred_at: datetime, actor: str
    ) -> None:
        self.consents[partner_code] = False

    @event(Suspended)
    def _suspended(self, reason: str, occurred_at: datetime, actor: str) -> None:
        self.status = "suspended"

    @event(Resumed)
    def _resumed(self, occurred_at: datetime, actor: str) -> None:
        self.status = "active"

    @event(Completed)
    def _completed(self, completed_on: date, occurred_at: datetime, actor: str) -> None:
        self.status = "completed"

    @event(Promoted)
    def _promoted(
        self, quarter: str, participants: tuple[str, ...], occurred_at: datetime, actor: str
    ) -> None:
        self.joint_participants = participants
