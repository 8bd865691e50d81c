"""The programme's calendar, without a database: which days an entry makes a cycle, which
period each covers, and what is due on a day given what was made, moved or skipped."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from audits.core import programme as p

MONTHLY = p.Entry(key=1, kind=p.RANDOM, year=2027, month=1, day=3, frequency=p.MONTHLY)
QUARTERLY = p.Entry(key=2, kind=p.RANDOM, year=2027, month=2, day=10, frequency=p.QUARTERLY)
THEMED = p.Entry(key=3, kind=p.THEMED, year=2027, month=6, day=1)


def test_a_monthly_audit_falls_on_its_day_of_every_month():
    assert p.occurrence_dates(MONTHLY) == [date(2027, m, 3) for m in range(1, 13)]


def test_a_quarterly_audit_falls_every_third_month_from_its_first():
    assert p.occurrence_dates(QUARTERLY) == [date(2027, m, 10) for m in (2, 5, 8, 11)]


def test_a_themed_audit_falls_once_in_its_month():
    assert p.occurrence_dates(THEMED) == [date(2027, 6, 1)]


def test_each_cycle_covers_the_whole_months_before_its_own():
    assert p.period_of(MONTHLY, date(2027, 1, 3)) == (date(2026, 12, 1), date(2026, 12, 31))
    assert p.period_of(QUARTERLY, date(2027, 5, 10)) == (date(2027, 2, 1), date(2027, 4, 30))
    assert p.period_of(THEMED, date(2027, 6, 1)) == (date(2027, 5, 1), date(2027, 5, 31))


def test_nothing_is_due_before_its_day_and_it_is_due_on_it():
    assert p.due_on(date(2027, 1, 2), [MONTHLY], {}, set()) == []
    assert p.due_on(date(2027, 1, 3), [MONTHLY], {}, set()) == [(1, date(2027, 1, 3))]


def test_what_was_made_is_never_due_again():
    assert p.due_on(date(2027, 1, 20), [MONTHLY], {}, {(1, date(2027, 1, 3))}) == []


def test_days_missed_while_nothing_ran_are_all_due_in_order():
    due = p.due_on(date(2027, 3, 4), [MONTHLY, QUARTERLY], {}, set())
    assert due == [
        (1, date(2027, 1, 3)),
        (1, date(2027, 2, 3)),
        (2, date(2027, 2, 10)),
        (1, date(2027, 3, 3)),
    ]


def test_a_skipped_occurrence_is_never_due_and_a_moved_one_is_due_on_its_new_day():
    changes = {
        (1, date(2027, 1, 3)): p.Change(skipped=True),
        (1, date(2027, 2, 3)): p.Change(moved_to=date(2027, 2, 20)),
    }
    assert p.due_on(date(2027, 2, 19), [MONTHLY], changes, set()) == []
    assert p.due_on(date(2027, 2, 20), [MONTHLY], changes, set()) == [(1, date(2027, 2, 3))]


def test_days_before_the_entry_was_added_are_never_made():
    late = p.Entry(**{**MONTHLY.__dict__, "starts_on": date(2027, 6, 15)})
    due = p.due_on(date(2027, 7, 3), [late], {}, set())
    assert due == [(1, date(2027, 7, 3))]
    assert p.state_of(late, date(2027, 2, 3), date(2027, 7, 3), None, False) == p.BEFORE_START


def test_an_entry_needs_a_known_kind_a_real_day_and_a_theme():
    base = {
        "kind": p.RANDOM,
        "year": 2027,
        "month": 1,
        "day": 1,
        "frequency": p.MONTHLY,
        "case_types": [],
        "theme": "",
        "teams_given": False,
    }
    assert p.entry_problems(**base) == {}
    assert set(p.entry_problems(**{**base, "day": 31})) == {"day"}
    assert set(p.entry_problems(**{**base, "month": 13})) == {"month"}
    assert set(p.entry_problems(**{**base, "frequency": "weekly"})) == {"frequency"}
    assert set(p.entry_problems(**{**base, "kind": p.THEMED})) == {"theme"}
    assert p.entry_problems(**{**base, "kind": p.THEMED, "theme": "Voice of the child"}) == {}


def test_a_move_needs_a_reason_and_a_day_not_past():
    today = date(2027, 3, 1)
    assert set(p.move_problems(current=today, to=today, today=today, reason="")) == {
        "reason",
        "to",
    }
    assert p.move_problems(current=today, to=date(2027, 3, 9), today=today, reason="Ofsted") == {}
    assert set(p.move_problems(current=today, to=date(2027, 2, 1), today=today, reason="x")) == {
        "to"
    }


@given(
    kind=st.sampled_from(p.ENTRY_KINDS),
    frequency=st.sampled_from(p.FREQUENCIES),
    month=st.integers(1, 12),
    day=st.integers(1, p.LAST_DAY),
    gaps=st.lists(st.integers(1, 60), min_size=1, max_size=12),
)
def test_any_walk_of_the_year_makes_every_occurrence_exactly_once(
    kind, frequency, month, day, gaps
):
    """Runs on any days (however far apart) make each occurrence once, and all of them by
    the year's end."""
    entry = p.Entry(key=1, kind=kind, year=2027, month=month, day=day, frequency=frequency)
    made: list = []
    today = date(2026, 12, 31)
    for gap in gaps * 10:
        today += timedelta(days=gap)
        made += p.due_on(today, [entry], {}, set(made))
        if today.year > 2027:
            break
    made += p.due_on(date(2028, 1, 1), [entry], {}, set(made))
    assert sorted(made) == [(1, d) for d in p.occurrence_dates(entry)]
