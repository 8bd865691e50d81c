"""Managers' cycle pages: the list, a new cycle, and the page that walks through
frame -> plan -> draw -> assignment (the hub of the cycle's steps), with assigning the
sample. The sample and the assignment's details are pages of their own
(web/cycle_sample.py, web/cycle_assignment.py)."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from audits.core.errors import DomainError
from audits.models import Cycle
from audits.models.cycles import DEFAULT_MINIMUM_PER_STRATUM
from audits.selectors import permissions, scoping
from audits.services import assignment as assignment_service
from audits.services import cycles as cycles_service
from audits.web import listing
from audits.web.access import MANAGERS, role_required
from audits.web.cycle_context import managed_cycle, render_cycle
from audits.web.errors import summary
from audits.web.forms import CycleForm
from audits.web.pages import page

NEW_CYCLE_LABELS = {
    "name": "Name",
    "period_start": "Period starts",
    "period_end": "Period ends",
    "stratify_by": "Strata",
    "case_types": "Case types",
    "teams": "Teams",
    "n": "Sample size",
    "allocation": "Allocation",
    "minimum": "Minimum per stratum",
}


def _cycles(user):
    return scoping.cycles_managed_by(user).select_related("frame").prefetch_related("teams")


CYCLE_SORTS = {
    "newest": ("-period_end", "-pk"),
    "oldest": ("period_end", "pk"),
    "name": ("name", "pk"),
}


@role_required(*MANAGERS)
def cycle_list(request):
    filters = {
        "q": listing.text_param(request, "q"),
        "status": listing.choice_param(request, "status", Cycle.Status.values),
    }
    rows = _cycles(request.user).defer(*listing.CYCLE_ROW_DEFERRED)
    if filters["q"]:
        rows = rows.filter(name__icontains=filters["q"])
    if filters["status"]:
        rows = rows.filter(status=filters["status"])
    rows, sort = listing.sorted_rows(request, rows, sorts=CYCLE_SORTS, default="newest")
    context = {
        "cycles": listing.paginate(request, rows, noun=("cycle", "cycles"), sort=sort),
        "filters": filters,
        "statuses": Cycle.Status.choices,
        "sorts": [("newest", "Newest first"), ("oldest", "Oldest first"), ("name", "Name")],
        "sort": sort,
    }
    return page(request, "audits/cycles.html", context, current="web:cycles")


def _flat(errors: dict) -> dict:
    """Field errors with the plan's own fields lifted to the top, as the page asks them."""
    plan = errors.get("plan", {})
    return {k: v for k, v in errors.items() if k != "plan"} | plan


def _cycle_create(*, actor, post) -> Cycle:
    """The form reads the types, the service checks the rules (as for the API)."""
    form = CycleForm(post)
    if not form.is_valid():
        fields = {name: list(texts) for name, texts in form.errors.items()}
        # What the rules say of the fields that were read, so one round shows every error.
        rules = _flat(cycles_service.cycle_problems(actor=actor, fields=form.cycle_fields()))
        fields |= {name: texts for name, texts in rules.items() if name not in fields}
        raise DomainError("The cycle is not valid.", fields=fields)
    try:
        return cycles_service.cycle_create(actor=actor, fields=form.cycle_fields())
    except DomainError as error:
        raise DomainError(error.message, fields=_flat(error.fields)) from None


@role_required(*MANAGERS)
def cycle_new(request):
    form = {
        "case_types": [],
        "teams": [],
        "allocation": "proportional",
        "minimum": str(DEFAULT_MINIMUM_PER_STRATUM),
    }
    error_summary, status = None, 200
    if request.method == "POST":
        post = request.POST
        form = {key: post.get(key, "").strip() for key in NEW_CYCLE_LABELS}
        form["case_types"], form["teams"] = post.getlist("case_types"), post.getlist("teams")
        try:
            cycle = _cycle_create(actor=request.user, post=post)
        except DomainError as error:
            error_summary, status = summary(error, NEW_CYCLE_LABELS, default="new-cycle"), 400
        else:
            messages.success(request, f"Cycle {cycle.name} created. Check the frame and plan.")
            return redirect("web:cycle", cycle_id=cycle.pk)
    context = {
        "form": form,
        "error_summary": error_summary,
        "posted": request.POST if request.method == "POST" else None,
        "stratify_choices": Cycle.Stratify.choices,
        "case_type_choices": settings.CASE_TYPES,
        "team_choices": permissions.team_choices(request.user),
        "every_team_allowed": scoping.manages_every_team(request.user),
    }
    return page(request, "audits/cycle_new.html", context, current="web:cycles", status=status)


@role_required(*MANAGERS)
def cycle_detail(request, cycle_id: int):
    # The draw's reserve is not shown here (tens of kilobytes of JSON on a big cycle).
    cycle = managed_cycle(
        request, cycle_id, deferred=("frame__reserve",), teams=True, drawn_by=True
    )
    return render_cycle(request, cycle)


@require_POST
@role_required(*MANAGERS)
def cycle_assign(request, cycle_id: int):
    cycle = managed_cycle(request, cycle_id)
    try:
        result = assignment_service.cycle_assign(cycle=cycle, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            f"{result['assigned']} cases assigned, {result['second']} second audits, "
            f"{len(result['unassignable'])} could not be assigned.",
        )
    # To the top of the cycle's page, where the banner says what happened (never to a
    # section, which would leave the banner out of view).
    return redirect("web:cycle", cycle_id=cycle.pk)
