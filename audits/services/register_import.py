"""Importing the case register: check the whole file, then upsert it in one transaction.

An import is a write with a scope, like any other: the staff file (roles, teams managed) is
for administrators only; a manager imports cases and allocation history for the teams they
manage, and a row that names another team, or a case held by another team, is a row error
that rejects the file.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from audits.core import roles
from audits.core.errors import DomainError
from audits.core.register_csv import KINDS, Lookups, RowError
from audits.core.register_file import check_file
from audits.core.roles import ALL_ROLES
from audits.models import Allocation, Case, Event, Staff, Team
from audits.services.history import event_record
from audits.services.register_import_sql import (
    CasesLoaded,
    SqlRefused,
    Stages,
    cases_sql_drop,
    cases_sql_prepare,
)
from audits.services.staff import access_change_record, staff_access

BATCH_SIZE = 2000
CASE_FIELDS = [
    "team_id",
    "case_type",
    "opened_on",
    "closed_on",
    "worker_id",
    "manager_id",
    "birth_year",
    "updated_at",
]


class ImportRejected(DomainError):
    def __init__(self, errors: list[RowError], error_count: int):
        super().__init__(
            f"The file was not imported: {error_count} problem(s) found. Nothing was changed.",
            errors=[error.as_dict() for error in errors],
            error_count=error_count,
        )
        self.errors = errors
        self.error_count = error_count


class ImportNotAllowed(DomainError):
    """The importer's role does not allow this kind of import (HTTP 403)."""

    status_code = 403


@dataclass(frozen=True)
class ImportScope:
    """Who imports, and the teams they may write for (None: every team)."""

    actor: Any
    team_ids: frozenset[int] | None
    team_names: dict[int, str]


def import_scope(*, actor, kind: str) -> ImportScope:
    """The scope of ``actor`` for an import of ``kind``, or ImportNotAllowed."""
    team_names = dict(Team.objects.values_list("id", "name"))
    if roles.has_role(actor, roles.ADMIN):
        return ImportScope(actor, None, team_names)
    if kind == "staff":
        raise ImportNotAllowed("Only an administrator can import staff (roles and teams managed).")
    if not roles.has_role(actor, roles.MANAGER):
        raise ImportNotAllowed("Only managers and administrators can import the register.")
    managed = Staff.managed_teams.through.objects.filter(staff__user=actor)
    return ImportScope(actor, frozenset(managed.values_list("team_id", flat=True)), team_names)


