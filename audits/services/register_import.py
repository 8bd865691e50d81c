"""Importing the case register: check the whole file, then upsert it in one transaction."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any, BinaryIO

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import IntegrityError, transaction
from django.utils import timezone

from audits.errors import DomainError
from audits.models import Allocation, Case, Staff, Team
from audits.register_csv import KINDS, Lookups, RowError, check_file, convert_rows
from audits.roles import ALL_ROLES
from audits.services.history import event_record

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


@dataclass
class ImportOutcome:
    kind: str
    dry_run: bool
    rows: int
    created: int
    updated: int

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def _lookups(kind: str) -> Lookups:
    return Lookups(
        team_ids=dict(Team.objects.values_list("name", "id")),
        staff_ids=dict(Staff.objects.values_list("staff_ref", "id")),
        case_ids=dict(Case.objects.values_list("case_ref", "id")) if kind == "allocations" else {},
        case_types=tuple(settings.CASE_TYPES),
        today=timezone.localdate(),
    )


def _batches(records: Iterator[dict], size: int = BATCH_SIZE) -> Iterator[list[dict]]:
    while batch := list(islice(records, size)):
        yield batch


def _upsert_cases(batch: list[dict], dry_run: bool) -> tuple[int, int]:
    existing = dict(
        Case.objects.filter(case_ref__in=[r["case_ref"] for r in batch]).values_list(
            "case_ref", "id"
        )
    )
    new = [Case(**r) for r in batch if r["case_ref"] not in existing]
    now = timezone.now()
    changed = [
        Case(id=existing[r["case_ref"]], updated_at=now, **r)
        for r in batch
        if r["case_ref"] in existing
    ]
    if not dry_run:
        Case.objects.bulk_create(new)
        Case.objects.bulk_update(changed, CASE_FIELDS)
    return len(new), len(changed)


def _upsert_allocations(batch: list[dict], dry_run: bool) -> tuple[int, int]:
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


def _upsert_staff(batch: list[dict], dry_run: bool) -> tuple[int, int]:
    existing = Staff.objects.in_bulk([r["staff_ref"] for r in batch], field_name="staff_ref")
    if dry_run:
        new = sum(1 for r in batch if r["staff_ref"] not in existing)
        return new, len(batch) - new
    groups = {group.name: group for group in Group.objects.filter(name__in=ALL_ROLES)}
    created = updated = 0
    for record in batch:
        roles, managed = record.pop("roles"), record.pop("managed_team_ids")
        staff = existing.get(record["staff_ref"])
        if staff is None:
            staff = Staff.objects.create(**record)
            created += 1
        else:
            for name, value in record.items():
                setattr(staff, name, value)
            staff.save()
            updated += 1
        staff.managed_teams.set(managed)
        if roles and staff.user is None:
            staff.user = User.objects.create_user(
                username=staff.staff_ref, email=staff.email, first_name=staff.name[:150]
            )
            staff.save(update_fields=["user"])
        if staff.user is not None:
            staff.user.groups.set([groups[role] for role in roles if role in groups])
    return created, updated


UPSERTS: dict[str, Callable[[list[dict], bool], tuple[int, int]]] = {
    "cases": _upsert_cases,
    "allocations": _upsert_allocations,
    "staff": _upsert_staff,
}


def register_import(
    *,
    kind: str,
    fileobj: BinaryIO,
    actor=None,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportOutcome:
    """Check the whole file; if any row is bad raise ImportRejected and write nothing.

    A good file is upserted by its key in one transaction, in batches, so a 100,000-row file
    never exists as 100,000 model objects at once.
    """
    if kind not in KINDS:
        raise DomainError("Unknown import kind.", fields={"kind": [f"one of {', '.join(KINDS)}"]})
    spec = KINDS[kind]
    lookups = _lookups(kind)
    checked = check_file(fileobj, spec, lookups, progress)
    if not checked.ok:
        raise ImportRejected(checked.errors, checked.error_count)

    created = updated = 0
    good = (record for _, _, record in convert_rows(fileobj, spec, lookups))
    try:
        with transaction.atomic():
            for batch in _batches(good):
                new, changed = UPSERTS[kind](batch, dry_run)
                created, updated = created + new, updated + changed
                if progress:
                    progress(len(batch))
            outcome = ImportOutcome(kind, dry_run, checked.rows, created, updated)
            if not dry_run:
                event_record(
                    actor=actor,
                    verb="register.imported",
                    object_type=kind,
                    object_id="import",
                    after=outcome.as_dict(),
                )
    except IntegrityError as error:
        # A row that passed the checks but broke a database rule (a concurrent change):
        # the transaction is rolled back whole, so nothing is half-imported.
        raise ImportRejected(
            [RowError(0, None, f"database refused the file: {error}")], 1
        ) from None
    return outcome
