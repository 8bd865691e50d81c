"""Reads about practitioners' responses: when an audit became final, until when its
practitioners may respond, and who they are."""

from datetime import date

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from audits.core import roles
from audits.core.working_days import working_days_after
from audits.models import Allocation, Audit, Moderation, Staff

# The moderation decisions that make an audit final.
FINALISING = (Moderation.Decision.AGREE, Moderation.Decision.CHANGE)


def finalised_on(audit: Audit) -> date | None:
    """The day the audit became final: its last agreeing or changing moderation, else (not
    selected for moderation) the day it was submitted."""
    if audit.status != Audit.Status.FINAL:
        return None
    moderated = (
        Moderation.objects.filter(audit=audit, decision__in=FINALISING)
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )
    when = moderated or audit.submitted_at
    return timezone.localdate(when) if when else None


def response_due_on(audit: Audit) -> date | None:
    """The last day to respond: the window's working days after the audit became final."""
    start = finalised_on(audit)
    if start is None:
        return None
    return working_days_after(start, settings.PRACTITIONER_RESPONSE_WORKING_DAYS)


def _allocations_when_audited(audit: Audit) -> QuerySet[Allocation]:
    audited_on = timezone.localdate(audit.submitted_at)
    return Allocation.objects.filter(
        case_id=audit.assignment.sampled_case.case_id, from_date__lte=audited_on
    ).filter(Q(to_date__isnull=True) | Q(to_date__gte=audited_on))


def held_as(staff: Staff, audit: Audit) -> str:
    """worker or manager: how ``staff`` held the case when it was audited ('' if not)."""
    found = _allocations_when_audited(audit).filter(staff=staff).order_by("role")
    return found.values_list("role", flat=True).last() or ""


def practitioners_of(audit: Audit) -> list[Staff]:
    """The people asked to respond: the case's worker and manager when it was audited, who
    sign in with the practitioner role."""
    held = _allocations_when_audited(audit).values("staff_id")
    return list(
        Staff.objects.filter(
            pk__in=held, is_active=True, user__is_active=True, user__groups__name=roles.PRACTITIONER
        ).distinct()
    )
