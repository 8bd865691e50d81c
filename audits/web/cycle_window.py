"""The audit window on a cycle's page: when its audits open and are due, how many are
overdue, and the QA lead's form to set or extend it (a reason when the due date moves)."""

from datetime import date

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from audits.core.errors import DomainError, StateConflict
from audits.selectors import scoping
from audits.services import audit_window
from audits.web.access import MANAGERS, role_required
from audits.web.cycle_context import render_cycle
from audits.web.errors import summary

LABELS = {
    "audit_opens_on": "Window opens",
    "audit_due_date": "Audits due",
    "window_reason": "Why the due date moves",
}


def _date(raw: str, field: str, errors: dict) -> date | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[field] = ["enter a date like 2026-03-31"]
        return None


@require_POST
@role_required(*MANAGERS)
def cycle_window(request, cycle_id: int):
    cycle = get_object_or_404(scoping.cycles_managed_by(request.user), pk=cycle_id)
    errors: dict = {}
    opens = _date(request.POST.get("audit_opens_on"), "audit_opens_on", errors)
    due = _date(request.POST.get("audit_due_date"), "audit_due_date", errors)
    try:
        if errors:
            raise DomainError("The audit window is not valid.", fields=errors)
        reason = request.POST.get("window_reason", "")
        audit_window.cycle_window_set(
            cycle=cycle, actor=request.user, opens=opens, due=due, reason=reason
        )
    except StateConflict as error:
        messages.error(request, error.message)
        return redirect("web:cycle", cycle_id=cycle.pk)
    except DomainError as error:
        return render_cycle(
            request,
            cycle,
            status=400,
            window_form=dict(request.POST.items()),
            window_summary=summary(error, LABELS, default="window-form"),
        )
    messages.success(request, "The audit window is saved; every audit of this cycle follows it.")
    return redirect("web:cycle", cycle_id=cycle.pk)
