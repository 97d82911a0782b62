from decimal import Decimal

import pytest

from impact.errors import (
    AlreadyExistsError,
    ProposalAlreadyDecidedError,
    ProposalNotReviewedError,
    ReviewStateError,
    UnknownTaskError,
)
from tests import commands as cmd


def reviewed(ledger, code="C-1"):
    ledger.handle(cmd.submit_proposal(code, "플라스틱 줍기", "바다를 지키자", "environment"))
    ledger.handle(cmd.start_proposal_review(code, ("expert-1",), actor="desk"))
    ledger.handle(cmd.record_proposal_review(code, {"impact": Decimal(80)}, (), actor="desk"))


def test_a_proposal_goes_from_submission_through_review_to_adoption(ledger):
    reviewed(ledger)
    ledger.handle(cmd.adopt_proposal("C-1", "S4-T2", actor="desk"))
    proposal = ledger.proposal("C-1")
    assert (proposal.status, proposal.task_code) == ("adopted", "S4-T2")


def test_a_proposal_code_is_submitted_once(ledger):
    assert ledger.handle(cmd.submit_proposal("C-1", "a", "b", "c"))
    assert not ledger.handle(cmd.submit_proposal("C-1", "a", "b", "c")), "already recorded"
    with pytest.raises(AlreadyExistsError, match="proposal C-1 already exists with another"):
        ledger.handle(cmd.submit_proposal("C-1", "another title", "b", "c"))


def test_a_proposal_is_not_decided_before_its_review(ledger):
    ledger.handle(cmd.submit_proposal("C-1", "a", "b", "c"))
    with pytest.raises(ProposalNotReviewedError, match="the expert review must be recorded first"):
        ledger.handle(cmd.adopt_proposal("C-1", "S4-T2", actor="desk"))


def test_a_proposal_is_decided_once(ledger):
    reviewed(ledger)
    ledger.handle(cmd.reject_proposal("C-1", "out of scope", actor="desk"))
    with pytest.raises(
        ProposalAlreadyDecidedError, match="was already rejected; a decision is final"
    ):
        ledger.handle(cmd.adopt_proposal("C-1", "S4-T2", actor="desk"))


def test_adoption_needs_a_task_of_the_plan(ledger):
    reviewed(ledger)
    with pytest.raises(UnknownTaskError):
        ledger.handle(cmd.adopt_proposal("C-1", "S7-T1", actor="desk"))


def test_a_proposal_merges_into_another_existing_one_but_not_itself(ledger):
    reviewed(ledger, "C-1")
    reviewed(ledger, "C-2")
    with pytest.raises(ReviewStateError, match="cannot be merged into itself"):
        ledger.handle(cmd.merge_proposal("C-1", "C-1", actor="desk"))
    ledger.handle(cmd.merge_proposal("C-1", "C-2", actor="desk"))
    assert ledger.proposal("C-1").status == "merged"


def test_review_scores_must_be_between_0_and_100(ledger):
    ledger.handle(cmd.submit_proposal("C-1", "a", "b", "c"))
    ledger.handle(cmd.start_proposal_review("C-1", ("e",), actor="desk"))
    with pytest.raises(ReviewStateError, match="between 0 and 100"):
        ledger.handle(cmd.record_proposal_review("C-1", {"impact": Decimal(101)}, (), actor="desk"))


def test_only_an_adopted_proposal_can_be_a_programme_origin(ledger):
    from datetime import date

    ledger.handle(cmd.submit_proposal("C-1", "a", "b", "c"))
    with pytest.raises(ReviewStateError, match="only an adopted proposal"):
        ledger.handle(
            cmd.register_program(
                "P-BPA-01", "BPA", "S4-T2", "k", "e", 1, date(2019, 1, 1), origin_proposals=("C-1",)
            )
        )
