"""Safeguarding escalations waiting to be acknowledged by the case's manager."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from audits.core import roles
from audits.core.errors import DomainError
from audits.models import Escalation
from audits.selectors import scoping
from audits.services import escalations as escalation_service
from audits.web.access import role_required
from audits.web.pages import page

ESCALATION_READERS = (roles.MANAGER, roles.ADMIN)


@role_required(*ESCALATION_READERS)
def escalation_list(request):
    rows = list(
        scoping.escalations_for(request.user)
        .select_related(
            "audit__assignment__sampled_case__case__team", "raised_by", "acknowledged_by"
        )
        .order_by("status", "due_at")
    )
    now = timezone.now()
    for escalation in rows:
        escalation.overdue = escalation_service.is_overdue(escalation, now)
    context = {
        "open": [e for e in rows if e.status == Escalation.Status.OPEN],
        "acknowledged": [e for e in rows if e.status != Escalation.Status.OPEN],
    }
    return page(request, "audits/escalations.html", context, current="web:escalations")


@require_POST
@role_required(*ESCALATION_READERS)
def escalation_acknowledge(request, escalation_id: int):
    escalation = get_object_or_404(scoping.escalations_for(request.user), pk=escalation_id)
    try:
        escalation_service.escalation_acknowledge(
            escalation=escalation, actor=request.user, response=request.POST.get("response", "")
        )
    except DomainError as error:
        messages.error(request, f"Escalation {escalation.pk} was not acknowledged: {error.message}")
    else:
        messages.success(request, f"Escalation {escalation.pk} acknowledged.")
    return redirect("web:escalations")
