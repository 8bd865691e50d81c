"""What the cycle's page (the hub of its steps) shows: the frame, the plan per stratum, the
draw with its seed and the sample's counts, extending it, the audit window, the assignment's
counts, closing and the inspection pack; and the page itself, which the POST handlers of
those steps re-render with their errors. The sample and the assignment have their own pages
(web/cycle_sample.py, web/cycle_assignment.py)."""

from collections import Counter

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from audits.core import plan_words
from audits.core.errors import DomainError
from audits.core.rules import REASONS
from audits.core.statuses import AUDIT_EDITABLE, CYCLE_CLOSED, CYCLE_DRAWN
from audits.models import Audit, Cycle
from audits.selectors import sample_record, scoping
from audits.selectors.packs import may_pack_managed_cycle
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


def overdue_audits(cycle: Cycle) -> int:
    """Audits still with their auditor past the window's due date (submitted ones are not)."""
    return Audit.objects.filter(
        assignment__sampled_case__cycle=cycle,
        status__in=AUDIT_EDITABLE,
        due_date__lt=timezone.localdate(),
    ).count()


def managed_cycle(request, cycle_id: int, *, deferred=(), teams=False, drawn_by=False) -> Cycle:
    """The cycle of the page, with its frame (its teams and who drew it, for a page that
    names them), if the user runs it (else 404, as for a cycle that does not exist). A page
    that shows neither the assignment summary nor the draw's reserve (each tens of kilobytes
    of JSON on a 2,000-case cycle) defers them."""
    related = ("frame__drawn_by__staff",) if drawn_by else ("frame",)
    cycles = scoping.cycles_managed_by(request.user).select_related(*related).defer(*deferred)
    return get_object_or_404(cycles.prefetch_related("teams") if teams else cycles, pk=cycle_id)


def cycle_trail(cycle: Cycle) -> list[tuple[str, str]]:
    """The breadcrumbs of a cycle's sub-page: Cycles, then the cycle."""
    return [(cycle.name, reverse("web:cycle", args=[cycle.pk]))]


def cycle_context(request, cycle: Cycle) -> dict:
    """The hub: the steps and their counts. The sample and the assignment's lists and forms
    are on their own pages (web/cycle_sample.py, web/cycle_assignment.py)."""
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
        "counts": counts,
        "active_count": counts["active"] if counts else 0,
        "assigned": assigned,
        "waiting_for_auditor": counts["waiting"] if counts else 0,
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


def render_cycle(request, cycle: Cycle, *, status=200, **extra):
    base = cycle_context(request, cycle)
    context = {**base, **plan_context(cycle, base["plan"]), **extra}
    context["extend_rows"] = _extend_rows(context) if context["may_extend"] else []
    # The pack button only for those who may have the pack (a manager still blind to half
    # of a double audit in this cycle may not, until they submit: selectors/packs.py).
    context["may_pack"] = context["frame"] is not None and may_pack_managed_cycle(
        request.user, cycle
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
