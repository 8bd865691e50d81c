"""The audit programme's pages: the calendar of a year (every manager, internal audit and
administrators), adding an audit to it, and moving or skipping one date with a reason (an
administrator or the QA lead; anyone else gets the site's 404)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone

from audits.core import programme as core
from audits.core.errors import DomainError, StateConflict
from audits.models import Cycle, Team
from audits.selectors import programme as reads
from audits.services import programme as service
from audits.web.access import role_required
from audits.web.errors import summary
from audits.web.pages import page
from audits.web.programme_forms import (
    FREQUENCY_WORDS,
    MONTHS,
    ProgrammeChangeForm,
    ProgrammeEntryForm,
)

ENTRY_LABELS = {
    "kind": "Kind of audit",
    "name": "Name",
    "year": "Year",
    "frequency": "How often",
    "month": "Month",
    "day": "Day of the month",
    "theme": "Theme",
    "case_types": "Case types",
    "teams": "Teams",
    "stratify_by": "Strata",
    "n": "Sample size",
}
CHANGE_LABELS = {
    "change": "Move or skip",
    "scheduled_on": "Date",
    "to": "New date",
    "reason": "Reason",
}


def _writer_only(request) -> None:
    if not reads.may_write(request.user):
        raise Http404("No such page.")


def _year(request) -> int:
    given = request.GET.get("year", "")
    if given.isdigit() and core.FIRST_YEAR <= int(given) <= core.LAST_YEAR:
        return int(given)
    return timezone.localdate().year


@role_required(*reads.READ_ROLES)
def programme_calendar(request):
    year = _year(request)
    rows = reads.calendar(request.user, year=year, today=timezone.localdate())
    months = {}
    for row in rows:
        months.setdefault(row["makes_on"].replace(day=1), []).append(row)
    context = {
        "year": year,
        "months": sorted(months.items()),
        "may_write": reads.may_write(request.user),
    }
    return page(request, "audits/programme.html", context, current="web:programme")


def _entry_create(*, actor, post):
    form = ProgrammeEntryForm(post)
    if not form.is_valid():
        raise DomainError(
            "The audit cannot be added to the programme.",
            fields={name: list(texts) for name, texts in form.errors.items()},
        )
    try:
        return service.programme_entry_create(actor=actor, fields=form.entry_fields())
    except DomainError as error:
        fields = {k: v for k, v in error.fields.items() if k != "plan"}
        fields |= error.fields.get("plan", {})
        raise DomainError(error.message, fields=fields) from None


@role_required(*reads.WRITE_ROLES)
def programme_entry_new(request):
    _writer_only(request)
    form = {"kind": "", "year": str(_year(request)), "frequency": "monthly", "day": "1", "n": "20"}
    form |= {"case_types": [], "teams": [], "stratify_by": "none"}
    error_summary, status = None, 200
    if request.method == "POST":
        post = request.POST
        form = {key: post.get(key, "").strip() for key in ENTRY_LABELS}
        form["case_types"], form["teams"] = post.getlist("case_types"), post.getlist("teams")
        try:
            entry = _entry_create(actor=request.user, post=post)
        except DomainError as error:
            error_summary, status = summary(error, ENTRY_LABELS, default="new-entry"), 400
        else:
            messages.success(request, f"{entry.name} added to the {entry.year} programme.")
            return redirect(reverse("web:programme") + f"?year={entry.year}")
    context = {
        "form": form,
        "error_summary": error_summary,
        "months": MONTHS,
        "stratify_choices": Cycle.Stratify.choices,
        "case_type_choices": ProgrammeEntryForm.base_fields["case_types"].choices,
        "frequency_choices": FREQUENCY_WORDS.items(),
        "team_choices": Team.objects.order_by("name"),
    }
    return page(
        request, "audits/programme_new.html", context, current="web:programme", status=status
    )


def _change(request, entry, dates) -> None:
    form = ProgrammeChangeForm(request.POST, dates=dates)
    if not form.is_valid():
        raise DomainError(
            "The date cannot be changed.",
            fields={name: list(texts) for name, texts in form.errors.items()},
        )
    data = form.cleaned_data
    if data["change"] == "skip":
        service.programme_occurrence_skip(
            actor=request.user,
            entry=entry,
            scheduled_on=data["scheduled_on"],
            reason=data["reason"],
        )
        return
    service.programme_occurrence_move(
        actor=request.user,
        entry=entry,
        scheduled_on=data["scheduled_on"],
        to=data["to"],
        reason=data["reason"],
    )


@role_required(*reads.WRITE_ROLES)
def programme_entry_change(request, pk: int):
    _writer_only(request)
    entry = get_object_or_404(reads.entries_for(request.user), pk=pk)
    rows = [
        row for row in reads.occurrence_rows(entry, today=timezone.localdate()) if row["changeable"]
    ]
    form = {"scheduled_on": request.GET.get("on", ""), "change": "", "reason": ""}
    error_summary, status = None, 200
    if request.method == "POST":
        form = {key: request.POST.get(key, "").strip() for key in CHANGE_LABELS}
        try:
            _change(request, entry, [row["scheduled_on"] for row in rows])
        except StateConflict as error:
            messages.error(request, error.message)
            return redirect(reverse("web:programme") + f"?year={entry.year}")
        except DomainError as error:
            error_summary, status = summary(error, CHANGE_LABELS, default="change-form"), 400
        else:
            done = "skipped" if form["change"] == "skip" else "moved"
            messages.success(request, f"{entry.name}: the date is {done}. The reason is recorded.")
            return redirect(reverse("web:programme") + f"?year={entry.year}")
    context = {
        "entry": entry,
        "rows": rows,
        "form": form,
        "posted": request.POST if request.method == "POST" else None,
        "error_summary": error_summary,
    }
    return page(
        request, "audits/programme_change.html", context, current="web:programme", status=status
    )
