"""Evidence a person may see, and what they may do with it.

Whoever may see the audit or the action may see (and download) its evidence; nobody else
learns that it exists (404).
"""

from django.db.models import Q, QuerySet, Sum

from audits.core import roles
from audits.models import Action, Audit, Evidence
from audits.selectors import scoping

EDITABLE_AUDIT = ("assigned", "in_progress", "returned")


def evidence_for(user) -> QuerySet[Evidence]:
    return Evidence.objects.filter(
        Q(audit__in=scoping.audits_for(user)) | Q(action__in=scoping.actions_for(user))
    )


def evidence_of_audit(user, audit: Audit) -> QuerySet[Evidence]:
    return evidence_for(user).filter(audit=audit).select_related("uploaded_by")


def evidence_of_action(user, action: Action) -> QuerySet[Evidence]:
    return evidence_for(user).filter(action=action).select_related("uploaded_by")


def is_audit_author(user, audit: Audit) -> bool:
    return roles.has_role(user, roles.AUDITOR) and audit.assignment.auditor.user_id == user.pk


def can_attach_to_audit(user, audit: Audit) -> bool:
    """The audit's own auditor while the audit can still be edited."""
    return audit.status in EDITABLE_AUDIT and is_audit_author(user, audit)


def may_update_action(user, action: Action) -> bool:
    """Its owner, a manager of its team, or an administrator."""
    if action.owner.user_id == user.pk:
        return True
    return roles.has_role(user, roles.ADMIN) or (
        scoping.teams_managed_by(user).filter(pk=action.team_id).exists()
    )


def can_attach_to_action(user, action: Action) -> bool:
    """While the action is open: its owner, or a manager of its team (or an administrator)."""
    return action.status == Action.Status.OPEN and may_update_action(user, action)


def can_delete(user, evidence: Evidence) -> bool:
    """Only the uploader, and only while the audit is editable or the action open: after that
    the file is part of the record."""
    if evidence.uploaded_by_id != user.pk:
        return False
    if evidence.audit_id is not None:
        return evidence.audit.status in EDITABLE_AUDIT
    return evidence.action.status == Action.Status.OPEN


def used(*, audit: Audit | None = None, action: Action | None = None) -> tuple[int, int]:
    """(bytes, files) already attached to the audit or to the action."""
    found = (
        Evidence.objects.filter(audit=audit) if audit else Evidence.objects.filter(action=action)
    )
    total = found.aggregate(size=Sum("size"))["size"] or 0
    return total, found.count()
