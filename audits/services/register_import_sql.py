"""The cases import on PostgreSQL: the file is loaded with ``COPY`` and written with one
``INSERT … SELECT`` (``… ON CONFLICT`` when some of its cases are there already), the
checks made once per distinct value, not per row.

Raw SQL, for a bench figure (bench/register_import.py, 1,000,000 new cases, this shared
2-core machine; floor: psql ``\\copy`` of the same file into a scratch table with the same
typed columns; table floor: those typed rows inserted into ``audits_case`` alone, foreign
keys checked): the row-by-row import took 114.4 s against a ``COPY`` floor of 1.78 s
(64x). This path took 14.1 s against 0.60 s (23x) with eight indexes, every column joined
to its values and an ON CONFLICT insert. With five indexes (migration 0016), values cast
in place when they read back unchanged and a plain INSERT for new cases: 16.1 and 19.7 s
against 1.39 and 1.38 s (11.7x, 14.3x) on a machine twice as busy, where the old path
took 37.2 and 43.8 s (22.5x, 24.0x) run in turn. The import now costs what the table
costs: 0.88x and 1.25x the table floor (18.3, 15.7 s); its commit (6-7 s) is the deferred
foreign-key checks. The 5x-of-COPY target is below what writing into this table costs at
all (the bench's docstring has the split).

It only ever ACCEPTS a file; it never words a refusal. Whatever it cannot vouch for, it
hands back (``None`` from ``cases_sql_prepare``, ``SqlRefused`` from ``write``) and the
row-by-row import (register_import) reads the file again and gives its own answer, the
same words, lines and results as on SQLite. So it is stricter than the row-by-row checks,
never looser:

- the file: a header the row-by-row import accepts, no ``"`` and no ``\\`` anywhere (the
  two CSV readers differ on quotes; ``\\.`` ends a COPY), UTF-8 (COPY refuses otherwise),
  the same number of fields on every line (COPY refuses otherwise);
- every distinct value of team, case type, dates, staff refs and birth year goes through
  the very functions the row-by-row import calls (register_csv.CASE_VALUE_CHECKS);
- per row, in SQL: the case reference matches the reference pattern with no blank around
  it (a blank line fails it too), closed on or after opened (the table's CHECK), no
  reference twice (ON CONFLICT cannot touch a row twice), no case of a team outside the
  importer's scope (the upsert's WHERE, then the count).
"""

import codecs
import csv
import re
import time
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, BinaryIO

import psycopg
from django.db import DatabaseError, connection, transaction

from audits.core.register_csv import CASE_VALUE_CHECKS, KINDS, Lookups, RowProblem
from audits.core.register_file import FileProblem, read_header

TABLE = "import_cases_load"
REF_SQL_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$"  # register_csv.REF_PATTERN, no blanks
MAX_DISTINCT = 100_000  # values handed to Python at most; more and the rows are checked one by one
CHUNK = 1 << 20
LARGE_FILE = 5_000  # rows from which the write is planned with hash joins only
COLUMN_TYPES = {
    "team": "int",
    "case_type": "text",
    "opened_on": "date",
    "closed_on": "date",
    "worker_ref": "int",
    "manager_ref": "int",
    "birth_year": "int",
}
CAST_IN_PLACE = ("case_type", "opened_on", "closed_on", "birth_year")  # not names to ids


