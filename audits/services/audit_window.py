"""A cycle's audit window (opens, due): set from the draw, then set or extended by the QA
lead. Each audit of the cycle carries the window's due date, so overdue is measured from the
window everywhere (pages, reminders, reports), never from the period audited."""

from datetime import date

from django.conf import settings
from django.db import transaction

from audits.core.errors import DomainError
from audits.core.working_days import working_days_after
from audits.models import Audit, Cycle
from audits.services.history import event_record
from audits.services.lifecycle import check_cycle_open

WINDOW_FIELDS = ("audit_opens_on", "audit_due_date")


def window_default(*, drawn_on: date) -> tuple[date, date]:
    """Opens on the day of the draw; due a number of working days later (the setting)."""
    return drawn_on, working_days_after(drawn_on, settings.AUDIT_WINDOW_WORKING_DAYS)


def cycle_window_from_draw(*, cycle: Cycle, drawn_on: date) -> None:
    """In the draw's transaction: the default window, unless the lead set one already."""
    opens, due = window_default(drawn_on=drawn_on)
    if cycle.audit_due_date:  # the lead's due date stands; the window cannot open after it
        opens = min(opens, cycle.audit_due_date)
    cycle.audit_opens_on = cycle.audit_opens_on or opens
    cycle.audit_due_date = cycle.audit_due_date or max(due, cycle.audit_opens_on)
    cycle.save(update_fields=list(WINDOW_FIELDS))


def _window(cycle: Cycle) -> dict:
    return {field: getattr(cycle, field) for field in WINDOW_FIELDS}


def window_problems(*, opens: date | None, due: date | None) -> dict:
    if opens and due and due < opens:
        return {"audit_due_date": ["must not be before the day the window opens"]}
    return {}


def cycle_window_set(
    *, cycle: Cycle, actor, opens: date | None = None, due: date | None = None, reason: str = ""
) -> Cycle:
    """Set or move the window. Moving a due date already given needs a reason (auditors
    planned their work around it); every audit of the cycle takes the new due date."""
    reason = (reason or "").strip()
    with transaction.atomic():
        cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
        check_cycle_open(cycle)
        before = _window(cycle)
        opens = opens or cycle.audit_opens_on
        due = due or cycle.audit_due_date
        errors = window_problems(opens=opens, due=due)
        if before["audit_due_date"] and due != before["audit_due_date"] and not reason:
            errors["window_reason"] = ["enter a reason: auditors already have this due date"]
        if errors:
            raise DomainError("The audit window is not valid.", fields=errors)
        cycle.audit_opens_on, cycle.audit_due_date = opens, due
        after = _window(cycle)
        if after == before:
            return cycle
        cycle.save(update_fields=list(WINDOW_FIELDS))
        # A new due date: reminders start again from it.
        Audit.objects.filter(assignment__sampled_case__cycle=cycle).update(
            due_date=due, reminded_due_at=None, reminded_overdue_at=None
        )
        extended = bool(before["audit_due_date"] and due and due > before["audit_due_date"])
        event_record(
            actor=actor,
            verb="cycle.window_extended" if extended else "cycle.window_set",
            obj=cycle,
            before=before,
            after=after,
            reason=reason,
        )
    return cycle
