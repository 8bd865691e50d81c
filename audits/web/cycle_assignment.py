"""A cycle's assignment, on its own page (``/cycles/<id>/assignment/``): the load per
auditor, the cases no auditor could take (summarised by reason, then listed), choosing the
auditor for a case (an override, with its reason), an auditor who is unavailable, and the
assignments a manager chose. Assigning the sample is a step of the cycle's page."""

from django.contrib import messages
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from audits.core.errors import DomainError
from audits.core.rules import reason_words
from audits.models import Cycle, SampledCase
from audits.selectors import assignment_lists
from audits.services import assignment as assignment_service
from audits.web import cycle_lists, listing
from audits.web.access import MANAGERS, role_required
from audits.web.cycle_context import cycle_trail, managed_cycle
from audits.web.errors import summary
from audits.web.forms import OverrideForm
from audits.web.pages import page

NOT_SHOWN = ("frame__reserve",)  # tens of kilobytes of JSON on a 2,000-case cycle


auditor_choices = assignment_lists.auditor_choices


def _chosen(form) -> str:
    return str((form or {}).get("auditor") or "")


_options = listing.options_html


def override_options(rows: list[tuple], chosen: str) -> str:
    """The auditors a manager may choose, each with their team, so two people of the same
    name can be told apart: read as values and labelled here."""
    return _options(
        (str(pk), f"{name}, {team or 'no team'} ({ref})", str(pk) == chosen)
        for pk, name, team, ref in rows
    )


def unavailable_options(loads: dict, chosen: str) -> str:
    """Everyone with a load in this cycle, with their team and how many audits they have."""
    return _options(
        (
            str(row["pk"]),
            f"{row['name']}, {row['team'] or 'no team'} "
            f"({row['total']} audit{'' if row['total'] == 1 else 's'})",
            str(row["pk"]) == chosen,
        )
        for row in loads.get("everyone", [])
    )


def render_assignment(request, cycle: Cycle, *, status=200, **extra):
    frame = getattr(cycle, "frame", None)
    context = {"cycle": cycle, "frame": frame, "may_override": False, **extra}
    if frame is not None:
        lists = assignment_lists.assignment_lists(cycle.pk)
        loads = cycle_lists.loads_list(request, lists["loads"])
        context |= {
            "loads": loads,
            "assigned": bool(loads["total"]),
            **cycle_lists.unassignable_list(request, cycle),
            "overrides": cycle_lists.overrides_list(request, lists["overrides"]),
        }
        # Once assignment has run: someone has a load, or some case found nobody.
        context["may_override"] = bool(loads["total"] or context["unassignable_summary"]["total"])
        if context["may_override"]:
            chosen = _chosen(extra.get("override_form"))
            context["override_options"] = override_options(lists["auditors"], chosen)
        context["unavailable_options"] = unavailable_options(
            loads, _chosen(extra.get("unavailable_form"))
        )
    return page(
        request,
        "audits/cycle_assignment.html",
        context,
        current="web:cycles",
        status=status,
        trail=cycle_trail(cycle),
    )


@role_required(*MANAGERS)
def cycle_assignment(request, cycle_id: int):
    return render_assignment(request, managed_cycle(request, cycle_id, deferred=NOT_SHOWN))


def back(cycle: Cycle):
    # To the top of the assignment's page, where the banner says what happened (never to a
    # section, which would leave the banner out of view).
    return redirect("web:cycle-assignment", cycle_id=cycle.pk)


OVERRIDE_LABELS = {
    "sampled_case": "Case",
    "auditor": "Auditor",
    "role": "Role",
    "reason": "Reason for the override",
    "over_capacity": "Past capacity",
}


CHOOSE_CASE = "Enter the reference of a case in this cycle's sample"


def _int(raw):
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def _sampled(cycle: Cycle, post) -> SampledCase | None:
    """The case typed by its reference (the page's picker) or chosen by id (the older form);
    only a case of this cycle's sample that is still selected."""
    rows = SampledCase.objects.filter(cycle=cycle, status=SampledCase.Status.SELECTED)
    ref = (post.get("case_ref") or "").strip()
    if ref:
        return rows.filter(case__case_ref__iexact=ref[:40]).order_by("is_follow_up", "pk").first()
    return rows.filter(pk=_int(post.get("sampled_case"))).first()


def _override_failed(request, cycle: Cycle, error: DomainError):
    post = request.POST
    if "over_capacity" in error.fields:
        # Not a mistake but a question: the page warns and asks to confirm.
        return render_assignment(
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
    return render_assignment(
        request,
        cycle,
        status=400,
        override_form=dict(post.items()),
        override_summary=summary(
            error, OVERRIDE_LABELS, default="override", prefix="override_", words=words
        ),
    )


@require_POST
@role_required(*MANAGERS)
def cycle_override(request, cycle_id: int):
    cycle = managed_cycle(request, cycle_id)
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
        return _override_failed(request, cycle, error)
    waived = "; ".join(reason_words(rule) for rule in item.override_rules)
    note = f" (rules set aside: {waived})" if waived else ""
    messages.success(request, f"{auditor.name} will audit case {sampled.case}{note}.")
    return back(cycle)
