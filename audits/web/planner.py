"""The planner on a cycle's page: how many cases (a fixed number, enough to estimate a rate
to a margin, or enough to show a failure rate is below a limit) and how they are shared over
the strata. The statistics are `core/planning.py`'s, the rules and the write
`services/cycles.cycle_plan_set`'s (as for the API's plan); this page reads percentages."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from audits.core import plan_words
from audits.core.errors import DomainError, StateConflict
from audits.selectors import scoping
from audits.services import cycles as cycles_service
from audits.services import sample
from audits.web.access import MANAGERS, role_required
from audits.web.cycle_context import PERCENT_FIELDS, render_cycle
from audits.web.errors import summary

PLAIN = {
    "required": "enter a value",
    "invalid": "enter a number",
    "invalid_choice": "choose one from the list",
}
METHODS = [
    ("fixed", "A fixed number of cases"),
    ("estimation", "Enough to estimate how many audits are good or better"),
    ("attribute", "Enough to show that few cases fall short of a standard"),
]
ALLOCATIONS = [
    ("proportional", "In proportion to the cases in each stratum"),
    ("neyman", "By size and spread (Neyman): strata that vary more get more"),
    ("equal", "The same number in each stratum"),
]
# The plan's values each method uses; the others are not kept.
METHOD_FIELDS = {
    "fixed": ("n",),
    "estimation": ("margin", "confidence", "p"),
    "attribute": ("confidence", "tolerable_rate", "expected_rate"),
}
LABELS = {
    "method": "How many cases",
    "n": "Number of cases",
    "margin": "Margin of error",
    "confidence": "Confidence",
    "p": "Expected share good or better",
    "tolerable_rate": "Highest share that may fall short",
    "expected_rate": "Share expected to fall short",
    "allocation": "How the cases are shared",
    "minimum": "Fewest cases in a stratum",
    "sd": "Spread per stratum",
    "plan": "Plan",
}


def _percent(low: float, high: float) -> forms.FloatField:
    return forms.FloatField(min_value=low, max_value=high, required=False, error_messages=PLAIN)


class PlanForm(forms.Form):
    method = forms.ChoiceField(choices=METHODS, error_messages=PLAIN)
    n = forms.IntegerField(min_value=1, max_value=100_000, required=False, error_messages=PLAIN)
    margin = _percent(0.1, 50)
    confidence = _percent(50, 99.9)
    p = _percent(1, 99)
    tolerable_rate = _percent(0.1, 50)
    expected_rate = _percent(0, 50)
    allocation = forms.ChoiceField(choices=ALLOCATIONS, error_messages=PLAIN)
    minimum = forms.IntegerField(min_value=0, max_value=10_000, error_messages=PLAIN)

    def __init__(self, *args, strata=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.strata = list(strata)
        for name in self.strata:
            self.fields[f"sd-{name}"] = forms.FloatField(
                min_value=0, max_value=1_000, required=False, error_messages=PLAIN
            )

    def plan(self) -> dict:
        data = self.cleaned_data
        method = data["method"]
        plan = {"method": method, "allocation": data["allocation"], "minimum": data["minimum"]}
        for name in METHOD_FIELDS[method]:
            value = data.get(name)
            plan[name] = value / 100 if value is not None and name in PERCENT_FIELDS else value
        if data["allocation"] == "neyman":
            spreads = {name: data.get(f"sd-{name}") for name in self.strata}
            plan["sd"] = spreads if None not in spreads.values() else None
        return plan


@require_POST
@role_required(*MANAGERS)
def cycle_plan_edit(request, cycle_id: int):
    cycle = get_object_or_404(scoping.cycles_managed_by(request.user), pk=cycle_id)
    strata = sorted(getattr(getattr(cycle, "frame", None), "strata_sizes", {}) or {})
    if not strata:
        try:
            strata = sorted(sample.cycle_plan(cycle=cycle)["strata"])
        except DomainError:
            strata = []
    form = PlanForm(request.POST, strata=strata)
    try:
        if not form.is_valid():
            raise DomainError(
                "The plan is not valid.",
                fields={name: list(texts) for name, texts in form.errors.items()},
            )
        cycle = cycles_service.cycle_plan_set(actor=request.user, cycle=cycle, plan=form.plan())
    except StateConflict as error:
        messages.error(request, error.message)
        return redirect("web:cycle", cycle_id=cycle.pk)
    except DomainError as error:
        return render_cycle(
            request,
            cycle,
            status=400,
            plan_values=dict(request.POST.items()),
            plan_summary=summary(error, LABELS, default="plan-form", prefix="plan_"),
        )
    planned = sample.cycle_plan(cycle=cycle)
    messages.success(
        request,
        "Plan saved. "
        + plan_words.size_sentence(cycle.plan, planned["population"], planned["sample_size"]),
    )
    return redirect("web:cycle", cycle_id=cycle.pk)
