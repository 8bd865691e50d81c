"""Drawing a cycle's sample, which cannot be undone: a page shows the frame's size, the
plan (how many cases, why, and how many from each stratum) and what cannot be undone, and
draws only when its form is sent with the confirmation."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect

from audits.core.errors import DomainError, StateConflict
from audits.models import Cycle
from audits.selectors import sample_record, scoping
from audits.services import sample
from audits.web.access import MANAGERS, role_required
from audits.web.cycle_context import plan_context
from audits.web.errors import summary
from audits.web.pages import page

LABELS = {"witness_input": "Witness input", "confirm": "Confirmation"}
CONFIRM = "yes"


def _confirm_page(request, cycle: Cycle, *, status=200, form=None, error_summary=None):
    plan = sample.cycle_plan(cycle=cycle)  # DomainError: the plan cannot be drawn
    context = {
        "cycle": cycle,
        "plan": plan,
        "strata": [
            {"stratum": name, "population": size, "planned": plan["allocation"].get(name, 0)}
            for name, size in sorted(plan["strata"].items())
        ],
        "overlapping": sample_record.overlapping_draws(cycle=cycle),
        "form": form or {},
        "error_summary": error_summary,
        **plan_context(cycle, plan),
    }
    return page(
        request,
        "audits/cycle_draw.html",
        context,
        current="web:cycles",
        status=status,
        trail=[(cycle.name, f"/cycles/{cycle.pk}/")],
    )


@role_required(*MANAGERS)
def cycle_draw(request, cycle_id: int):
    cycle = get_object_or_404(scoping.cycles_managed_by(request.user), pk=cycle_id)
    if request.method != "POST":
        if cycle.status != Cycle.Status.PLANNED:
            messages.error(request, "This cycle's sample is already drawn: it is drawn once.")
            return redirect("web:cycle", cycle_id=cycle.pk)
        try:
            return _confirm_page(request, cycle)
        except DomainError as error:
            messages.error(request, f"The sample cannot be drawn yet: {error.message}")
            return redirect("web:cycle", cycle_id=cycle.pk)
    form = {"witness_input": request.POST.get("witness_input", "")}
    try:
        if request.POST.get("confirm") != CONFIRM:
            raise DomainError(
                "Confirm that the sample is drawn only once.",
                fields={"confirm": ["tick the box to confirm that drawing cannot be undone"]},
            )
        frame = sample.sample_draw(
            cycle=cycle, actor=request.user, witness_input=form["witness_input"]
        )
    except StateConflict as error:
        messages.error(request, error.message)
        return redirect("web:cycle", cycle_id=cycle.pk)
    except DomainError as error:
        return _confirm_page(
            request,
            cycle,
            status=400,
            form=form,
            error_summary=summary(error, LABELS, default="draw-form", prefix="draw_"),
        )
    total = sum(frame.allocation.values())
    messages.success(
        request, f"Sample drawn: {total} cases from {frame.size}. Its seed is {frame.seed}."
    )
    return redirect("web:cycle", cycle_id=cycle.pk)
