"""Agreeing a new action on an audit: a manager's form, opened from the actions board or
from the audit being moderated. The API's own serializer reads the terms (the owners and
audits it accepts) and the actions service records it, so the page and the API agree."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect

from audits.api.actions import ActionSerializer
from audits.core import roles
from audits.core.errors import DomainError
from audits.models import Action
from audits.selectors import permissions, scoping
from audits.services import actions as action_service
from audits.web.access import role_required
from audits.web.errors import plain_words, summary
from audits.web.pages import page

LABELS = {
    "audit": "Audit",
    "owner": "Owner",
    "description": "What needs to be done",
    "priority": "Priority",
    "due_date": "Due date",
}
# A choice the person did not make (or made up) is asked for again in these words.
CHOOSE = {
    "audit": "choose an audit from the list",
    "owner": "choose who owns the action",
    "priority": "choose a priority",
    "description": "say what needs to be done",
}
SHOWN_AUDITS = 500


def _audits(user):
    """The audits of the cycles the person runs that an action can be agreed on, latest
    first."""
    return (
        scoping.audits_managed_by(user)
        .filter(status__in=action_service.ACTIONABLE_AUDIT_STATUSES)
        .select_related(
            "assignment__auditor",
            "assignment__sampled_case__case",
            "assignment__sampled_case__cycle",
        )
        .order_by("-submitted_at", "-pk")
    )


def _owners():
    # Exactly the owners the API accepts, grouped by team on the page.
    field = ActionSerializer().fields["owner"]
    return field.queryset.select_related("team").order_by("team__name", "name")


def action_raise(*, request, data: dict) -> Action:
    """Create an action as the API's create does: its serializer (audits in the person's
    scope, active owners), an audit required, then the service's own state rules."""
    body = ActionSerializer(data=data, context={"request": request})
    valid = body.is_valid()
    fields = {
        name: [CHOOSE[name]] if name in CHOOSE else plain_words(texts)
        for name, texts in ({} if valid else body.errors).items()
    }
    if data.get("audit") is None:  # the API's create asks for the audit too
        fields["audit"] = [CHOOSE["audit"]]
    if fields:  # in the order the form asks
        ordered = {name: fields.pop(name) for name in LABELS if name in fields}
        raise DomainError("The action is not valid.", fields=ordered | fields)
    terms = dict(body.validated_data)
    audit = terms.pop("audit")
    if not permissions.can_raise_action(request.user, audit):
        raise DomainError("The action is not valid.", fields={"audit": [CHOOSE["audit"]]})
    return action_service.action_create(actor=request.user, audit=audit, case=None, fields=terms)


@role_required(roles.MANAGER)
def action_new(request):
    fixed = None
    if request.GET.get("audit"):
        fixed = get_object_or_404(
            scoping.audits_managed_by(request.user).select_related(
                "assignment__sampled_case__case"
            ),
            pk=_int(request.GET["audit"]),
        )
    form = {"priority": Action.Priority.MEDIUM, "audit": str(fixed.pk) if fixed else ""}
    error_summary, status = None, 200
    if request.method == "POST":
        form = {name: request.POST.get(name, "").strip() for name in LABELS}
        if fixed is not None:
            form["audit"] = str(fixed.pk)
        data = {**form, "audit": form["audit"] or None, "due_date": form["due_date"] or None}
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
        "fixed": fixed,
        "audits": [] if fixed else list(_audits(request.user)[:SHOWN_AUDITS]),
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
