"""The practitioner role's scope: the final findings of audits of the cases they held as
worker or manager when each was audited. Their responses are scoped in scoping.py."""

from django.db.models import Exists, OuterRef, Q, QuerySet

from audits.core import roles
from audits.models import Allocation, Audit


def _held_case_when_audited(user):
    # The worker or manager of the case on the day the audit was submitted: the findings are
    # about the work up to then. A later holder, or one who left before, is not asked.
    audited_on = OuterRef("submitted_at__date")
    return Exists(
        Allocation.objects.filter(
            case_id=OuterRef("assignment__sampled_case__case_id"),
            staff__user=user,
            from_date__lte=audited_on,
        ).filter(Q(to_date__isnull=True) | Q(to_date__gte=audited_on))
    )


def findings_for(user) -> QuerySet[Audit]:
    """Audits whose final findings ``user`` reads as a practitioner: final (moderated or
    agreed), the primary audit only (a second, blind audit is for reliability, not for the
    practitioner), of a case they held as worker or manager when it was audited."""
    if not roles.has_role(user, roles.PRACTITIONER):
        return Audit.objects.none()
    return Audit.objects.filter(
        _held_case_when_audited(user), status=Audit.Status.FINAL, assignment__role="primary"
    )
