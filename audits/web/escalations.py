"""Safeguarding escalations waiting to be acknowledged by the case's manager."""

from django.contrib import messages
from django.db.models import F
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from audits.core import roles
from audits.core.errors import DomainError, StateConflict
from audits.models import Escalation
from audits.selectors import scoping
from audits.services import escalations as escalation_service
from audits.web import listing
from audits.web.access import role_required
from audits.web.errors import summary
from audits.web.pages import page
from audits.web.task_forms import AcknowledgeForm, checked

ESCALATION_READERS = (roles.MANAGER, roles.ADMIN)
WORDS = {
    "response": (f"What has been done must be {escalation_service.TEXT_MAX:,} characters or fewer")
}


# What a row shows, read as values (no six joined models built per row).
ROW_FIELDS = ("pk", "raised_at", "concern", "due_at", "status", "acknowledged_at", "response")
ROW_COLUMNS = {
    "case_ref": F("audit__assignment__sampled_case__case__case_ref"),
    "team": F("audit__assignment__sampled_case__case__team__name"),
    "raised_first": F("raised_by__first_name"),
    "raised_last": F("raised_by__last_name"),
    "raised_username": F("raised_by__username"),
    "acknowledged_username": F("acknowledged_by__username"),
}


def _shown(keys):
    # By key alone: the keys come from the scoped list, filtered and ordered.
    return Escalation.objects.filter(pk__in=keys).values(*ROW_FIELDS, **ROW_COLUMNS)


def _render(request, *, status=200, failed=None, error=None, typed=""):
    filters = {
        "q": listing.text_param(request, "q"),
        "team": listing.int_param(request, "team"),
    }
    rows = scoping.escalations_for(request.user)
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
        keys_first=True,
        show=_shown,
    )
    done = listing.paginate(
        request,
        rows.exclude(status=Escalation.Status.OPEN).order_by("-acknowledged_at", "-pk"),
        noun=("escalation", "escalations"),
        prefix="done_",
        anchor="acknowledged-heading",
        keys_first=True,  # a council's escalations over the years: a few thousand keys
        show=_shown,
    )
    now = timezone.now()
    shown = [*waiting["rows"], *done["rows"]]
    acknowledge_link = listing.link_to("web:escalation-acknowledge")
    for escalation in shown:
        pk = escalation["pk"]
        escalation["acknowledge_url"] = acknowledge_link(pk)
        escalation["raised_by"] = (
            f"{escalation.pop('raised_first')} {escalation.pop('raised_last')}".strip()
            or escalation["raised_username"]
        )
        escalation["overdue"] = escalation_service.was_overdue(
            escalation["status"], escalation["due_at"], escalation["acknowledged_at"], now
        )
        for moment in ("raised_at", "due_at", "acknowledged_at"):
            escalation[f"{moment}_text"] = listing.moment_text(escalation[moment])
        escalation["typed"] = typed if pk == failed else ""
        escalation["errors"] = []
    error_summary = None
    if error is not None:
        # Each acknowledge form has its own response box: the summary links to the one used.
        box = f"response-{failed}"
        named = {box if name == "response" else name: v for name, v in error.fields.items()}
        renamed = type(error)(error.message, fields=named)
        error_summary = summary(
            renamed, {box: "What has been done"}, default=box, words={box: WORDS["response"]}
        )
        for escalation in shown:
            if escalation["pk"] == failed:
                escalation["errors"] = error_summary["fields"].get(box, [])
    context = {
        "open": waiting,
        "acknowledged": done,
        "filters": filters,
        "teams": scoping.teams_managed_by(request.user).order_by("name"),
        "error_summary": error_summary,
    }
    return page(
        request, "audits/escalations.html", context, current="web:escalations", status=status
    )


@role_required(*ESCALATION_READERS)
def escalation_list(request):
    return _render(request)


@require_POST
@role_required(*ESCALATION_READERS)
def escalation_acknowledge(request, escalation_id: int):
    escalation = get_object_or_404(scoping.escalations_for(request.user), pk=escalation_id)
    try:
        data = checked(AcknowledgeForm(request.POST), "The escalation was not acknowledged.")
        escalation_service.escalation_acknowledge(
            escalation=escalation, actor=request.user, response=data["response"]
        )
    except StateConflict as error:
        # Already acknowledged (by someone else, say): said in the banner after a redirect.
        messages.error(request, error.message)
        return redirect("web:escalations")
    except DomainError as error:
        typed = request.POST.get("response", "")
        return _render(request, status=400, failed=escalation.pk, error=error, typed=typed)
    messages.success(request, f"Escalation {escalation.pk} acknowledged.")
    return redirect("web:escalations")
