"""An audit's rounds of rework: each time a moderator returned it (why, who, when) and when
its auditor submitted it again. Read from the Moderation rows and the audit's Events."""

from django.db.models import Prefetch

from audits.models import Audit, Event, Moderation


def rework_rounds(audit: Audit) -> list[dict]:
    """Oldest first; ``resubmitted_at`` is None while the audit is back with its auditor."""
    returns = list(
        Moderation.objects.filter(audit=audit, decision=Moderation.Decision.RETURN)
        .select_related("moderator")
        .order_by("at", "pk")
    )
    if not returns:
        return []
    submissions = list(
        Event.objects.filter(object_type="audit", object_id=str(audit.pk), verb="audit.submitted")
        .order_by("at", "pk")
        .values_list("at", flat=True)
    )
    first_submitted = next((at for at in submissions if at < returns[0].at), None)
    return [
        {
            "number": number,
            "submitted_at": first_submitted if number == 1 else None,
            "reason": moderation.reason,
            "moderator": moderation.moderator.name,
            "returned_at": moderation.at,
            "resubmitted_at": next((at for at in submissions if at > moderation.at), None),
        }
        for number, moderation in enumerate(returns, start=1)
    ]


def with_last_return(audits):
    """Audits with ``last_return`` (the latest return, or None), in one extra query."""
    returns = Moderation.objects.filter(decision=Moderation.Decision.RETURN).order_by("-at", "-pk")
    rows = list(audits.prefetch_related(Prefetch("moderations", returns, to_attr="returns")))
    for audit in rows:
        audit.last_return = audit.returns[0] if audit.returns else None
    return rows