@dataclass
class ImportOutcome:
    kind: str
    dry_run: bool
    rows: int
    created: int
    updated: int
    # "sql": loaded with COPY and written in one statement (PostgreSQL, cases); "rows": row
    # by row. Not part of the recorded outcome: both give the same.
    method: str = field(default="rows", compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {key: value for key, value in self.__dict__.items() if key != "method"}


def _lookups(kind: str, scope: ImportScope, *, refs: bool = True) -> Lookups:
    cases = Case.objects.all()
    in_scope = cases if scope.team_ids is None else cases.filter(team_id__in=scope.team_ids)
    out_of_scope = cases.exclude(pk__in=in_scope.values("pk"))
    return Lookups(
        team_ids={name: pk for pk, name in scope.team_names.items()},
        staff_ids=dict(Staff.objects.values_list("staff_ref", "id")),
        case_ids=dict(in_scope.values_list("case_ref", "id")) if kind == "allocations" else {},
        case_types=tuple(settings.CASE_TYPES),
        today=timezone.localdate(),
        team_scope=scope.team_ids,
        refs_out_of_scope=(
            frozenset(out_of_scope.values_list("case_ref", flat=True))
            if kind == "cases" and scope.team_ids is not None and refs
            else frozenset()
        ),
    )


class _OutOfScopeMeanwhile(Exception):
    """A case of another team appeared between the check and the write."""


def _insert_cases(records: list[dict], now) -> None:
    """Insert new cases with ``bulk_create``, in the import's transaction (the row path:
    SQLite, and files the PostgreSQL path hands back; large plain files go through
    register_import_sql instead).

    An earlier ``COPY`` straight into ``audits_case`` here was followed, in the PostgreSQL
    suite, by 20-second queries in later tests on some runs. With the set-based path
    (COPY into a temporary table, one INSERT … SELECT) the import tests then
    tests/test_r* and tests/test_s* ran twice on PostgreSQL 15 (886 and 890 tests) with no
    test above 30 s and no slow query, with autovacuum off as in .ci/run (the shared server
    runs without it too, so a run with it on was not possible here). Temporary tables have
    no statistics of their own that later plans read; the writes to the cases table are
    the same rows the ORM path writes.
    """
    del now  # the model's defaults fill ``updated_at`` and ``legal_hold``
    if records:
        Case.objects.bulk_create([Case(**r) for r in records])


def _team_changed(actor, scope: ImportScope, case_id: int, old: int, new: int) -> Event:
    return Event(
        actor=actor,
        verb="case.team_changed",
        object_type="case",
        object_id=str(case_id),
        before={"team": scope.team_names.get(old)},
        after={"team": scope.team_names.get(new)},
        reason="changed through the case import",
    )


def _upsert_cases(batch: list[dict], dry_run: bool, scope: ImportScope) -> tuple[int, int]:
    existing = {
        ref: (pk, team_id)
        for ref, pk, team_id in Case.objects.filter(
            case_ref__in=[r["case_ref"] for r in batch]
        ).values_list("case_ref", "id", "team_id")
    }
    if scope.team_ids is not None and any(
        team_id not in scope.team_ids for _, team_id in existing.values()
    ):
        raise _OutOfScopeMeanwhile
    new = [r for r in batch if r["case_ref"] not in existing]
    now = timezone.now()
    changed = [
        Case(id=existing[r["case_ref"]][0], updated_at=now, **r)
        for r in batch
        if r["case_ref"] in existing
    ]
    if not dry_run:
        _insert_cases(new, now)
        Case.objects.bulk_update(changed, CASE_FIELDS)
        # A case that changes team changes who manages, samples and sees it: one Event each.
        actor = scope.actor if getattr(scope.actor, "is_authenticated", False) else None
        Event.objects.bulk_create(
            _team_changed(actor, scope, case.id, existing[case.case_ref][1], case.team_id)
            for case in changed
            if case.team_id != existing[case.case_ref][1]
        )
    return len(new), len(changed)


def _upsert_allocations(batch: list[dict], dry_run: bool, scope: ImportScope) -> tuple[int, int]:
    key = lambda r: (r["case_id"], r["staff_id"], r["role"], r["from_date"])  # noqa: E731
    existing = {
        key(row): row["id"]
        for row in Allocation.objects.filter(case_id__in={r["case_id"] for r in batch}).values(
            "id", "case_id", "staff_id", "role", "from_date"
        )
    }
    new = [Allocation(**r) for r in batch if key(r) not in existing]
    changed = [Allocation(id=existing[key(r)], **r) for r in batch if key(r) in existing]
    if not dry_run:
        Allocation.objects.bulk_create(new)
        Allocation.objects.bulk_update(changed, ["to_date"])
    return len(new), len(changed)


def _upsert_staff(batch: list[dict], dry_run: bool, scope: ImportScope) -> tuple[int, int]:
    existing = Staff.objects.select_related("team", "user").in_bulk(
        [r["staff_ref"] for r in batch], field_name="staff_ref"
    )
    if dry_run:
        new = sum(1 for r in batch if r["staff_ref"] not in existing)
        return new, len(batch) - new
    groups = {group.name: group for group in Group.objects.filter(name__in=ALL_ROLES)}
    for role in ALL_ROLES:
        if role not in groups:
            groups[role] = Group.objects.get_or_create(name=role)[0]
    created = updated = 0
    for record in batch:
        role_names, managed = record.pop("roles"), record.pop("managed_team_ids")
        staff = existing.get(record["staff_ref"])
        before = None if staff is None else staff_access(staff)
        if staff is None:
            staff = Staff.objects.create(**record)
            created += 1
        else:
            for name, value in record.items():
                setattr(staff, name, value)
            staff.save()
            updated += 1
        staff.managed_teams.set(managed)
        if role_names and staff.user is None:
            staff.user = User.objects.create_user(
                username=staff.staff_ref, email=staff.email, first_name=staff.name[:150]
            )
            staff.save(update_fields=["user"])
        if staff.user is not None:
            staff.user.groups.set([groups[role] for role in role_names])
        access_change_record(
            actor=scope.actor,
            subject=staff,
            before=before,
            after=staff_access(staff),
            via="the staff import",
        )
    return created, updated


UPSERTS: dict[str, Callable[[list[dict], bool, ImportScope], tuple[int, int]]] = {
    "cases": _upsert_cases,
    "allocations": _upsert_allocations,
    "staff": _upsert_staff,
}


def _record(actor, outcome: ImportOutcome) -> None:
    if not outcome.dry_run:
        event_record(
            actor=actor,
            verb="register.imported",
            object_type=outcome.kind,
            object_id="import",
            after=outcome.as_dict(),
        )


def _import_loaded(loaded: CasesLoaded, scope: ImportScope, dry_run: bool) -> ImportOutcome | None:
    """Write a file loaded by the PostgreSQL path, or None if the rows must be read one by
    one to word a refusal (nothing written then)."""
    actor = scope.actor if getattr(scope.actor, "is_authenticated", False) else None
    try:
        with transaction.atomic():
            created, updated, moved = loaded.write(dry_run=dry_run, now=timezone.now())
            if not dry_run:
                Event.objects.bulk_create(
                    _team_changed(actor, scope, pk, old, new) for pk, old, new in moved
                )
            outcome = ImportOutcome("cases", dry_run, loaded.rows, created, updated, "sql")
            _record(scope.actor, outcome)
            loaded.stages.lap("events")
    except (SqlRefused, IntegrityError):  # IntegrityError: a deferred check at commit
        return None
    loaded.stages.lap("commit")
    return outcome


def register_import(
    *,
    kind: str,
    fileobj: BinaryIO,
    actor,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    method: str = "auto",
    stages: Stages | None = None,
) -> ImportOutcome:
    """Check the whole file; if any row is bad raise ImportRejected and write nothing.

    On PostgreSQL a cases file is first tried the set-based way (register_import_sql: COPY,
    checks per distinct value, one INSERT … ON CONFLICT), which accepts only what it can
    vouch for; anything else (a refusal to word, quotes in the file) and every other case
    (SQLite, ``method="rows"``, allocations, staff) is read row by row: the file is upserted
    by its key in one transaction, in batches as it is checked, so a 100,000-row file never
    exists as 100,000 model objects at once; a bad row anywhere rolls the transaction back.
    ``actor`` decides the scope (see import_scope); the answer, dry run or not, is the same
    for a case that does not exist and a case the actor may not write. ``stages`` receives
    the time spent in each stage.
    """
    stages = stages or Stages()
    if kind not in KINDS:
        raise DomainError("Unknown import kind.", fields={"kind": [f"one of {', '.join(KINDS)}"]})
    spec = KINDS[kind]
    scope = import_scope(actor=actor, kind=kind)
    if method == "auto" and kind == "cases" and connection.vendor == "postgresql":
        try:
            lookups = _lookups(kind, scope, refs=False)
            stages.lap("scope")
            loaded = cases_sql_prepare(fileobj, lookups, scope.team_names, stages)
            if loaded is not None:
                if progress:
                    progress(loaded.rows)  # every value checked; outside the write, so seen
                outcome = _import_loaded(loaded, scope, dry_run)
                if outcome is not None:
                    return outcome
        finally:
            cases_sql_drop()
            stages.lap("drop")
    lookups = _lookups(kind, scope)
    stages.lap("scope")
    upsert = UPSERTS[kind]
    counts = [0, 0]  # created, updated
    batch: list[dict] = []

    def flush() -> None:
        new, changed = upsert(batch, dry_run, scope)
        counts[0], counts[1] = counts[0] + new, counts[1] + changed
        batch.clear()

    def write(record: dict) -> None:
        batch.append(record)
        if len(batch) >= BATCH_SIZE:
            flush()

    try:
        # One pass: rows are written in batches as they are checked, in one transaction
        # that a bad row rolls back whole (reading the file twice, once to check and once
        # to write, cost twice the parsing: issue 19).
        with transaction.atomic():
            checked = check_file(fileobj, spec, lookups, progress, on_good=write)
            if not checked.ok:
                raise ImportRejected(checked.errors, checked.error_count)
            if batch:
                flush()
            outcome = ImportOutcome(kind, dry_run, checked.rows, *counts)
            _record(actor, outcome)
            stages.lap("rows")
    except _OutOfScopeMeanwhile:
        raise ImportRejected(
            [RowError(0, "case_ref", "a case of a team you do not manage was added meanwhile")], 1
        ) from None
    except IntegrityError as error:
        # A row that passed the checks but broke a database rule (a concurrent change):
        # the transaction is rolled back whole, so nothing is half-imported.
        raise ImportRejected(
            [RowError(0, None, f"database refused the file: {error}")], 1
        ) from None
    stages.lap("commit")
    return outcome