class Stages:
    """Seconds spent in each stage of one import, in order: logged by the import job and
    printed by bench/register_import.py (``stages_s``)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._mark = time.perf_counter()

    def lap(self, stage: str) -> None:
        """The time since the last lap goes to ``stage``."""
        now = time.perf_counter()
        self.seconds[stage] = self.seconds.get(stage, 0.0) + now - self._mark
        self._mark = now

    def rounded(self) -> dict[str, float]:
        return {stage: round(seconds, 3) for stage, seconds in self.seconds.items()}


class SqlRefused(Exception):
    """The write found something to refuse: the row-by-row import must word it."""


class _NotPlain(Exception):
    pass


@dataclass
class CasesLoaded:
    """A cases file loaded into a temporary table, every distinct value checked."""

    rows: int
    maps: dict[str, tuple[list[str], list[Any]]]
    team_names: dict[int, str]
    scope: frozenset[int] | None
    refs_checked: bool  # every case_ref matched the pattern while loading
    stages: Stages

    def _columns(self) -> tuple[dict[str, str], str, dict[str, Any]]:
        """Each column's value as SQL, the joins they need, and their parameters. A column
        read back unchanged by a cast (every raw value already the text of its checked
        value: ISO dates, plain numbers, exact case types) or empty throughout is cast in
        place; any other goes through a join to its list of (raw value, checked value)."""
        values, joins, params = {}, [], {}
        for column, (raws, checked) in self.maps.items():
            kind = COLUMN_TYPES[column]
            if all(value is None for value in checked):
                values[column] = f"NULL::{kind}"
            elif column in CAST_IN_PLACE and all(
                _text_of(value) == (raw or None) for raw, value in zip(raws, checked, strict=True)
            ):
                values[column] = f"t.{column}::{kind}"
            else:
                joins.append(
                    f"JOIN unnest(%(raw_{column})s::text[], %(value_{column})s::{kind}[]) "
                    f"AS m_{column}(raw, value) ON m_{column}.raw = coalesce(t.{column}, '')"
                )
                params |= {f"raw_{column}": raws, f"value_{column}": checked}
                values[column] = f"m_{column}.value"
        return values, " ".join(joins), params

    def write(self, *, dry_run: bool, now: datetime) -> tuple[int, int, list[tuple]]:
        """(created, updated, [(case id, old team, new team)]) or SqlRefused. In the
        caller's transaction; on SqlRefused the caller rolls it back."""
        v, joins, params = self._columns()
        params |= {
            "scope": None if self.scope is None else sorted(self.scope),
            "refs_checked": self.refs_checked,
            "ref_pattern": REF_SQL_PATTERN,
            "now": now,
        }
        load = f"{TABLE} t {joins}"
        with connection.cursor() as cursor:
            # The joins to the value lists are 1:1 but the planner cannot know it: without
            # this it nests loops (43 s at 1,000,000 rows, against 8.7 with hash joins). A
            # small file keeps the planner's choice (index look-ups into the cases).
            if self.rows > LARGE_FILE:
                cursor.execute("SET LOCAL enable_nestloop = off")
            # The sort by line (ids in file order, as the row path gives them): in memory up
            # to about 400,000 rows, on disk beyond (0.06 s of 1,000,000 rows).
            cursor.execute("SET LOCAL work_mem = '64MB'")
            # How many of the file's cases are there already; those it moves to another
            # team (one Event each), and any of a team the importer does not manage.
            cursor.execute(
                "SELECT count(*), array_agg(id) FILTER (WHERE flagged), "  # noqa: S608 - fixed names only
                "array_agg(old) FILTER (WHERE flagged), array_agg(new) FILTER (WHERE flagged) "
                f"FROM (SELECT c.id, c.team_id AS old, {v['team']} AS new FROM {load} "
                "JOIN audits_case c ON c.case_ref = t.case_ref) AS m, LATERAL (SELECT "
                "old <> new OR NOT (old = ANY(%(scope)s::int[])) AS flagged) AS f",
                params,
            )
            existing, *flagged = cursor.fetchone()
            self.stages.lap("moved")
            moved = list(zip(*(column or [] for column in flagged), strict=True))
            if self.scope is not None and any(old not in self.scope for _, old, _ in moved):
                raise SqlRefused
            moved = [(pk, old, new) for pk, old, new in moved if old != new]
            if dry_run:
                cursor.execute(
                    "SELECT count(*), count(DISTINCT t.case_ref), count(*) FILTER (WHERE "  # noqa: S608 - fixed names only
                    "NOT (%(refs_checked)s OR t.case_ref ~ %(ref_pattern)s) "
                    f"OR t.case_ref IS NULL OR {v['closed_on']} < {v['opened_on']}) FROM {load}",
                    params,
                )
                total, distinct, bad = cursor.fetchone()
                cursor.execute("RESET enable_nestloop; RESET work_mem")
                if bad or distinct != total or total != self.rows:
                    raise SqlRefused
                return total - existing, existing, []
            insert = (
                'INSERT INTO "audits_case" (case_ref, team_id, case_type, opened_on, closed_on, '  # noqa: S608
                "worker_id, manager_id, birth_year, legal_hold, updated_at) "
                f"SELECT t.case_ref, {v['team']}, {v['case_type']}, {v['opened_on']}, "
                f"{v['closed_on']}, {v['worker_ref']}, {v['manager_ref']}, {v['birth_year']}, "
                f"false, %(now)s FROM {load} "
                "WHERE %(refs_checked)s OR t.case_ref ~ %(ref_pattern)s ORDER BY t.n"
            )
            try:
                with transaction.atomic():
                    if existing:
                        cursor.execute(UPSERT.format(insert=insert), params)
                        created, total = cursor.fetchone()
                    else:
                        # Only new cases (as in a first load): a plain INSERT, without the
                        # ON CONFLICT look-ups and RETURNING rows; a reference added meanwhile
                        # or twice in the file breaks the unique constraint.
                        cursor.execute(insert, params)
                        created = total = cursor.rowcount
                    self.stages.lap("insert")
                    cursor.execute("RESET enable_nestloop; RESET work_mem")
                    if total != self.rows:
                        raise SqlRefused  # a row out of scope, or a bad reference
            except DatabaseError:
                # a reference twice, closed before opened, a case added meanwhile...
                raise SqlRefused from None
        return created, total - created, moved


