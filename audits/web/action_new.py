"""Agreeing a new action on an audit: a manager's form, opened from the actions board or
from the audit being moderated. A Django form reads the terms (the owners come from the
same selector as the API's), and the actions service records it."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect

from audits.core import roles
from audits.core.errors import DomainError
from audits.models import Action, Audit
from audits.selectors import permissions, scoping
from audits.services import actions as action_service
from audits.web.access import role_required
from audits.web.errors import summary
from audits.web.forms import CHOOSE_AUDIT, ActionForm
from audits.web.pages import page

LABELS = {
    "audit": "Audit",
    "owner": "Owner",
    "description": "What needs to be done",
    "priority": "Priority",
    "due_date": "Due date",
}
SHOWN_AUDITS = 500


def _audits(user):
    """The audits of the cycles the person runs that an action can be agreed on, latest
    first."""
    return (
        scoping.audits_managed_by(user)
        .filter(status__in=action_service.ACTIONABLE_AUDIT_STATUSES)
        .order_by("-submitted_at", "-pk")
    )


def audit_options(user, chosen: str) -> list[dict]:
    """The picker's options, the latest ``SHOWN_AUDITS``: read as plain values in one
    query and labelled here (hundreds of options: no model per row, no work per row in
    the template)."""
    statuses = dict(Audit.Status.choices)
    rows = _audits(user).values_list(
        "pk",
        "status",
        "assignment__auditor__name",
        "assignment__sampled_case__case__case_ref",
        "assignment__sampled_case__cycle__name",
    )[:SHOWN_AUDITS]
    return [
        {
            "value": str(pk),
            "label": f"Case {ref}, {cycle} ({statuses.get(status, status).lower()}, {auditor})",
            "selected": str(pk) == chosen,
        }
        for pk, status, auditor, ref, cycle in rows
    ]


def _owners():
    # Exactly the owners the form accepts, grouped by team on the page.
    return scoping.action_owners().select_related("team").order_by("team__name", "name")


def action_raise(*, request, data: dict) -> Action:
    """The form reads the terms (audits in the person's scope, active owners); the actions
    service applies its rules to the audit."""
    form = ActionForm(data, user=request.user)
    if not form.is_valid():
        fields = {name: list(texts) for name, texts in form.errors.items()}
        raise DomainError("The action is not valid.", fields=fields)
    terms = dict(form.cleaned_data)
    audit = terms.pop("audit")
    if not permissions.can_raise_action(request.user, audit):
        raise DomainError("The action is not valid.", fields={"audit": [CHOOSE_AUDIT]})
    return action_service.action_raise(actor=request.user, audit=audit, fields=terms)


@role_required(roles.MANAGER)
def action_new(request):
    fixed = None
    if request.GET.get("audit"):
        fixed = get_object_or_404(
            scoping.audits_managed_by(request.user).select_related(
                "assignment__sampled_case__case__worker"
            ),
            pk=_int(request.GET["audit"]),
        )
    form = {"priority": Action.Priority.MEDIUM, "audit": str(fixed.pk) if fixed else ""}
    worker = fixed.assignment.sampled_case.case.worker if fixed else None
    if worker is not None:
        form["owner"] = worker.staff_ref  # the case's worker unless the manager changes it
    error_summary, status = None, 200
    if request.method == "POST":
        data = request.POST.copy()
        if fixed is not None:
            data["audit"] = str(fixed.pk)
        form = {name: data.get(name, "").strip() for name in LABELS}
        try:
            action = action_raise(request=request, data=data)
        except DomainError as error:
            error_summary = summary(error, LABELS, default="action-form")
            status = error.status_code
        else:
            messages.success(
                request,
                f"Action {action.pk} agreed for case {action.case.case_ref}: "
                f"{action.owner.name}, due {action.due_date:%d %B %Y}.",
            )
            return redirect("web:actions")
    context = {
        "form": form,
        "error_summary": error_summary,
        "posted": request.POST if request.method == "POST" else None,
        "fixed": fixed,
        "audits": [] if fixed else audit_options(request.user, str(form.get("audit") or "")),
        "shown_audits": SHOWN_AUDITS,
        "owners": _owners(),
        "priorities": Action.Priority.choices,
    }
    return page(request, "audits/action_new.html", context, current="web:actions", status=status)


def _int(raw):
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None
