"""What the cycle page shows at each step: the frame, the plan per stratum, the draw and
its sample, and the assignment (loads, unassignable cases and why, overrides); and the
page itself, which the cycle's POST handlers re-render with their errors."""

from collections import Counter

from django.conf import settings
from django.utils import timezone

from audits.core.errors import DomainError
from audits.core.rules import REASONS
from audits.core.statuses import AUDIT_EDITABLE, CYCLE_CLOSED, CYCLE_DRAWN
from audits.models import Audit, Cycle, Staff
from audits.selectors import sample_record
from audits.services import sample
from audits.web import cycle_lists
from audits.web.pages import page


def _frame(cycle: Cycle):
    # A cycle without a draw has no frame: the reverse one-to-one raises AttributeError.
    return getattr(cycle, "frame", None)


def _strata(cycle: Cycle, frame, plan: dict | None, drawn: Counter) -> list[dict]:
    sizes = frame.strata_sizes if frame else (plan or {}).get("strata", {})
    allocation = frame.allocation if frame else (plan or {}).get("allocation", {})
    return [
        {
            "stratum": name,
            "population": size,
            "planned": allocation.get(name, 0),
            "drawn": drawn.get(name, 0),
        }
        for name, size in sorted(sizes.items())
    ]


def auditor_choices():
    return Staff.objects.filter(
        is_active=True, user__is_active=True, user__groups__name="auditor"
    ).order_by("name")


def overdue_audits(cycle: Cycle) -> int:
    """Audits still with their auditor past the window's due date (submitted ones are not)."""
    return Audit.objects.filter(
        assignment__sampled_case__cycle=cycle,
        status__in=AUDIT_EDITABLE,
        due_date__lt=timezone.localdate(),
    ).count()


def auditor_picker():
    """The auditors a manager may choose, each with their team, so two people of the same
    name can be told apart."""
    return auditor_choices().select_related("team")


def cycle_context(request, cycle: Cycle) -> dict:
    frame = _frame(cycle)
    plan, plan_error = None, None
    if frame is None:
        try:
            plan = sample.cycle_plan(cycle=cycle)
        except DomainError as error:
            plan_error = f"{error.message} {error.fields or ''}".strip()
    counts = cycle_lists.sample_counts(cycle) if frame else None
    assigned = bool(counts and counts["assigned"])
    return {
        "cycle": cycle,
        "frame": frame,
        "plan": plan,
        "plan_error": plan_error,
        "strata": _strata(cycle, frame, plan, counts["drawn"] if counts else Counter()),
        **(cycle_lists.sample_list(request, cycle) if frame else {}),
        "active_count": counts["active"] if counts else 0,
        "assigned": assigned,
        "waiting_for_auditor": counts["waiting"] if counts else 0,
        "loads": cycle_lists.loads_list(request, cycle) if assigned else None,
        **(cycle_lists.unassignable_list(request, cycle) if frame else {}),
        "overrides": cycle_lists.overrides_list(request, cycle) if assigned else None,
        "auditors": auditor_picker() if frame else [],
        # Extending is offered while the sample may still change; the service decides.
        "may_extend": frame is not None and cycle.status in CYCLE_DRAWN,
        # Named before a draw too, so a manager knows a second try will show.
        "overlapping": sample_record.overlapping_draws(cycle=cycle),
        "teams": sorted(team.name for team in cycle.teams.all()),
        "case_types": cycle.case_types,
        "all_case_types": settings.CASE_TYPES,
        "rules": [(rule, REASONS[rule], on) for rule, on in sorted(cycle.rules.items())],
        "overdue_audits": overdue_audits(cycle) if assigned else 0,
        "may_set_window": frame is not None and cycle.status not in CYCLE_CLOSED,
    }


def _extend_rows(context: dict) -> list[dict]:
    """One box per stratum for extending the sample, with what was typed and its errors."""
    typed = context.get("extend_form") or {}
    errors = (context.get("extend_summary") or {}).get("fields", {})
    return [
        {
            **row,
            "id": f"extend-{row['stratum']}",
            "name": f"size-{row['stratum']}",
            "value": typed.get(f"size-{row['stratum']}", ""),
            "errors": errors.get(f"extend-{row['stratum']}", []),
        }
        for row in context["strata"]
    ]


def render_cycle(request, cycle: Cycle, *, status=200, **extra):
    context = {**cycle_context(request, cycle), **extra}
    context["extend_rows"] = _extend_rows(context) if context["may_extend"] else []
    return page(request, "audits/cycle.html", context, current="web:cycles", status=status)
