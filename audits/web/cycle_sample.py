"""A cycle's sample, on its own page (``/cycles/<id>/sample/``): searchable by case
reference, filterable by stratum and status, sortable and paged; each case not yet assigned
can be replaced by the next one in rank order from here (the form re-renders this page with
its errors, and redirects back to it after a replacement)."""

from django.contrib import messages
from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from audits.core.display import stratum_words
from audits.core.errors import DomainError, StateConflict
from audits.models import Assignment, Case, Cycle, SampledCase
from audits.selectors.frames import team_names_by_label
from audits.services import sample
from audits.web import listing
from audits.web.access import MANAGERS, role_required
from audits.web.cycle_context import cycle_trail, managed_cycle
from audits.web.errors import summary
from audits.web.pages import page
from audits.web.task_forms import SAY_WHY_REPLACED, ReplaceForm, checked

# Neither is shown here; each is tens of kilobytes of JSON on a 2,000-case cycle.
NOT_SHOWN = ("assignment_summary", "frame__reserve")
SAMPLE_SORTS = {
    "rank": ("stratum", "rank", "pk"),
    "case": ("case__case_ref", "pk"),
    "team": ("case__team__name", "stratum", "rank", "pk"),
}
SAMPLE_STATUSES = (("selected", "Selected"), ("replaced", "Replaced"))
# What a row of the list reads of the sampled case itself; the rest is read for the page.
ROW_FIELDS = ("stratum", "rank", "selection_key", "status", "replacement_reason", "is_follow_up")


# A search orders by the reference it read, not through a join to the register.
SEARCH_SORTS = SAMPLE_SORTS | {"case": ("reference", "pk")}


def _matching(rows, text: str):
    """The sample's rows whose case reference holds ``text``, read without joining the
    register. Joined (``case__case_ref__icontains``), PostgreSQL estimated a fifth of
    100,000 cases to match and hashed a scan of them all (20-35 ms); given the sample's
    2,000 case ids as a list, it probed the primary key (4 ms) but psycopg spent ~8 ms in
    Python splitting a query of 2,000 parameters. Here each sampled case's reference is read
    by its key, a subquery PostgreSQL runs per row with no parameters: 3 ms on the bench's
    2,000-case cycle (bench/pages.py)."""
    reference = Case.objects.filter(pk=OuterRef("case_id")).order_by().values("case_ref")[:1]
    return rows.annotate(reference=Subquery(reference)).filter(reference__icontains=text)


def sample_list(request, cycle: Cycle, teams: dict[str, str]) -> dict:
    """The sample, searchable by case reference and filterable by stratum and status."""
    filters = {
        "q": listing.text_param(request, "sample_q"),
        "stratum": (request.GET.get("sample_stratum") or "")[:80],
        "status": listing.choice_param(request, "sample_status", dict(SAMPLE_STATUSES)),
    }
    rows = SampledCase.objects.filter(cycle=cycle)
    if filters["stratum"]:
        rows = rows.filter(stratum=filters["stratum"])
    if filters["status"]:
        rows = rows.filter(status=filters["status"])
    if filters["q"]:
        rows = _matching(rows, filters["q"])
    sorts = SEARCH_SORTS if filters["q"] else SAMPLE_SORTS
    rows, sort = listing.sorted_rows(request, rows, sorts=sorts, default="rank", prefix="sample_")
    # A search's matches are few: their keys are read once, in order, and paged in memory
    # (no count, and no second run of the search for the page). Either way the page's rows
    # are then read by their keys, with what they show.
    found = listing.paginate(
        request,
        rows,
        noun=("case", "cases"),
        prefix="sample_",
        sort=sort,
        keys_first=bool(filters["q"]),
        show=_shown,
    )
    found["rows"] = _rows(found["rows"], teams)
    return {
        "sample": found,
        "sample_filters": filters,
        "sample_statuses": SAMPLE_STATUSES,
        "sample_sorts": [("rank", "Stratum and rank"), ("case", "Case"), ("team", "Team")],
    }


def _shown(keys):
    return (
        SampledCase.objects.filter(pk__in=keys)
        .order_by()  # in a dict: no join to the cycle for the model's default order
        .values(
            "pk",
            *ROW_FIELDS,
            "case__case_ref",
            "case__team__name",
            "replaced_by__case__case_ref",
        )
    )


def _rows(items: list[dict], teams: dict[str, str]) -> list[dict]:
    """One page of the sample as the table shows it, its words made here: the page's cases
    and their auditors in two queries, no lookups per row in the template."""
    auditors: dict[int, dict[str, str]] = {}
    for sampled_id, role, name in Assignment.objects.filter(
        sampled_case_id__in=[item["pk"] for item in items]
    ).values_list("sampled_case_id", "role", "auditor__name"):
        auditors.setdefault(sampled_id, {})[role] = name
    return [_row(item, auditors.get(item["pk"], {}), teams) for item in items]


def _row(item: dict, auditors: dict, teams: dict) -> dict:
    first, second = auditors.get("primary"), auditors.get("second")
    selected = item["status"] == SampledCase.Status.SELECTED
    if selected:
        status = "Selected"
    else:
        status = f"Replaced by {item['replaced_by__case__case_ref']}: {item['replacement_reason']}"
    return {
        "pk": item["pk"],
        "case_ref": item["case__case_ref"],
        "team": item["case__team__name"],
        "is_follow_up": item["is_follow_up"],
        "stratum": stratum_words(item["stratum"], teams),
        "rank": str(item["rank"]),  # as text: no number formatting per row in the template
        "selection_key": item["selection_key"],
        "key_start": item["selection_key"][:12],
        "status": status,
        "auditors": f"{first}; second: {second}" if first and second else first or "",
        # A case not yet assigned may be replaced by the next rank (a follow-up may not).
        "may_replace": not first and selected and not item["is_follow_up"],
    }


def render_sample(request, cycle: Cycle, *, status=200, **extra):
    frame = getattr(cycle, "frame", None)
    teams = team_names_by_label() if frame else {}
    context = {
        "cycle": cycle,
        "frame": frame,
        "replace_url": reverse("web:cycle-replace", args=[cycle.pk]),
        "strata": [
            {"stratum": name, "label": stratum_words(name, teams)}
            for name in sorted(frame.strata_sizes if frame else ())
        ],
        **(sample_list(request, cycle, teams) if frame else {}),
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
