"""The quarterly promotion review: the one place that decides what reviewing a quarter does.

* ``review`` **records**: it scores the quarter on everything the projections hold,
  stores the scores in ``quarterly_scores`` and records them in the ledger as
  ``PromotionReview.CandidatesScored`` (the same inputs recorded before record nothing),
  with the chain position it read (``chain_read``: the highest notification id the
  projections admitted and the chain's hash there), so an auditor knows which part of the
  signed log the scores stand on.
  The recorded event reaches the projections with the next load.
* Once the council has decided on a quarter, its **recorded** scores stand: ``review``
  replays the recorded review as of its recorded time and records nothing.
* ``replay`` scores the quarter as known at a given time, records and stores nothing,
  and says whether that matches the review recorded in the log.
* ``write_report`` writes the council's report of a quarter; in the reports folder it is
  always named ``impact-review-<quarter>.html`` (``report_path``).

The Dagster assets, the CLI and the demo all go through these functions.
"""

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from impact.application.commands import RecordReviewScores
from impact.domain.quarter import Quarter
from impact.ledger import Ledger
from impact.projections.scoring import (
    QuarterReview,
    RecordedReview,
    recorded_review,
    review_as_recorded,
    review_quarter,
    save_scores,
)
from impact.projections.store import ProjectionStore
from impact.report import build_report


@dataclass(frozen=True)
class ReviewOutcome:
    """A quarter reviewed: its ranking, and whether this review recorded it."""

    review: QuarterReview
    recorded: bool
    """New scores were recorded in the ledger."""
    decided: bool
    """The council had decided on the quarter, so its recorded scores stood."""

    @property
    def note(self) -> str:
        quarter = self.review.quarter
        if self.recorded:
            return f"recorded the review of {quarter} (policy v{self.review.policy.version})"
        if self.decided:
            return (
                f"the council has decided on the review of {quarter}; "
                "its recorded scores stand, nothing recorded"
            )
        return (
            f"the review of {quarter} is unchanged since it was recorded (same inputs digest): "
            "nothing recorded"
        )


@dataclass(frozen=True)
class Replay:
    """A quarter as known at a time, beside the review recorded in the log (if any)."""

    review: QuarterReview
    recorded: RecordedReview | None

    @property
    def matches_recorded(self) -> bool | None:
        if self.recorded is None:
            return None
        return self.recorded.inputs_digest == self.review.inputs_digest

    @property
    def note(self) -> str:
        said = (
            f"replayed {self.review.quarter} as of {self.review.as_of.isoformat()}: "
            "nothing recorded; "
        )
        if self.recorded is None:
            return said + "no review of it is recorded"
        same = "same as" if self.matches_recorded else "differs from"
        return said + f"{same} the recorded review (digest {self.recorded.inputs_digest[:12]}…)"


def review(ledger: Ledger, store: ProjectionStore, quarter: Quarter) -> ReviewOutcome:
    """Score ``quarter`` and record the scores, unless the council's decisions froze them."""
    decided = bool(ledger.decisions_of(str(quarter)))
    # Once the council has decided on a review, its scores stand: replay them as of then.
    scored = review_as_recorded(store, quarter)[0] if decided else review_quarter(store, quarter)
    save_scores(store, scored)
    position, chain_hash = chain_read(store)
    recorded = (
        False
        if decided
        else ledger.handle(
            RecordReviewScores(
                quarter=str(quarter),
                policy_version=scored.policy.version,
                candidates=scored.candidates,
                inputs_digest=scored.inputs_digest,
                chain_position=position,
                chain_hash=chain_hash,
                occurred_at=scored.as_of,
            )
        )
    )
    return ReviewOutcome(scored, recorded=recorded, decided=decided)


def chain_read(store: ProjectionStore) -> tuple[int, str]:
    """How far along the log's chain the projections read: the highest notification id they
    admitted (0 when none) and the chain's hash there ('' when that record has none)."""
    rows = store.rows(
        "SELECT notification_id, hash FROM {db}.raw_events WHERE error = ''"
        " ORDER BY notification_id DESC LIMIT 1"
    )
    return (int(rows[0][0]), str(rows[0][1])) if rows else (0, "")


def replay(store: ProjectionStore, quarter: Quarter, as_of: datetime) -> Replay:
    """``quarter`` as known at ``as_of``; nothing is recorded or stored."""
    return Replay(review_quarter(store, quarter, as_of=as_of), recorded_review(store, quarter))


def report_path(directory: Path, quarter: Quarter) -> Path:
    return directory / f"impact-review-{quarter}.html"


def write_report(store: ProjectionStore, quarter: Quarter, path: Path) -> int:
    """Write the council's report of ``quarter`` (the review as recorded) to ``path``; its size."""
    html = build_report(store, quarter).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(html)
    return len(html)
