"""A cycle's sample, on its own page (``/cycles/<id>/sample/``): searchable by case
reference, filterable by stratum and status, sortable and paged; each case not yet assigned
can be replaced by the next one in rank order from here (the form re-renders this page with
its errors, and redirects back to it after a replacement)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from audits.core.errors import DomainError, StateConflict
from audits.models import Cycle, SampledCase
from audits.services import sample
from audits.web import cycle_lists
from audits.web.access import MANAGERS, role_required
from audits.web.cycle_context import cycle_trail, managed_cycle
from audits.web.errors import summary
from audits.web.pages import page
from audits.web.task_forms import SAY_WHY_REPLACED, ReplaceForm, checked

# Neither is shown here; each is tens of kilobytes of JSON on a 2,000-case cycle.
NOT_SHOWN = ("assignment_summary", "frame__reserve")


def render_sample(request, cycle: Cycle, *, status=200, **extra):
    frame = getattr(cycle, "frame", None)
    context = {
        "cycle": cycle,
        "frame": frame,
        "strata": [{"stratum": name} for name in sorted(frame.strata_sizes)] if frame else [],
        **(cycle_lists.sample_list(request, cycle) if frame else {}),
        **extra,
    }
    return page(
        request,
        "audits/cycle_sample.html",
        context,
        current="web:cycles",
        status=status,
        trail=cycle_trail(cycle),
    )


@role_required(*MANAGERS)
def cycle_sample(request, cycle_id: int):
    return render_sample(request, managed_cycle(request, cycle_id, deferred=NOT_SHOWN))


def replace_errors(error: DomainError, sampled, typed: str) -> dict:
    """The replace form's errors on the sample page: in the summary above the sample, and
    by the reason box of the case (its form opened again, with what was typed)."""
    box = f"replace-reason-{sampled.pk}" if sampled else ""
    named = {box if name == "reason" and box else name: v for name, v in error.fields.items()}
    labels = {box: "The reason"} if box else {}
    found = summary(
        type(error)(error.message, fields=named),
        labels,
        default=box or "sample-table",
        words={box: SAY_WHY_REPLACED},
    )
    return {
        "replace_summary": found,
        "replace_failed": sampled.pk if sampled else None,
        "replace_reason": typed,
        "replace_reason_errors": found["fields"].get(box, []),
    }


def _back(cycle: Cycle):
    # To the top of the sample's page, where the banner says what happened.
    return redirect("web:cycle-sample", cycle_id=cycle.pk)


@require_POST
@role_required(*MANAGERS)
def cycle_replace(request, cycle_id: int):
    cycle = managed_cycle(request, cycle_id)
    form = ReplaceForm(request.POST, sampled_cases=SampledCase.objects.filter(cycle=cycle))
    if "sampled" in form.errors and request.POST.get("sampled", "").strip():
        raise Http404("No such case in this cycle's sample.")  # not one of this cycle's
    try:
        data = checked(form, "The case was not replaced.")
        replacement = sample.sample_replace(
            sampled_case=data["sampled"], actor=request.user, reason=data["reason"]
        )
    except StateConflict as error:
        # Said in the banner at the top of the sample's page, reached by a redirect (the API
        # answers 409 for the same conflict): no page stays on a POST address.
        messages.error(request, error.message)
        return _back(cycle)
    except DomainError as error:
        return render_sample(
            request,
            cycle,
            status=400,
            **replace_errors(error, form.cleaned_data.get("sampled"), form.data.get("reason", "")),
        )
    messages.success(
        request,
        f"Case {data['sampled'].case} replaced by {replacement.case} (rank {replacement.rank}).",
    )
    return _back(cycle)
