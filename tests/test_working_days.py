"""Working days skip weekends and England and Wales bank holidays."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from audits.core.working_days import add_working_days, bank_holidays, working_days_after


def test_ten_working_days_over_christmas_skip_the_bank_holidays():
    # Fri 18 Dec 2026: Christmas Day (Fri), Boxing Day moved to Mon 28, New Year's Day (Fri).
    assert working_days_after(date(2026, 12, 18), 10) == date(2027, 1, 6)


def test_easter_is_skipped_and_a_weekend_start_counts_from_monday():
    assert working_days_after(date(2026, 4, 1), 3) == date(2026, 4, 8)
    assert working_days_after(date(2026, 5, 9), 1) == date(2026, 5, 11)  # Saturday -> Monday


def test_scottish_holidays_are_not_english_ones():
    # 2 January and St Andrew's Day are Scottish bank holidays only.
    closed = bank_holidays(date(2026, 1, 1), date(2026, 12, 31))
    assert date(2026, 1, 2) not in closed
    assert date(2026, 11, 30) not in closed
    assert date(2026, 8, 31) in closed  # summer bank holiday (England and Wales)


@given(st.dates(date(2024, 1, 1), date(2030, 12, 31)), st.integers(1, 30))
def test_the_end_is_a_working_day_with_exactly_that_many_working_days_after_the_start(start, n):
    closed = bank_holidays(start, start + timedelta(days=n * 2 + 14))
    end = add_working_days(start, n, closed)
    days = [start + timedelta(days=k) for k in range(1, (end - start).days + 1)]
    working = [d for d in days if d.weekday() < 5 and d not in closed]
    assert len(working) == n
    assert working[-1] == end