UPSERT = """WITH written AS ({insert}
    ON CONFLICT (case_ref) DO UPDATE SET
        team_id = EXCLUDED.team_id, case_type = EXCLUDED.case_type,
        opened_on = EXCLUDED.opened_on, closed_on = EXCLUDED.closed_on,
        worker_id = EXCLUDED.worker_id, manager_id = EXCLUDED.manager_id,
        birth_year = EXCLUDED.birth_year, updated_at = EXCLUDED.updated_at
    WHERE %(scope)s::int[] IS NULL OR audits_case.team_id = ANY(%(scope)s::int[])
    RETURNING (xmax = 0) AS created)
SELECT count(*) FILTER (WHERE created), count(*) FROM written"""


def _text_of(value: Any) -> str | None:
    """The text PostgreSQL casts back to ``value`` (None for NULL)."""
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)


def _header_names(fileobj: BinaryIO) -> list[str] | None:
    """The header's column names if the row-by-row import would accept the header and the
    line holds nothing COPY reads differently; the stream is left after the header."""
    fileobj.seek(0)
    first = fileobj.readline().removeprefix(codecs.BOM_UTF8)
    if b'"' in first or b"\\" in first:
        return None
    try:
        return read_header(csv.reader([first.decode("utf-8")]), KINDS["cases"])
    except (UnicodeDecodeError, FileProblem, csv.Error):
        return None


# Every line starts with a valid reference then a comma (when the reference is the first
# column): one C-level match per megabyte here, where PostgreSQL's regular expression per
# row took 3.8-6.0 s of 1,000,000 rows (bench/register_import.py).
LINES_WITH_REFS = re.compile(rb"(?:[A-Za-z0-9][A-Za-z0-9._/-]{0,63},[^\n]*\n)*")


def _copy(cursor, fileobj: BinaryIO, names: list[str]) -> tuple[int, bool]:
    """(rows loaded, whether every reference was checked on the way)."""
    refs_first, refs_ok, carry = names[0] == "case_ref", True, b""
    with cursor.cursor.copy(f"COPY {TABLE} ({', '.join(names)}) FROM STDIN (FORMAT csv)") as copy:
        for chunk in iter(lambda: fileobj.read(CHUNK), b""):
            if b'"' in chunk or b"\\" in chunk:
                raise _NotPlain
            if refs_first and refs_ok:
                data = carry + chunk
                cut = data.rfind(b"\n") + 1
                refs_ok = LINES_WITH_REFS.fullmatch(data, 0, cut) is not None
                carry = data[cut:]
            copy.write(chunk)
    if carry:
        refs_ok = refs_ok and LINES_WITH_REFS.fullmatch(carry + b"\n") is not None
    return cursor.cursor.rowcount, refs_first and refs_ok


def _distinct_values(cursor) -> dict[str, list[str]] | None:
    columns = list(CASE_VALUE_CHECKS)
    cursor.execute(
        f"SELECT GROUPING({', '.join(columns)}), {', '.join(columns)} FROM {TABLE} "  # noqa: S608 - fixed names only
        f"GROUP BY GROUPING SETS ({', '.join(f'({c})' for c in columns)}) "
        f"LIMIT {MAX_DISTINCT + 1}"
    )
    found = cursor.fetchall()
    if len(found) > MAX_DISTINCT:
        return None
    values: dict[str, list[str]] = {column: [] for column in columns}
    for grouping, *row in found:
        # GROUPING's bit for a column is 0 in the set that groups by it (the first is the
        # highest bit).
        index = next(i for i in range(len(columns)) if not grouping >> (len(columns) - 1 - i) & 1)
        values[columns[index]].append(row[index] or "")
    return values


def _check_values(values: dict[str, list[str]], lookups: Lookups) -> dict | None:
    maps = {}
    for column, raws in values.items():
        check = CASE_VALUE_CHECKS[column]
        converted = []
        for raw in raws:
            try:
                value = check({column: raw}, lookups)
            except RowProblem:
                return None
            if column == "opened_on" and value > lookups.today:
                return None
            converted.append(value)
        maps[column] = (raws, converted)
    return maps


def cases_sql_drop() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{TABLE}")


def cases_sql_prepare(
    fileobj: BinaryIO, lookups: Lookups, team_names, stages: Stages
) -> CasesLoaded | None:
    """Load the file into a temporary table and check every distinct value, or None if the
    row-by-row import must read it. Outside the write's transaction (the table is this
    session's; ``cases_sql_drop`` drops it)."""
    names = _header_names(fileobj)
    if names is None:
        return None
    cases_sql_drop()
    with connection.cursor() as cursor:
        columns = ", ".join(f"{name} text" for name in KINDS["cases"].columns)
        cursor.execute(
            f"CREATE TEMPORARY TABLE {TABLE} (n bigint GENERATED ALWAYS AS IDENTITY, {columns})"
        )
        try:
            with transaction.atomic():
                rows, refs_checked = _copy(cursor, fileobj, names)
            stages.lap("copy")
        except (_NotPlain, DatabaseError, psycopg.Error):
            return None
        if rows == 0:
            return None
        values = _distinct_values(cursor)
        stages.lap("distinct")
    maps = None if values is None else _check_values(values, lookups)
    stages.lap("values")
    if maps is None:
        return None
    return CasesLoaded(rows, maps, team_names, lookups.team_scope, refs_checked, stages)
