"""The audit programme's calendar: when each entry of a year's programme makes a cycle, which
period that cycle covers, and what is due on a given day. Pure: plain data in, plain data out.

An entry is either a recurring random audit (monthly or quarterly, on a day of the month) or a
themed audit (one month). Each occurrence is named by the date it was first scheduled for
(``scheduled_on``); moving it changes the day it is made, never its name, so "was this one
made?" has one answer however often it moves.
"""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

RANDOM = "random"
THEMED = "themed"
ENTRY_KINDS = (RANDOM, THEMED)
MONTHLY = "monthly"
QUARTERLY = "quarterly"
# How many months apart the occurrences of a recurring audit are, and how many months back
# the cycle made on each looks (a monthly audit reads the month before, a quarterly one the
# quarter before).
FREQUENCY_MONTHS = {MONTHLY: 1, QUARTERLY: 3}
FREQUENCIES = tuple(FREQUENCY_MONTHS)
# Every month has these days, so an entry falls in every month it names.
LAST_DAY = 28
FIRST_YEAR, LAST_YEAR = 2000, 2100

# Where an occurrence stands, in the words the calendar shows.
MADE = "made"
SKIPPED = "skipped"
WAITING = "waiting"  # its day has come; the next run of the programme makes it
SCHEDULED = "scheduled"
BEFORE_START = "before_start"  # its day passed before the entry was added: never made
STATE_LABELS = {
    MADE: "Cycle made",
    SKIPPED: "Skipped",
    WAITING: "Due: made at the next run",
    SCHEDULED: "Scheduled",
    BEFORE_START: "Before the programme began",
}


@dataclass(frozen=True)
class Entry:
    """What the calendar needs to know of an entry."""

    key: int
    kind: str
    year: int
    month: int  # themed: its month; recurring: the first month
    day: int
    frequency: str = MONTHLY
    starts_on: date | None = None  # the day it was added: earlier days are never made


@dataclass(frozen=True)
class Change:
    """A move or a skip of one occurrence."""

    skipped: bool = False
    moved_to: date | None = None


def occurrence_dates(entry: Entry) -> list[date]:
    """The days an entry makes a cycle in its year, as first scheduled."""
    if entry.kind == THEMED:
        return [date(entry.year, entry.month, entry.day)]
    step = FREQUENCY_MONTHS[entry.frequency]
    return [date(entry.year, month, entry.day) for month in range(entry.month, 13, step)]


def _months_back(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def period_of(entry: Entry, scheduled_on: date) -> tuple[date, date]:
    """The period the cycle of an occurrence covers: the whole months before the month it is
    scheduled in (one for a monthly or themed audit, three for a quarterly one)."""
    months = FREQUENCY_MONTHS[entry.frequency] if entry.kind == RANDOM else 1
    start = _months_back(scheduled_on, months)
    end = scheduled_on.replace(day=1) - timedelta(days=1)
    return start, end


def effective_day(scheduled_on: date, change: Change | None) -> date:
    return change.moved_to if change and change.moved_to else scheduled_on


def state_of(
    entry: Entry, scheduled_on: date, today: date, change: Change | None, made: bool
) -> str:
    if made:
        return MADE
    if change and change.skipped:
        return SKIPPED
    if entry.starts_on and scheduled_on < entry.starts_on and not (change and change.moved_to):
        return BEFORE_START
    return WAITING if effective_day(scheduled_on, change) <= today else SCHEDULED


def due_on(
    today: date,
    entries: list[Entry],
    changes: dict[tuple[int, date], Change],
    made: set[tuple[int, date]],
) -> list[tuple[int, date]]:
    """The occurrences to make today: their (possibly moved) day has come, they are not
    skipped or made, and they fell after the entry was added. A day missed while nothing ran
    is still due the next day, until it is made; a made one is never due again."""
    due = []
    for entry in entries:
        for scheduled_on in occurrence_dates(entry):
            key = (entry.key, scheduled_on)
            state = state_of(entry, scheduled_on, today, changes.get(key), key in made)
            if state == WAITING:
                due.append(key)
    return sorted(due, key=lambda key: (effective_day(key[1], changes.get(key)), key))


def entry_problems(
    *, kind, year, month, day, frequency, case_types, theme, teams_given
) -> dict[str, list[str]]:
    """Field errors for an entry whose values are already of the right type."""
    problems: dict[str, list[str]] = {}
    if kind not in ENTRY_KINDS:
        problems["kind"] = ["Choose a recurring random audit or a themed audit"]
    if not FIRST_YEAR <= year <= LAST_YEAR:
        problems["year"] = [f"Enter a year between {FIRST_YEAR} and {LAST_YEAR}"]
    if not 1 <= month <= 12:
        problems["month"] = ["Enter a month from 1 (January) to 12 (December)"]
    if not 1 <= day <= LAST_DAY:
        problems["day"] = [f"Enter a day from 1 to {LAST_DAY}, so it falls in every month"]
    if kind == RANDOM and frequency not in FREQUENCIES:
        problems["frequency"] = ["Choose every month or every three months"]
    if kind == THEMED and not (case_types or theme.strip()):
        problems["theme"] = ["Name the theme or choose the case types a themed audit looks at"]
    return problems


def move_problems(*, current: date, to: date, today: date, reason: str) -> dict:
    problems: dict[str, list[str]] = {}
    if not reason.strip():
        problems["reason"] = ["Say why the audit is moved"]
    if to < today:
        problems["to"] = ["The new date must be today or in the future"]
    elif to == current:
        problems["to"] = ["The new date must be a different day from the one it is scheduled for"]
    return problems


def month_name(month: int) -> str:
    return calendar.month_name[month]
