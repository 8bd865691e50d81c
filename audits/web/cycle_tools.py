"""A manager's tools on a drawn cycle: extend the sample in some strata and close the
cycle (from the cycle's page), and mark an auditor unavailable so their unstarted audits go
to other independent auditors (from the assignment's page).
The services decide what is allowed; these views only read the form and show the result."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from audits.core.display import stratum_words
from audits.core.errors import DomainError, StateConflict
from audits.models import Cycle, Staff
from audits.selectors import scoping
from audits.selectors.frames import team_names_by_label
from audits.services import assignment as assignment_service
from audits.services import lifecycle, sample
from audits.web import cycle_assignment
from audits.web.access import MANAGERS, role_required
from audits.web.cycle_context import render_cycle
from audits.web.cycle_lists import blocked_counts
from audits.web.errors import summary
from audits.web.forms import CloseForm, UnavailableForm, sizes_from

SIZE_FIELD = "size-"  # one input per stratum: size-<stratum>
ROLE_WORDS = {"primary": "first audit", "second": "second audit"}


def _cycle(request, cycle_id: int) -> Cycle:
    # Only the cycle's managers change it; anyone else gets the same 404 as a missing cycle.
    return get_object_or_404(scoping.cycles_managed_by(request.user), pk=cycle_id)


def _back(cycle: Cycle, step: str = ""):
    # To the top of the page, where the banner says what happened.
    return redirect("web:cycle", cycle_id=cycle.pk)


def _conflict(request, cycle: Cycle, error: StateConflict):
    # Said in the banner of the cycle's page, reached by a redirect: no page stays on a
    # POST address (the API answers 409 for the same conflict).
    messages.error(request, error.message)
    return _back(cycle)


def _sizes(post) -> dict[str, int]:
    """The strata given a new size; a blank box leaves its stratum as it is. The service
    decides what sizes are allowed."""
    teams = team_names_by_label()
    sizes, problems = sizes_from(post, SIZE_FIELD, lambda label: stratum_words(label, teams))
    if problems and not post.get("reason", "").strip():
        problems["reason"] = ["Say why the sample is extended"]  # every error at once
    if problems:
        raise DomainError("The extension is not valid.", fields=problems)
    return sizes


@require_POST
@role_required(*MANAGERS)
def cycle_extend(request, cycle_id: int):
    cycle = _cycle(request, cycle_id)
    try:
        lifecycle.check_drawn(cycle)
        added = sample.sample_extend(
            cycle=cycle,
            actor=request.user,
            sizes=_sizes(request.POST),
            reason=request.POST.get("reason", ""),
        )
    except StateConflict as error:
        return _conflict(request, cycle, error)
    except DomainError as error:
        if error.fields.get("sizes"):
            error.fields["sizes"] = ["Enter a new size for at least one stratum"]
        teams = team_names_by_label()
        labels = {
            row: f"The new size of {stratum_words(row, teams)}" for row in cycle.frame.strata_sizes
        } | {"sizes": "New sizes", "reason": "Why the sample is extended"}
        return render_cycle(
            request,
            cycle,
            status=400,
            extend_form=dict(request.POST.items()),
            extend_summary=summary(error, labels, default="extend", prefix="extend-"),
        )
    refs = ", ".join(item.case.case_ref for item in added)
    if not added:
        messages.success(request, "No cases added: every size is the same as before.")
    else:
        still = " Assign them to auditors below." if cycle.status != Cycle.Status.SAMPLED else ""
        s = "s" if len(added) != 1 else ""
        messages.success(request, f"{len(added)} case{s} added to the sample: {refs}.{still}")
    return _back(cycle, "draw")


@require_POST
@role_required(*MANAGERS)
def cycle_close(request, cycle_id: int):
    cycle = _cycle(request, cycle_id)
    form = CloseForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            "The cycle was not closed: tick the box to confirm, and keep the note under "
            "2,000 characters.",
        )
        return render_cycle(request, cycle, status=400)
    try:
        lifecycle.cycle_close(cycle=cycle, actor=request.user, reason=form.cleaned_data["reason"])
    except StateConflict as error:
        return _conflict(request, cycle, error)
    messages.success(
        request,
        f"{cycle.name} is closed. Its audits can no longer be saved, submitted or moderated.",
    )
    return _back(cycle, "close")


UNAVAILABLE_LABELS = {"auditor": "Auditor"}


@require_POST
@role_required(*MANAGERS)
def cycle_unavailable(request, cycle_id: int):
    cycle = _cycle(request, cycle_id)
    form = UnavailableForm(request.POST, staff=scoping.staff_for(request.user))
    try:
        lifecycle.check_drawn(cycle)
        if not form.is_valid():
            fields = {name: list(texts) for name, texts in form.errors.items()}
            raise DomainError("Choose the auditor who is unavailable.", fields=fields)
        staff = form.cleaned_data["auditor"]
        result = assignment_service.auditor_unavailable(
            cycle=cycle, staff=staff, actor=request.user
        )
    except StateConflict as error:
        messages.error(request, error.message)  # in the banner, after a redirect
        return cycle_assignment.back(cycle)
    except DomainError as error:
        return cycle_assignment.render_assignment(
            request,
            cycle,
            status=400,
            unavailable_form=dict(request.POST.items()),
            unavailable_summary=summary(
                error, UNAVAILABLE_LABELS, default="unavailable", prefix="unavailable_"
            ),
        )
    _tell(request, staff, result)
    return cycle_assignment.back(cycle)


def _tell(request, staff: Staff, result: dict) -> None:
    """What moved, what stayed because it had started, and what could not move and why."""
    moved_to = Staff.objects.filter(staff_ref__in=result["moved"].values())
    names = dict(moved_to.values_list("staff_ref", "name"))
    moved = "; ".join(f"{case} to {names.get(ref, ref)}" for case, ref in result["moved"].items())
    count = len(result["moved"])
    text = f"{staff.name} is marked unavailable. {count} audit{'s' if count != 1 else ''} moved"
    text += f": {moved}." if moved else "."
    if kept := result["kept_started"]:
        text += f" {kept} started audit{'s stay' if kept != 1 else ' stays'} with {staff.name}."
    messages.success(request, text)
    for row in result.get("unassignable_detail", []):
        why = "; ".join(blocked_counts(row["auditors_blocked_by"])) or "no other auditor"
        messages.warning(
            request,
            f"Case {row['case_ref']} ({ROLE_WORDS.get(row['role'], row['role'])}) could not be "
            f"moved and stays with {staff.name}: {why}. Choose an auditor for it below.",
        )
