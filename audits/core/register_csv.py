"""Checking the rows of register CSV files (cases, allocation history, staff). Pure: no ORM.
Reading a whole file and checking it is core/register_file.py.

A file is checked whole before anything is written. Every problem is reported as
(line, column, message). The caller passes the look-ups the checks need (team names, staff
refs, ...) as plain dictionaries, so this module can be tested without a database and so
a 100,000-row file is streamed, never held as row objects.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

ROLE_NAMES = ("auditor", "manager", "internal_auditor", "admin")
EMAIL_PATTERN = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")
REF_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")


@dataclass(frozen=True)
class RowError:
    line: int
    column: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "message": self.message}


@dataclass
class Lookups:
    """What the checks need to know about the database, as plain data."""

    team_ids: dict[str, int] = field(default_factory=dict)  # team name -> id
    staff_ids: dict[str, int] = field(default_factory=dict)  # staff_ref -> id
    case_ids: dict[str, int] = field(default_factory=dict)  # case_ref -> id (allocations only)
    case_types: tuple[str, ...] = ()
    today: date = field(default_factory=date.today)
    # The importer's scope: the teams they may write for (None: every team, an administrator)
    # and the refs of cases held by other teams (cases only). For allocations ``case_ids``
    # holds only the cases in scope, so a case of another team reads as unknown.
    team_scope: frozenset[int] | None = None
    refs_out_of_scope: frozenset[str] = frozenset()


class RowProblem(ValueError):
    def __init__(self, column: str | None, message: str):
        super().__init__(message)
        self.column = column
        self.message = message


def _text(row: dict, column: str, *, required: bool = True, max_length: int = 200) -> str:
    value = (row.get(column) or "").strip()
    if required and not value:
        raise RowProblem(column, "is required")
    if len(value) > max_length:
        raise RowProblem(column, f"is longer than {max_length} characters")
    if "\x00" in value:
        raise RowProblem(column, "contains a NUL character")
    return value


def _ref(row: dict, column: str, *, required: bool = True) -> str:
    value = _text(row, column, required=required, max_length=64)
    if value and not REF_PATTERN.match(value):
        raise RowProblem(column, f"{value!r} is not a valid reference (letters, digits, . _ / -)")
    return value


@lru_cache(maxsize=8192)
def parse_date(value: str) -> date:
    """ISO (2026-03-01) or UK (01/03/2026) dates; cached: a register repeats few dates."""
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, pattern).date()  # noqa: DTZ007 - a date, no time
        except ValueError:
            continue
    raise ValueError(value)


def _date(row: dict, column: str, *, required: bool = True) -> date | None:
    value = _text(row, column, required=required, max_length=20)
    if not value:
        return None
    try:
        return parse_date(value)
    except ValueError:
        raise RowProblem(
            column, f"{value!r} is not a date (use 2026-03-01 or 01/03/2026)"
        ) from None


def _lookup(row: dict, column: str, table: dict[str, int], what: str, *, required=True):
    value = _text(row, column, required=required, max_length=100)
    if not value:
        return None
    if value not in table:
        raise RowProblem(column, f"unknown {what} {value!r}")
    return table[value]


def case_birth_year(row: dict, lookups: Lookups) -> int | None:
    raw_year = _text(row, "birth_year", required=False, max_length=4)
    if not raw_year:
        return None
    if not (raw_year.isascii() and raw_year.isdigit()):
        raise RowProblem("birth_year", f"{raw_year!r} is not a year")
    birth_year = int(raw_year)
    if birth_year > lookups.today.year:
        raise RowProblem("birth_year", f"{birth_year} is in the future")
    if birth_year < lookups.today.year - 30:
        raise RowProblem("birth_year", f"{birth_year} is more than 30 years ago")
    return birth_year


def case_team(row: dict, lookups: Lookups) -> int:
    team_id = _lookup(row, "team", lookups.team_ids, "team")
    if lookups.team_scope is not None and team_id not in lookups.team_scope:
        raise RowProblem("team", f"{row['team'].strip()!r} is not a team you manage")
    return team_id


def case_type(row: dict, lookups: Lookups) -> str:
    value = _text(row, "case_type", max_length=30)
    if value not in lookups.case_types:
        raise RowProblem(
            "case_type", f"unknown case type {value!r} (one of {', '.join(lookups.case_types)})"
        )
    return value


def case_opened_on(row: dict, lookups: Lookups) -> date:
    return _date(row, "opened_on")


def case_closed_on(row: dict, lookups: Lookups) -> date | None:
    return _date(row, "closed_on", required=False)


def case_staff(column: str) -> Callable[[dict, Lookups], int | None]:
    return lambda row, lookups: _lookup(row, column, lookups.staff_ids, "staff", required=False)


# The checks of one column of a cases row that depend on that column alone, by column: the
# PostgreSQL import runs them once per distinct value (audits/services/register_import_sql).
CASE_VALUE_CHECKS: dict[str, Callable[[dict, Lookups], Any]] = {
    "team": case_team,
    "case_type": case_type,
    "opened_on": case_opened_on,
    "closed_on": case_closed_on,
    "worker_ref": case_staff("worker_ref"),
    "manager_ref": case_staff("manager_ref"),
    "birth_year": case_birth_year,
}


def _case_row(row: dict, lookups: Lookups) -> tuple[str, dict]:
    case_ref = _ref(row, "case_ref")
    if case_ref in lookups.refs_out_of_scope:
        # Never say which team holds it: the importer has no business knowing.
        raise RowProblem(
            "case_ref",
            f"{case_ref!r} is a case of a team you do not manage: ask a manager of that team "
            "or an administrator to change it",
        )
    kind_of_case = case_type(row, lookups)
    opened_on = case_opened_on(row, lookups)
    closed_on = case_closed_on(row, lookups)
    if closed_on and opened_on and closed_on < opened_on:
        raise RowProblem("closed_on", "is before opened_on")
    if opened_on > lookups.today:
        raise RowProblem("opened_on", "is in the future")
    birth_year = case_birth_year(row, lookups)
    team_id = case_team(row, lookups)
    return case_ref, {
        "case_ref": case_ref,
        "team_id": team_id,
        "case_type": kind_of_case,
        "opened_on": opened_on,
        "closed_on": closed_on,
        "worker_id": _lookup(row, "worker_ref", lookups.staff_ids, "staff", required=False),
        "manager_id": _lookup(row, "manager_ref", lookups.staff_ids, "staff", required=False),
        "birth_year": birth_year,
    }


def _case_in_scope(row: dict, lookups: Lookups) -> int:
    if lookups.team_scope is None:
        return _lookup(row, "case_ref", lookups.case_ids, "case")
    # The same words for a case that does not exist and a case of another team.
    value = _text(row, "case_ref", max_length=100)
    if value not in lookups.case_ids:
        raise RowProblem("case_ref", f"no case {value!r} in the teams you manage")
    return lookups.case_ids[value]


def _allocation_row(row: dict, lookups: Lookups) -> tuple[tuple, dict]:
    role = _text(row, "role", max_length=10)
    if role not in ("worker", "manager"):
        raise RowProblem("role", f"{role!r} is not worker or manager")
    from_date = _date(row, "from_date")
    to_date = _date(row, "to_date", required=False)
    if to_date and from_date and to_date < from_date:
        raise RowProblem("to_date", "is before from_date")
    record = {
        "case_id": _case_in_scope(row, lookups),
        "staff_id": _lookup(row, "staff_ref", lookups.staff_ids, "staff"),
        "role": role,
        "from_date": from_date,
        "to_date": to_date,
    }
    return (record["case_id"], record["staff_id"], role, from_date), record


def _names(row: dict, column: str) -> list[str]:
    value = _text(row, column, required=False, max_length=2000)
    return [part.strip() for part in re.split(r"[;|]", value) if part.strip()]


def _staff_row(row: dict, lookups: Lookups) -> tuple[str, dict]:
    staff_ref = _ref(row, "staff_ref")
    email = _text(row, "email", required=False, max_length=254)
    if email and not EMAIL_PATTERN.match(email):
        raise RowProblem("email", f"{email!r} is not an email address")
    roles = _names(row, "roles")
    for role in roles:
        if role not in ROLE_NAMES:
            raise RowProblem("roles", f"unknown role {role!r} (one of {', '.join(ROLE_NAMES)})")
    managed = []
    for name in _names(row, "manages_teams"):
        if name not in lookups.team_ids:
            raise RowProblem("manages_teams", f"unknown team {name!r}")
        managed.append(lookups.team_ids[name])
    raw_capacity = _text(row, "capacity", required=False, max_length=6) or "0"
    if not (raw_capacity.isascii() and raw_capacity.isdigit()) or int(raw_capacity) > 1000:
        raise RowProblem("capacity", f"{raw_capacity!r} is not a whole number from 0 to 1000")
    return staff_ref, {
        "staff_ref": staff_ref,
        "name": _text(row, "name"),
        "email": email,
        "team_id": _lookup(row, "team", lookups.team_ids, "team", required=False),
        "roles": sorted(set(roles)),
        "managed_team_ids": sorted(set(managed)),
        "capacity": int(raw_capacity),
    }


@dataclass(frozen=True)
class Kind:
    name: str
    columns: tuple[str, ...]
    convert: Callable[[dict, Lookups], tuple[Any, dict]]
    key_label: str


KINDS = {
    "cases": Kind(
        "cases",
        (
            "case_ref",
            "team",
            "case_type",
            "opened_on",
            "closed_on",
            "worker_ref",
            "manager_ref",
            "birth_year",
        ),
        _case_row,
        "case_ref",
    ),
    "allocations": Kind(
        "allocations",
        ("case_ref", "staff_ref", "role", "from_date", "to_date"),
        _allocation_row,
        "case_ref, staff_ref, role and from_date",
    ),
    "staff": Kind(
        "staff",
        ("staff_ref", "name", "email", "team", "roles", "manages_teams", "capacity"),
        _staff_row,
        "staff_ref",
    ),
}
