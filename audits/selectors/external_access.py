"""Reads for external reviewers (``models/external.py``).

An external reviewer holds no role, so every scope of ``scoping.py`` gives them nothing; what
they read comes from here alone, and only through an open grant: between its first and last
day (inclusive, in the service's time zone), not withdrawn. Through it they read the granted
cycle's sample (or their review's cases) and the submitted audits of those cases, never a
draft, never another cycle. Administrators read and manage every grant.
"""

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from audits.core import external_access as rules
from audits.core import roles
from audits.core.statuses import AUDIT_COMPLETED
from audits.models import AccessLog, Audit, ExternalAccess, SampledCase

# The key an external read's AccessLog row carries in ``detail``: the grant it went through.
LOG_KEY = "external_access"


def may_manage(user) -> bool:
    return roles.has_role(user, roles.ADMIN)


def grants_for(user) -> QuerySet[ExternalAccess]:
    """Every grant, for administrators; nothing for anyone else."""
    if not may_manage(user):
        return ExternalAccess.objects.none()
    return ExternalAccess.objects.select_related("person", "cycle", "granted_by")


def open_q(today) -> Q:
    return Q(revoked_at__isnull=True, starts_on__lte=today, ends_on__gte=today)


def open_grants_of(user, today=None) -> QuerySet[ExternalAccess]:
    """The user's own grants open today (none for anyone not signed in)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return ExternalAccess.objects.none()
    today = today or timezone.localdate()
    return (
        ExternalAccess.objects.filter(open_q(today), person=user)
        .select_related("cycle")
        .order_by("ends_on", "pk")
    )


def sampled_cases_of(access: ExternalAccess) -> QuerySet[SampledCase]:
    """The cases a grant shows: the cycle's sample as it stands, or the review's cases."""
    if access.scope == ExternalAccess.Scope.REVIEW:
        return SampledCase.objects.filter(
            pk__in=access.cases.values("sampled_case_id"), cycle_id=access.cycle_id
        )
    return SampledCase.objects.filter(cycle_id=access.cycle_id, status=SampledCase.Status.SELECTED)


def audits_of(access: ExternalAccess) -> QuerySet[Audit]:
    """The submitted (or final) audits of the grant's cases."""
    return Audit.objects.filter(
        assignment__sampled_case__in=sampled_cases_of(access), status__in=AUDIT_COMPLETED
    )


def audit_for(user, audit_id, today=None) -> tuple[Audit, ExternalAccess] | None:
    """The audit with its grant when an open grant of ``user`` shows it, else None."""
    for access in open_grants_of(user, today):
        audit = (
            audits_of(access)
            .filter(pk=audit_id)
            .select_related("template", "assignment__sampled_case__case__team")
            .first()
        )
        if audit is not None:
            return audit, access
    return None


def eligible_people() -> QuerySet:
    """Who may be granted access: active accounts with no role and no administration."""
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=False, is_superuser=False)
        .exclude(groups__name__in=roles.ALL_ROLES)
        .order_by("username")
    )


def reads_by_grant(access_ids) -> dict[int, int]:
    """How many logged reads went through each grant."""
    counted = (
        AccessLog.objects.filter(**{f"detail__{LOG_KEY}__in": list(access_ids)})
        .values(f"detail__{LOG_KEY}")
        .annotate(n=Count("pk"))
    )
    return {int(row[f"detail__{LOG_KEY}"]): row["n"] for row in counted}


def state_of(access: ExternalAccess, today=None) -> str:
    return rules.state(
        starts_on=access.starts_on,
        ends_on=access.ends_on,
        revoked=access.revoked_at is not None,
        today=today or timezone.localdate(),
    )


def report_rows(cycle, as_of) -> list[dict]:
    """Who had external access to ``cycle`` granted by ``as_of``: for the report."""
    grants = list(
        ExternalAccess.objects.filter(cycle=cycle, granted_at__lte=as_of)
        .select_related("person")
        .order_by("starts_on", "pk")
    )
    reads = _reads_until(grants, as_of)
    return [
        {
            "person": g.person.get_full_name() or g.person.username,
            "organisation": g.organisation,
            "purpose": g.get_purpose_display(),
            "scope": g.get_scope_display(),
            "cases": g.review_size,
            "starts_on": g.starts_on.isoformat(),
            "ends_on": g.ends_on.isoformat(),
            "withdrawn_on": timezone.localdate(g.revoked_at).isoformat()
            if g.revoked_at and g.revoked_at <= as_of
            else None,
            "reads": reads.get(g.pk, 0),
        }
        for g in grants
    ]


def _reads_until(grants, as_of) -> dict[int, int]:
    if not grants:
        return {}
    counted = (
        AccessLog.objects.filter(
            at__lte=as_of, **{f"detail__{LOG_KEY}__in": [g.pk for g in grants]}
        )
        .values(f"detail__{LOG_KEY}")
        .annotate(n=Count("pk"))
    )
    return {int(row[f"detail__{LOG_KEY}"]): row["n"] for row in counted}
