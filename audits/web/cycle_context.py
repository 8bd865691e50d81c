"""What the cycle page shows at each step: the frame, the plan per stratum, the draw and
its sample, and the assignment (loads, unassignable cases and why, overrides); and the
page itself, which the cycle's POST handlers re-render with their errors."""

from collections import Counter

from django.conf import settings
from django.utils import timezone

from audits.core import plan_words
from audits.core.errors import DomainError
from audits.core.rules import REASONS
from audits.core.statuses import AUDIT_EDITABLE, CYCLE_CLOSED, CYCLE_DRAWN
from audits.models import Audit, Cycle, Staff
from audits.selectors import sample_record
from audits.selectors.packs import pack_cycles_for
from audits.services import sample
from audits.services.cycles import PLAN_DEFAULTS
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


# Rates are asked as percentages on the planner and kept as fractions, as the API takes them.
PERCENT_FIELDS = ("margin", "confidence", "p", "tolerable_rate", "expected_rate")


def form_values(plan: dict) -> dict:
    """A stored plan as the form shows it (percentages), the defaults filled in."""
    values = {key: value for key, value in (PLAN_DEFAULTS | plan).items() if key != "sd"}
    for name in PERCENT_FIELDS:
        if values.get(name) is not None:
            values[name] = f"{round(float(values[name]) * 100, 3):g}"
    for name, spread in (plan.get("sd") or {}).items():
        values[f"sd-{name}"] = spread
    return values


def plan_context(cycle, plan: dict | None) -> dict:
    """The sentences under the plan's table, and the form's starting values."""
    if plan is None:
        return {"plan_values": form_values(cycle.plan)}
    return {
        "plan_sentence": plan_words.size_sentence(
            cycle.plan, plan["population"], plan["sample_size"]
        ),
        "allocation_sentence": plan_words.allocation_sentence(cycle.plan, len(plan["strata"])),
        "plan_values": form_values(cycle.plan),
    }


PLAN_ROWS = [
    ("n", "Number of cases", "For a fixed number only, for example 60."),
    ("margin", "Margin of error (%)", "For an estimate only: 10 means within 10 points."),
    ("confidence", "Confidence (%)", "For an estimate or a test, for example 95."),
    ("p", "Expected share good or better (%)", "For an estimate only: 50 if you do not know."),
    ("tolerable_rate", "Highest share that may fall short (%)", "For a test only, like 10."),
    ("expected_rate", "Share expected to fall short (%)", "For a test only, below the highest."),
    ("minimum", "Fewest cases in a stratum", "Each stratum gets this many, or all it has."),
]


def _plan_rows(context: dict) -> list[dict]:
    values = context.get("plan_values") or {}
    errors = (context.get("plan_summary") or {}).get("fields", {})
    return [
        {
            "name": name,
            "id": f"plan_{name}",
            "label": label,
            "hint": hint,
            "value": "" if values.get(name) is None else values[name],
            "errors": errors.get(f"plan_{name}", []),
        }
        for name, label, hint in PLAN_ROWS
    ]


def _chosen(form) -> str:
    return str((form or {}).get("auditor") or "")


def picker_options(context: dict) -> dict:
    """The two auditor pickers' options, labelled here (a hundred people each: no lookups
    and comparisons per option in the template)."""
    chosen = _chosen(context.get("override_form"))
    override = [
        {
            "value": str(person.pk),
            "label": f"{person.name}, {person.team.name if person.team else 'no team'} "
            f"({person.staff_ref})",
            "selected": str(person.pk) == chosen,
        }
        for person in context["auditors"]
    ]
    chosen = _chosen(context.get("unavailable_form"))
    unavailable = [
        {
            "value": str(row["staff"].pk),
            "label": f"{row['staff'].name}, "
            f"{row['staff'].team.name if row['staff'].team else 'no team'} "
            f"({row['total']} audit{'' if row['total'] == 1 else 's'})",
            "selected": str(row["staff"].pk) == chosen,
        }
        for row in (context["loads"] or {}).get("everyone", [])
    ]
    return {"override_options": override, "unavailable_options": unavailable}


def render_cycle(request, cycle: Cycle, *, status=200, **extra):
    base = cycle_context(request, cycle)
    context = {**base, **plan_context(cycle, base["plan"]), **extra}
    context |= picker_options(context)
    context["extend_rows"] = _extend_rows(context) if context["may_extend"] else []
    # The pack button only for those who may have the pack (a manager still blind to half
    # of a double audit in this cycle may not, until they submit: selectors/packs.py).
    context["may_pack"] = (
        context["frame"] is not None and pack_cycles_for(request.user).filter(pk=cycle.pk).exists()
    )
    extend_errors = (context.get("extend_summary") or {}).get("fields", {})
    context["extend_reason_errors"] = extend_errors.get("extend-reason", [])
    if context["frame"] is None:
        values = context.get("plan_values") or {}
        context["plan_rows"] = _plan_rows(context)
        context["spread_rows"] = [
            {"stratum": row["stratum"], "spread": values.get(f"sd-{row['stratum']}")}
            for row in context["strata"]
        ]
    return page(request, "audits/cycle.html", context, current="web:cycles", status=status)
