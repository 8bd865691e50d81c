"""Working days: Monday to Friday, less the bank holidays of England and Wales.

Windows people are given to act (a practitioner's response to an audit's findings) are
counted in working days, as councils count them.
"""

from datetime import date, timedelta
from functools import cache

import holidays


@cache
def _bank_holidays(year: int) -> frozenset[date]:
    # The library is kept up to date with proclaimed one-off holidays (coronations, jubilees).
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def bank_holidays(start: date, end: date) -> frozenset[date]:
    """England and Wales bank holidays from ``start`` to ``end`` inclusive."""
    found: set[date] = set()
    for year in range(start.year, end.year + 1):
        found |= {day for day in _bank_holidays(year) if start <= day <= end}
    return frozenset(found)


def add_working_days(start: date, days: int, closed: frozenset[date] = frozenset()) -> date:
    """The date ``days`` working days after ``start`` (``start`` itself not counted),
    skipping weekends and the dates in ``closed``. ``days`` 0 gives ``start``."""
    if days < 0:
        raise ValueError("days must be zero or more")
    day, left = start, days
    while left:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in closed:
            left -= 1
    return day


def working_days_after(start: date, days: int) -> date:
    """``add_working_days`` with England and Wales bank holidays closed."""
    # A window of n working days never spans more than n * 2 + 14 calendar days.
    closed = bank_holidays(start, start + timedelta(days=days * 2 + 14))
    return add_working_days(start, days, closed)
