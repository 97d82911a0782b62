from datetime import date

import pytest

from impact.domain.quarter import Quarter


def test_a_quarter_is_written_like_2021Q4_and_reads_back():
    assert str(Quarter.parse("2021Q4")) == "2021Q4"
    assert Quarter.parse(" 2019Q1 ") == Quarter(2019, 1)


@pytest.mark.parametrize("text", ["2021Q5", "2021-Q4", "21Q4", "Q4 2021", "", "2021q4"])
def test_anything_else_is_refused_with_how_to_write_it(text):
    with pytest.raises(ValueError, match="write it like 2021Q4"):
        Quarter.parse(text)


def test_quarters_know_their_days_and_neighbours():
    q = Quarter(2020, 1)
    assert q.first_day == date(2020, 1, 1)
    assert q.last_day == date(2020, 3, 31)
    assert Quarter(2020, 4).next() == Quarter(2021, 1)
    assert Quarter(2021, 1).previous() == Quarter(2020, 4)
    assert Quarter.containing(date(2019, 8, 15)) == Quarter(2019, 3)


def test_a_quarter_overlaps_a_programme_life_only_where_they_meet():
    q = Quarter(2019, 2)
    assert q.overlaps(date(2019, 6, 30), None)
    assert not q.overlaps(date(2019, 7, 1), None)
    assert not q.overlaps(date(2018, 1, 1), date(2019, 3, 31))
