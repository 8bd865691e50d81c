"""Reads of the audit programme: who may read and write it, its entries as the pure calendar
takes them, and the calendar of a year as the page and the API show it."""

from datetime import date

from audits.core import programme, roles
from audits.models import ProgrammeEntry
from audits.selectors import scoping

# The programme names teams, themes and dates, never a case: every manager (to see when
# their teams are audited), internal audit and administrators read it.
READ_ROLES = (roles.MANAGER, roles.INTERNAL_AUDITOR, roles.ADMIN)
WRITE_ROLES = (roles.MANAGER, roles.ADMIN)
MOVED = "Moved"


def may_read(user) -> bool:
    return roles.has_role(user, *READ_ROLES)


def may_write(user) -> bool:
    """An administrator or the QA lead (a manager of every team): a team manager does not set
    the programme of the whole service."""
    return roles.has_role(user, roles.ADMIN) or scoping.manages_every_team(user)


def entries_for(user):
    if not may_read(user):
        return ProgrammeEntry.objects.none()
    return ProgrammeEntry.objects.prefetch_related("teams", "occurrences")


def as_plain(entry: ProgrammeEntry) -> programme.Entry:
    return programme.Entry(
        key=entry.pk,
        kind=entry.kind,
        year=entry.year,
        month=entry.month,
        day=entry.day,
        frequency=entry.frequency or programme.MONTHLY,
        starts_on=entry.starts_on,
    )


def changes_and_made(occurrences) -> tuple[dict, set]:
    changes, made = {}, set()
    for row in occurrences:
        key = (row.entry_id, row.scheduled_on)
        changes[key] = programme.Change(skipped=row.skipped, moved_to=row.moved_to)
        if row.cycle_id is not None:
            made.add(key)
    return changes, made


def entries_of_years_up_to(year: int) -> list[ProgrammeEntry]:
    return list(ProgrammeEntry.objects.filter(year__lte=year))


def occurrence_rows(entry: ProgrammeEntry, *, today: date, stored=None) -> list[dict]:
    """Each occurrence of an entry: its day, where it stands, the cycle it made, the reason
    it was moved or skipped."""
    plain = as_plain(entry)
    if stored is None:
        stored = {row.scheduled_on: row for row in entry.occurrences.all()}
    rows = []
    for scheduled_on in programme.occurrence_dates(plain):
        row = stored.get(scheduled_on)
        change = programme.Change(skipped=row.skipped, moved_to=row.moved_to) if row else None
        made = row is not None and row.cycle_id is not None
        state = programme.state_of(plain, scheduled_on, today, change, made)
        rows.append(
            {
                "entry": entry,
                "scheduled_on": scheduled_on,
                "makes_on": programme.effective_day(scheduled_on, change),
                "state": state,
                "state_label": MOVED
                if row and row.moved_to and state == programme.SCHEDULED
                else programme.STATE_LABELS[state],
                "moved": bool(row and row.moved_to),
                "reason": row.reason if row else "",
                "cycle_id": row.cycle_id if row else None,
                "period": programme.period_of(plain, scheduled_on),
                "changeable": state in (programme.SCHEDULED, programme.WAITING),
            }
        )
    return rows


def calendar(user, *, year: int, today: date) -> list[dict]:
    """The year's occurrences of every entry, in the order they are made (a few queries
    however many entries: teams and occurrences are prefetched)."""
    entries = entries_for(user).filter(year=year)
    rows = [row for entry in entries for row in occurrence_rows(entry, today=today)]
    return sorted(rows, key=lambda row: (row["makes_on"], row["entry"].pk))
