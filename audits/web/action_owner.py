"""An action's own page: its owner (who may hold only the practitioner role) keeps notes of
progress and marks it done with evidence; a different manager verifies it."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from audits.core import roles
from audits.core.errors import DomainError
from audits.models import Action
from audits.selectors import permissions, scoping
from audits.services import actions as action_service
from audits.web import listing
from audits.web.access import ANY_ROLE, role_required
from audits.web.actions import ACTION_WRITERS
from audits.web.pages import page


@role_required(*ANY_ROLE)
def my_actions(request):
    rows = (
        scoping.actions_for(request.user)
        .filter(owner__user=request.user)
        .select_related("case", "team")
        .order_by("status", "due_date", "pk")
    )
    found = listing.paginate(request, rows, noun=("action", "actions"))
    for action in found["rows"]:
        action.overdue = action_service.is_overdue(action)
    return page(request, "audits/my_actions.html", {"actions": found}, current="web:my-actions")


@role_required(*ANY_ROLE)
def action_page(request, action_id: int):
    action = get_object_or_404(
        scoping.actions_for(request.user).select_related("case", "team", "owner", "audit"),
        pk=action_id,
    )
    may_progress = permissions.can_update_action_progress(request.user, action)
    context = {
        "action": action,
        "overdue": action_service.is_overdue(action),
        "notes": action.notes.select_related("author"),
        "may_progress": may_progress and action.status == Action.Status.OPEN,
        "verify_problem": (
            permissions.action_verify_problem(request.user, action)
            if action.status == Action.Status.DONE
            else None
        ),
        "may_see_board": roles.has_role(request.user, roles.MANAGER),
    }
    return page(request, "audits/action.html", context, current="web:my-actions")


@require_POST
@role_required(*ACTION_WRITERS)
def action_note(request, action_id: int):
    action = get_object_or_404(scoping.actions_for(request.user), pk=action_id)
    try:
        action_service.action_note_add(
            actor=request.user, action=action, text=request.POST.get("text", "")
        )
    except DomainError as error:
        messages.error(request, f"The note was not added. {error.message}")
    else:
        messages.success(request, "Your note is added.")
    return redirect("web:action", action.pk)
