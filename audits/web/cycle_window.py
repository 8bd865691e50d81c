"""The audit window on a cycle's page: when its audits open and are due, how many are
overdue, and the QA lead's form to set or extend it (a reason when the due date moves)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from audits.core.errors import DomainError, StateConflict
from audits.selectors import scoping
from audits.services import audit_window
from audits.web.access import MANAGERS, role_required
from audits.web.cycle_context import render_cycle
from audits.web.errors import summary
from audits.web.forms import WindowForm

LABELS = {
    "audit_opens_on": "Window opens",
    "audit_due_date": "Audits due",
    "window_reason": "Why the due date moves",
}


# The service's terse words, as this page says them.
WORDS = {
    "audit_due_date": "The due date must be the same as or after the day the window opens",
    "window_reason": "Say why the due date moves: auditors already have this due date",
}


@require_POST
@role_required(*MANAGERS)
def cycle_window(request, cycle_id: int):
    cycle = get_object_or_404(scoping.cycles_managed_by(request.user), pk=cycle_id)
    form = WindowForm(request.POST)
    try:
        if not form.is_valid():
            fields = {name: list(texts) for name, texts in form.errors.items()}
            raise DomainError("The audit window is not valid.", fields=fields)
        audit_window.cycle_window_set(
            cycle=cycle,
            actor=request.user,
            opens=form.cleaned_data["audit_opens_on"],
            due=form.cleaned_data["audit_due_date"],
            reason=form.cleaned_data["window_reason"],
        )
    except StateConflict as error:
        messages.error(request, error.message)
        return redirect("web:cycle", cycle_id=cycle.pk)
    except DomainError as error:
        return render_cycle(
            request,
            cycle,
            status=400,
            window_form=request.POST,
            window_summary=summary(error, LABELS, default="window-form", words=WORDS),
        )
    messages.success(request, "The audit window is saved; every audit of this cycle follows it.")
    return redirect("web:cycle", cycle_id=cycle.pk)
