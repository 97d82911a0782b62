"""Replays for auditors: ``impact.events`` from offset 0 into a fresh ClickHouse database.

A replay never touches the live projections: it creates a database of its own on the
same ClickHouse (``<database>_audit_<time>_<random>``), loads every record recorded by
``as_of`` (the log as it stood then; records are filtered by their ``recorded_at``),
builds every projection and view on it, scores each quarter as known at ``as_of``,
and drops the database afterwards unless asked to keep it.

``reproduce`` finds every recorded scoring of a quarter on the log
(``PromotionReview.CandidatesScored``), replays to the moment it was recorded, scores
the quarter as of the time the review used, and compares the inputs digest and the
canonical JSON of the ranking with the recorded ones, byte for byte.
"""

import dataclasses
import logging
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import orjson

from impact.audit.findings import short
from impact.audit.log import read_topic
from impact.canonical_json import canonical
from impact.contract.events import read_for_loading
from impact.contract.payloads import payload_problem
from impact.domain.quarter import Quarter
from impact.domain.review import ScoredCandidate
from impact.errors import ContractError, NotFoundError
from impact.projections.loader import Loader, LoadStats, SignedLog
from impact.projections.schema import drop_schema
from impact.projections.scoring import (
    QuarterReview,
    known_until,
    programme_titles,
    recorded_review,
    review_quarter,
    save_scores,
    utc,
)
from impact.projections.store import ProjectionStore
from impact.settings import ClickHouseConfig, KafkaConnection

log = logging.getLogger(__name__)


@dataclass
class ReplayDatabase:
    """A fresh database holding the log as recorded by ``as_of`` (everything when None)."""

    store: ProjectionStore
    as_of: datetime | None
    stats: LoadStats
    seconds: float

    @property
    def name(self) -> str:
        return self.store.db

    @property
    def events_per_second(self) -> float:
        return self.stats.loaded / self.seconds if self.seconds else 0.0

    def drop(self) -> None:
        drop_schema(self.store)


def fresh_database_name(clickhouse: ClickHouseConfig) -> str:
    stamp = datetime.now(tz=UTC).strftime("%Y%m%d%H%M%S")
    return f"{clickhouse.database}_audit_{stamp}_{secrets.token_hex(3)}"


def replay_into_fresh_database(
    log: SignedLog,
    clickhouse: ClickHouseConfig,
    as_of: datetime | None = None,
    database: str | None = None,
) -> ReplayDatabase:
    """Load ``impact.events`` from offset 0 into a new database, keeping what was recorded by
    ``as_of``, and build every projection on it."""
    store = ProjectionStore(clickhouse, database=database or fresh_database_name(clickhouse))
    started = time.perf_counter()
    try:
        recorded_until = utc(as_of) if as_of else None
        # The loader creates the schema, while it starts reading the checkpoints.
        stats = Loader(store, log, recorded_until=recorded_until).run(
            until_idle=True, max_idle_polls=1
        )
    except BaseException:
        drop_schema(store)
        raise
    return ReplayDatabase(store, as_of, stats, time.perf_counter() - started)


# -- what the replay knew -----------------------------------------------------------


def members_as_of(store: ProjectionStore, day: date) -> list[dict[str, Any]]:
    """The consortium's members as the loaded log records them, with dates; active on ``day``."""
    members: dict[str, dict[str, Any]] = {}
    for kind, payload in store.rows(
        "SELECT type, payload FROM {db}.events WHERE type IN ('Consortium.Founded',"
        " 'Consortium.MemberJoined', 'Consortium.MemberLeft') ORDER BY notification_id"
    ):
        data = orjson.loads(payload)
        for member in data.get("members", []) + ([data["member"]] if "member" in data else []):
            members[member["code"]] = dict(member)
        if kind == "Consortium.MemberLeft" and data["code"] in members:
            members[data["code"]]["left_on"] = data["left_on"]
    for member in members.values():
        joined, left = member["joined_on"], member.get("left_on")
        member["active"] = joined <= day.isoformat() and (left is None or day.isoformat() < left)
    return sorted(members.values(), key=lambda m: m["code"])


def counts(store: ProjectionStore) -> dict[str, int]:
    (row,) = store.dicts(
        "SELECT countIf(type = 'Proposal.Submitted') AS proposals,"
        " countIf(type = 'Proposal.Adopted') AS proposals_adopted,"
        " countIf(type = 'Program.Registered') AS programmes,"
        " countIf(type = 'Program.OutcomeReported') AS outcomes,"
        " countIf(type = 'Program.OutcomeCorrected') AS corrections,"
        " countIf(type = 'Program.Promoted') AS joint_projects,"
        " countIf(type = 'PromotionReview.CandidatesScored') AS reviews_recorded,"
        " countIf(type = 'PromotionReview.Decided') AS council_decisions,"
        " countIf(type = 'Submission.Accepted') AS submissions_accepted,"
        " countIf(type = 'Rejection.Recorded') AS submissions_rejected,"
        " count() AS events"
        " FROM {db}.events"
    )
    return {k: int(v) for k, v in row.items()}


