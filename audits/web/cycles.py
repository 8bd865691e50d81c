"""Managers' cycle pages: the list, a new cycle, and the page that walks through
frame -> plan -> draw -> assignment, with the POST handlers for each step."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from audits.core.errors import DomainError, StateConflict
from audits.core.rules import reason_words
from audits.models import Cycle, SampledCase
from audits.models.cycles import DEFAULT_MINIMUM_PER_STRATUM
from audits.selectors import permissions, scoping
from audits.services import assignment as assignment_service
from audits.services import cycles as cycles_service
from audits.services import sample
from audits.web import listing
from audits.web.access import MANAGERS, role_required
from audits.web.cycle_context import auditor_choices, render_cycle
from audits.web.errors import summary
from audits.web.forms import CycleForm, OverrideForm
from audits.web.pages import page
from audits.web.task_forms import SAY_WHY_REPLACED, ReplaceForm, checked

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
    return render_cycle(request, get_object_or_404(_cycles(request.user), pk=cycle_id))


def _back(cycle_id: int, step: str = ""):
    # To the top of the page, where the banner says what happened (never to a section,
    # which would leave the banner out of view).
    return redirect("web:cycle", cycle_id=cycle_id)


@require_POST
@role_required(*MANAGERS)
def cycle_assign(request, cycle_id: int):
    cycle = get_object_or_404(_cycles(request.user), pk=cycle_id)
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
    return _back(cycle.pk, "assignment")


OVERRIDE_LABELS = {
    "sampled_case": "Case",
    "auditor": "Auditor",
    "role": "Role",
    "reason": "Reason for the override",
    "over_capacity": "Past capacity",
}


CHOOSE_CASE = "Enter the reference of a case in this cycle's sample"


def _sampled(cycle: Cycle, post) -> SampledCase | None:
    """The case typed by its reference (the page's picker) or chosen by id (the older form);
    only a case of this cycle's sample that is still selected."""
    rows = SampledCase.objects.filter(cycle=cycle, status=SampledCase.Status.SELECTED)
    ref = (post.get("case_ref") or "").strip()
    if ref:
        return rows.filter(case__case_ref__iexact=ref[:40]).order_by("is_follow_up", "pk").first()
    return rows.filter(pk=_int(post.get("sampled_case"))).first()


@require_POST
@role_required(*MANAGERS)
def cycle_override(request, cycle_id: int):
    cycle = get_object_or_404(_cycles(request.user), pk=cycle_id)
    post = request.POST
    sampled = _sampled(cycle, post)  # by its case reference (or the id of an older page)
    data = post.copy()
    data["sampled_case"] = str(sampled.pk) if sampled else ""
    form = OverrideForm(
        data,
        sampled_cases=SampledCase.objects.filter(cycle=cycle),
        auditors=auditor_choices(),
    )
    try:
        if not form.is_valid():
            fields = {name: list(texts) for name, texts in form.errors.items()}
            if "sampled_case" in fields:
                fields["sampled_case"] = [CHOOSE_CASE]
            raise DomainError("Choose a case and an auditor.", fields=fields)
        auditor = form.cleaned_data["auditor"]
        item = assignment_service.assignment_override(
            sampled_case=sampled,
            auditor=auditor,
            role=form.cleaned_data["role"],
            actor=request.user,
            reason=form.cleaned_data["reason"],
            over_capacity=post.get("over_capacity") == "yes",
        )
    except DomainError as error:
        if "over_capacity" in error.fields:
            # Not a mistake but a question: the page warns and asks to confirm.
            return render_cycle(
                request,
                cycle,
                status=400,
                override_form=dict(post.items()),
                capacity_warning=error.message,
            )
        rules = error.extra.get("rules")
        words = {}
        if rules:
            words["reason"] = (
                "Give the reason for the override: this auditor is not independent of the "
                f"case ({'; '.join(reason_words(rule) for rule in rules)})"
            )
        return render_cycle(
            request,
            cycle,
            status=400,
            override_form=dict(post.items()),
            override_summary=summary(
                error, OVERRIDE_LABELS, default="override", prefix="override_", words=words
            ),
        )
    waived = "; ".join(reason_words(rule) for rule in item.override_rules)
    note = f" (rules set aside: {waived})" if waived else ""
    messages.success(request, f"{auditor.name} will audit case {sampled.case}{note}.")
    return _back(cycle.pk, "assignment")


def replace_errors(error: DomainError, sampled, typed: str) -> dict:
    """The replace form's errors on the cycle page: in the summary above the sample, and by
    the reason box of the case (its form opened again, with what was typed)."""
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


def _int(raw):
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


@require_POST
@role_required(*MANAGERS)
def cycle_replace(request, cycle_id: int):
    cycle = get_object_or_404(_cycles(request.user), pk=cycle_id)
    form = ReplaceForm(request.POST, sampled_cases=SampledCase.objects.filter(cycle=cycle))
    if "sampled" in form.errors and request.POST.get("sampled", "").strip():
        raise Http404("No such case in this cycle's sample.")  # not one of this cycle's
    try:
        data = checked(form, "The case was not replaced.")
        replacement = sample.sample_replace(
            sampled_case=data["sampled"], actor=request.user, reason=data["reason"]
        )
    except StateConflict as error:
        # Said in the banner at the top of the cycle's page, reached by a redirect (the API
        # answers 409 for the same conflict): no page stays on a POST address.
        messages.error(request, error.message)
        return _back(cycle.pk)
    except DomainError as error:
        return render_cycle(
            request,
            cycle,
            status=400,
            **replace_errors(error, form.cleaned_data.get("sampled"), form.data.get("reason", "")),
        )
    messages.success(
        request,
        f"Case {data['sampled'].case} replaced by {replacement.case} (rank {replacement.rank}).",
    )
    return _back(cycle.pk, "draw")
