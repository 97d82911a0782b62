"""The one rule for the policy in force: for a quarter, as known at a recorded time."""

from datetime import UTC, datetime, timedelta

import pytest

from impact.domain.consortium import AdoptedPolicy, policy_in_force
from impact.domain.scoring import POLICY_V1, ScoringPolicy
from impact.errors import NotFoundError

V2 = POLICY_V1.model_copy(update={"version": 2, "min_quarters": 2})
V3 = POLICY_V1.model_copy(update={"version": 3, "candidates": 3})
T1 = datetime(2018, 11, 28, 9, tzinfo=UTC)
T2 = datetime(2019, 12, 20, 9, tzinfo=UTC)
T3 = datetime(2020, 1, 10, 9, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)

ADOPTED = [AdoptedPolicy("2018Q4", POLICY_V1, T1), AdoptedPolicy("2020Q1", V2, T2)]


def version(policy: ScoringPolicy) -> int:
    return policy.version


def test_the_latest_policy_whose_quarter_has_begun_is_in_force():
    assert version(policy_in_force(ADOPTED, "2018Q4")) == 1
    assert version(policy_in_force(ADOPTED, "2019Q4")) == 1
    assert version(policy_in_force(ADOPTED, "2020Q1")) == 2
    assert version(policy_in_force(ADOPTED, "2024Q3")) == 2


def test_of_two_policies_from_the_same_quarter_the_one_adopted_later_is_in_force():
    adopted = [*ADOPTED, AdoptedPolicy("2020Q1", V3, T3)]
    assert version(policy_in_force(adopted, "2020Q2")) == 3
    assert version(policy_in_force(adopted, "2020Q2", as_of=T3 - MICROSECOND)) == 2


def test_a_policy_adopted_after_the_as_of_time_is_not_yet_in_force():
    assert version(policy_in_force(ADOPTED, "2020Q1", as_of=T2 - MICROSECOND)) == 1


def test_a_policy_recorded_exactly_at_the_as_of_time_is_known_then():
    assert version(policy_in_force(ADOPTED, "2020Q1", as_of=T2)) == 2
    assert version(policy_in_force(ADOPTED, "2019Q1", as_of=T1)) == 1


def test_the_adoption_time_not_the_quarter_decides_what_was_known():
    # v2 applies from 2020Q1 but was adopted in 2019: a 2020Q1 replay as of 2019-12-31 uses it.
    new_year_eve = datetime(2019, 12, 31, tzinfo=UTC)
    assert version(policy_in_force(ADOPTED, "2020Q1", as_of=new_year_eve)) == 2


def test_a_quarter_before_every_policy_has_none_in_force_and_the_error_says_from_when():
    with pytest.raises(NotFoundError) as caught:
        policy_in_force(ADOPTED, "2018Q3")
    assert str(caught.value) == (
        "no scoring policy is in force for 2018Q3: "
        "the earliest policy adopted applies from 2018Q4; "
        "adopt one first (`impact init`, or the first `impact review`, adopts v1)"
    )


def test_no_policy_adopted_by_the_as_of_time_is_an_error_that_names_the_first_adoption():
    with pytest.raises(NotFoundError) as caught:
        policy_in_force(ADOPTED, "2019Q1", as_of=T1 - MICROSECOND)
    assert str(caught.value) == (
        "no scoring policy is in force for 2019Q1 as of 2018-11-28T08:59:59.999999+00:00: "
        "none had been adopted by then (the first was recorded at 2018-11-28T09:00:00+00:00); "
        "adopt one first (`impact init`, or the first `impact review`, adopts v1)"
    )


def test_with_no_policy_adopted_at_all_the_error_says_so():
    with pytest.raises(NotFoundError, match="in force for 2019Q1: none has been adopted;"):
        policy_in_force([], "2019Q1")
    with pytest.raises(NotFoundError, match="in force for 2019Q1 as of 2019-04-01T00:00:00"):
        policy_in_force([], "2019Q1", as_of=datetime(2019, 4, 1, tzinfo=UTC))


def test_a_policy_without_a_recorded_time_counts_only_when_no_as_of_is_asked():
    undated = [AdoptedPolicy("2018Q4", POLICY_V1)]
    assert policy_in_force(undated, "2019Q1") == POLICY_V1
    with pytest.raises(NotFoundError, match="none had been adopted by then;"):
        policy_in_force(undated, "2019Q1", as_of=T2)