def quarters_with_data(store: ProjectionStore) -> list[Quarter]:
    rows = store.rows(
        "SELECT DISTINCT quarter FROM ("
        " SELECT quarter FROM {db}.program_targets UNION ALL"
        " SELECT quarter FROM {db}.outcome_versions UNION ALL"
        " SELECT quarter FROM {db}.review_opened) WHERE quarter != '' ORDER BY quarter"
    )
    return [Quarter.parse(q) for (q,) in rows]


@dataclass
class QuarterAsOf:
    quarter: Quarter
    review: QuarterReview | None
    recorded: Any
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"quarter": str(self.quarter)}
        if self.review is None:
            return data | {"error": self.error}
        data |= self.review.as_json()
        data["ranking"] = data.pop("candidates")
        if self.recorded is not None:
            data["recorded_review"] = {
                "as_of": self.recorded.as_of.isoformat(),
                "recorded_at": self.recorded.recorded_at.isoformat(),
                "inputs_digest": self.recorded.inputs_digest,
                "same_inputs_as_this_replay": self.recorded.inputs_digest
                == self.review.inputs_digest,
            }
        return data


@dataclass
class ReplayResult:
    database: str
    as_of: datetime | None
    cut: datetime | None
    loaded: int
    after_as_of: int
    unreadable: int
    seconds: float
    counts: dict[str, int]
    members: list[dict[str, Any]]
    titles: dict[str, dict[str, Any]] = field(default_factory=dict)
    quarters: list[QuarterAsOf] = field(default_factory=list)
    kept: bool = False

    @property
    def events_per_second(self) -> float:
        return self.loaded / self.seconds if self.seconds else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "known_until": self.cut.isoformat() if self.cut else None,
            "database": self.database if self.kept else None,
            "events_loaded": self.loaded,
            "events_recorded_after_as_of": self.after_as_of,
            "unreadable_records": self.unreadable,
            "load_seconds": round(self.seconds, 3),
            "events_per_second": round(self.events_per_second, 1),
            "state": {**self.counts, "members": self.members},
            "quarters": [self._titled(q.as_json()) for q in self.quarters],
        }

    def _titled(self, quarter: dict[str, Any]) -> dict[str, Any]:
        for item in quarter.get("ranking", []):
            t = self.titles.get(item["program_code"], {})
            item.update(
                agency=t.get("agency", ""),
                title_ko=t.get("title_ko", ""),
                title_en=t.get("title_en", ""),
            )
        return quarter


def replay(
    log: SignedLog,
    clickhouse: ClickHouseConfig,
    as_of: datetime | None,
    keep: bool = False,
) -> ReplayResult:
    """Everything as it was known at ``as_of`` (now when None), from offset 0 of the log."""
    db = replay_into_fresh_database(log, clickhouse, as_of)
    try:
        store = db.store
        cut = utc(as_of) if as_of else known_until(store)
        result = ReplayResult(
            database=db.name,
            as_of=as_of,
            cut=cut,
            loaded=db.stats.loaded,
            after_as_of=db.stats.skipped,
            unreadable=db.stats.unreadable,
            seconds=db.seconds,
            counts=counts(store),
            members=members_as_of(store, (cut or datetime.now(tz=UTC)).date()),
            titles=programme_titles(store),
            kept=keep,
        )
        if cut is None:
            return result
        for quarter in quarters_with_data(store):
            try:
                review = review_quarter(store, quarter, as_of=cut)
            except NotFoundError as exc:
                result.quarters.append(QuarterAsOf(quarter, None, None, str(exc)))
                continue
            save_scores(store, review)
            result.quarters.append(QuarterAsOf(quarter, review, recorded_review(store, quarter)))
        return result
    finally:
        if not keep:
            db.drop()


# -- reproducing recorded reviews ---------------------------------------------------


@dataclass(frozen=True)
class RecordedScoring:
    quarter: str
    review_version: int
    policy_version: int
    inputs_digest: str
    as_of: datetime
    recorded_at: datetime
    candidates: list[dict[str, Any]]
    where: str


