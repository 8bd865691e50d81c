"""What a cycle's assignment page lists, read in one round trip of queries compiled once per
process (``compiled.py``): the load per auditor, the assignments a manager chose, and the
auditors one may choose. Built and compiled on every view, these three took as long as
PostgreSQL took to run them (bench/pages.py: 2,000-case cycle, a hundred auditors)."""

from django.db.models import Count, Q

from audits.models import Assignment, Staff
from audits.selectors.compiled import Compiled, rows_of_all

LOAD_FIELDS = ("pk", "name", "team", "capacity", "primary", "second")
OVERRIDE_FIELDS = ("pk", "case_ref", "auditor", "override_rules", "override_reason")


def auditor_choices():
    """Everyone who may be chosen to audit: active, signed in as an auditor; by name."""
    return Staff.objects.filter(
        is_active=True, user__is_active=True, user__groups__name="auditor"
    ).order_by("name")


def _loads(cycle_id: int):
    # Withdrawn audits are no part of anyone's load.
    current = ~Q(assignments__audit__status="withdrawn") & Q(
        assignments__sampled_case__cycle_id=cycle_id
    )
    return (
        Staff.objects.filter(assignments__sampled_case__cycle_id=cycle_id)
        .values_list("pk", "name", "team__name", "capacity")
        .annotate(
            primary=Count("assignments", filter=current & Q(assignments__role="primary")),
            second=Count("assignments", filter=current & Q(assignments__role="second")),
        )
        .filter(Q(primary__gt=0) | Q(second__gt=0))
        .order_by("name", "pk")
    )


def _overrides(cycle_id: int):
    return (
        Assignment.objects.filter(sampled_case__cycle_id=cycle_id)
        .exclude(override_reason="")
        .order_by("-pk")
        .values_list(
            "pk",
            "sampled_case__case__case_ref",
            "auditor__name",
            "override_rules",
            "override_reason",
        )
    )


LOADS = Compiled(_loads)
OVERRIDES = Compiled(_overrides)
AUDITORS = Compiled(
    lambda _key: auditor_choices().values_list("pk", "name", "team__name", "staff_ref"),
    keyed=False,
)


def assignment_lists(cycle_id: int) -> dict[str, list]:
    """``loads`` and ``overrides`` as dicts (``LOAD_FIELDS``, ``OVERRIDE_FIELDS``) and
    ``auditors`` as (pk, name, team, staff ref) rows."""
    loads, overrides, auditors = rows_of_all([LOADS, OVERRIDES, AUDITORS], cycle_id)
    return {
        "loads": [dict(zip(LOAD_FIELDS, row, strict=True)) for row in loads],
        "overrides": [dict(zip(OVERRIDE_FIELDS, row, strict=True)) for row in overrides],
        "auditors": auditors,
    }
