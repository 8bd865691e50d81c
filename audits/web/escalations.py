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
from audits.web import listing
from audits.web.access import role_required
from audits.web.pages import page

ESCALATION_READERS = (roles.MANAGER, roles.ADMIN)


@role_required(*ESCALATION_READERS)
def escalation_list(request):
    filters = {
        "q": listing.text_param(request, "q"),
        "team": listing.int_param(request, "team"),
    }
    rows = scoping.escalations_for(request.user).select_related(
        "audit__assignment__sampled_case__case__team", "raised_by", "acknowledged_by"
    )
    if filters["q"]:
        rows = rows.filter(audit__assignment__sampled_case__case__case_ref__icontains=filters["q"])
    if filters["team"]:
        rows = rows.filter(audit__assignment__sampled_case__case__team_id=filters["team"])
    waiting = listing.paginate(
        request,
        rows.filter(status=Escalation.Status.OPEN).order_by("due_at", "pk"),
        noun=("escalation", "escalations"),
        prefix="open_",
        anchor="open-heading",
        per_page=20,
    )
    done = listing.paginate(
        request,
        rows.exclude(status=Escalation.Status.OPEN).order_by("-acknowledged_at", "-pk"),
        noun=("escalation", "escalations"),
        prefix="done_",
        anchor="acknowledged-heading",
    )
    now = timezone.now()
    for escalation in [*waiting["rows"], *done["rows"]]:
        escalation.overdue = escalation_service.is_overdue(escalation, now)
    context = {
        "open": waiting,
        "acknowledged": done,
        "filters": filters,
        "teams": scoping.teams_managed_by(request.user).order_by("name"),
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