def recorded_scorings(
    kafka: KafkaConnection, events_topic: str, quarter: str | None = None
) -> list[RecordedScoring]:
    """Every ``PromotionReview.CandidatesScored`` on the log (of one quarter, or all), in order.
    A record the contract refuses (not an envelope, or a payload its type's schema refuses)
    is left out and said in the log: one such record stopped every reproduction."""
    quarters: dict[str, str] = {}
    found: list[tuple[str, RecordedScoring]] = []
    for record in read_topic(kafka, events_topic):
        if b'"PromotionReview.' not in record.value:
            continue
        try:
            e = read_for_loading(record.value).content
            problem = payload_problem(e["type"], e["schema_version"], e["payload"])
            if problem is not None:
                raise ContractError(problem)
            payload = e["payload"]
            if e["type"] == "PromotionReview.Opened":
                quarters[e["aggregate_id"]] = str(payload["quarter"])
            elif e["type"] == "PromotionReview.CandidatesScored":
                scoring = RecordedScoring(
                    quarter="",
                    review_version=e["aggregate_version"],
                    policy_version=int(payload["policy_version"]),
                    inputs_digest=str(payload["inputs_digest"]),
                    as_of=utc(datetime.fromisoformat(e["occurred_at"])),
                    recorded_at=utc(datetime.fromisoformat(e["recorded_at"])),
                    candidates=list(payload["candidates"]),
                    where=record.where,
                )
                found.append((e["aggregate_id"], scoring))
        except (ContractError, KeyError, TypeError, ValueError) as exc:
            log.warning("%s is left out of the recorded reviews: %r", record.where, exc)
    scorings = [
        dataclasses.replace(scoring, quarter=quarters.get(aggregate_id, ""))
        for aggregate_id, scoring in found
    ]
    scorings = [s for s in scorings if quarter is None or s.quarter == quarter]
    return sorted(scorings, key=lambda s: (s.quarter, s.review_version))


@dataclass(frozen=True)
class Reproduction:
    recorded: RecordedScoring
    replayed_digest: str | None
    replayed_candidates: list[dict[str, Any]]
    identical: bool
    first_difference: str | None
    seconds: float

    def as_json(self) -> dict[str, Any]:
        r = self.recorded
        return {
            "quarter": r.quarter,
            "review_version": r.review_version,
            "record": r.where,
            "as_of": r.as_of.isoformat(),
            "recorded_at": r.recorded_at.isoformat(),
            "recorded_digest": r.inputs_digest,
            "replayed_digest": self.replayed_digest,
            "identical": self.identical,
            "first_difference": self.first_difference,
            "seconds": round(self.seconds, 3),
        }


def first_difference(recorded: list[dict[str, Any]], replayed: list[dict[str, Any]]) -> str | None:
    for position, (a, b) in enumerate(zip(recorded, replayed, strict=False), start=1):
        if a != b:
            fields = [k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
            return (
                f"position {position}: recorded {a.get('program_code')} "
                + ", ".join(f"{k}={short(a.get(k), 60)}" for k in fields)
                + f"; replayed {b.get('program_code')} "
                + ", ".join(f"{k}={short(b.get(k), 60)}" for k in fields)
            )
    if len(recorded) != len(replayed):
        return f"the recorded ranking has {len(recorded)} programmes, the replay {len(replayed)}"
    return None


def reproduce(
    log: SignedLog,
    clickhouse: ClickHouseConfig,
    scoring: RecordedScoring,
) -> Reproduction:
    """Replay to the moment a scoring was recorded and score its quarter as of the time it used."""
    started = time.perf_counter()
    db = replay_into_fresh_database(log, clickhouse, scoring.recorded_at)
    try:
        review = review_quarter(db.store, Quarter.parse(scoring.quarter), as_of=scoring.as_of)
    except NotFoundError as exc:
        db.drop()
        return Reproduction(
            scoring,
            None,
            [],
            False,
            f"the replay cannot score it: {exc}",
            time.perf_counter() - started,
        )
    db.drop()
    replayed = [c.model_dump(mode="json") for c in review.candidates]
    recorded = [
        ScoredCandidate.model_validate(c).model_dump(mode="json") for c in scoring.candidates
    ]
    difference = None
    if review.policy.version != scoring.policy_version:
        difference = (
            f"policy v{scoring.policy_version} was recorded; the replay finds "
            f"v{review.policy.version} in force"
        )
    elif review.inputs_digest != scoring.inputs_digest:
        difference = (
            f"inputs digest {scoring.inputs_digest[:16]}… was recorded; the replay's "
            f"is {review.inputs_digest[:16]}…"
        )
    difference = difference or first_difference(recorded, replayed)
    if difference is None and canonical(scoring.candidates) != canonical(replayed):
        difference = "same values, but the canonical bytes of the ranking differ"
    return Reproduction(
        scoring,
        review.inputs_digest,
        replayed,
        difference is None,
        difference,
        time.perf_counter() - started,
    )
