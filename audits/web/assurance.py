"""Internal audit's pages: assurance summaries by period, each report with the conditions
behind its opinion, the sampling record of a cycle, and a re-check of its sample."""

from django.http import Http404
from django.shortcuts import get_object_or_404

from audits.core import display
from audits.core.errors import DomainError
from audits.models import Assignment, SampledCase
from audits.selectors import sample_record, scoping
from audits.services import reports
from audits.web import listing
from audits.web.access import INTERNAL_AUDIT, role_required
from audits.web.errors import summary
from audits.web.pages import page
from audits.web.reports import file_links
from audits.web.task_forms import PeriodFilterForm

PERIOD_LABELS = {
    "period_from": "Periods ending on or after",
    "period_to": "Periods starting on or before",
}


@role_required(*INTERNAL_AUDIT)
def assurance_list(request):
    periods = PeriodFilterForm(request.GET)
    chosen = periods.cleaned_data if periods.is_valid() else {}
    period_from, period_to = chosen.get("period_from"), chosen.get("period_to")
    error_summary = None
    if periods.errors:
        fields = {name: list(texts) for name, texts in periods.errors.items()}
        error_summary = summary(
            DomainError("Every period is shown until the dates are corrected.", fields=fields),
            PERIOD_LABELS,
            default="period_from",
        )
    rows = scoping.latest_reports_for(request.user).defer("cycle__assignment_summary")
    if period_from:
        rows = rows.filter(cycle__period_end__gte=period_from)
    if period_to:
        rows = rows.filter(cycle__period_start__lte=period_to)
    q = listing.text_param(request, "q")
    if q:
        rows = rows.filter(cycle__name__icontains=q)
    found = listing.paginate(request, rows, noun=("report", "reports"), per_page=25)
    found["rows"] = [
        {
            "report": r,
            "summary": r.figures["summary"],
            "opinion": r.figures["opinion"],
            "headline": display.headline(r.figures),
        }
        for r in found["rows"]
    ]
    context = {
        "summaries": found,
        "q": q,
        "typed": request.GET,
        "error_summary": error_summary,
    }
    return page(request, "audits/assurance.html", context, current="web:assurance")


@role_required(*INTERNAL_AUDIT)
def assurance_report(request, report_id: int):
    report = get_object_or_404(
        scoping.reports_for(request.user).select_related("cycle__frame", "job"), pk=report_id
    )
    versions = scoping.reports_for(request.user).filter(cycle=report.cycle).defer("figures")
    context = {
        "report": report,
        "cycle": report.cycle,
        "figures": report.figures,
        "opinion": report.figures["opinion"],
        "headline": display.headline(report.figures),
        "links": file_links(report.job_id),
        "versions": listing.paginate(
            request,
            versions.order_by("-version"),
            noun=("version", "versions"),
            prefix="versions_",
            anchor="versions",
            per_page=20,
        ),
        "changed": reports.report_data_changed(report) if request.GET.get("check") else None,
    }
    return page(request, "audits/assurance_report.html", context, current="web:assurance")


def _drawn_cycle(request, cycle_id: int):
    cycle = get_object_or_404(scoping.cycles_for(request.user).select_related("frame"), pk=cycle_id)
    if getattr(cycle, "frame", None) is None:
        raise Http404("This cycle has no sample yet.")
    return cycle


@role_required(*INTERNAL_AUDIT)
def sampling_record(request, cycle_id: int):
    cycle = _drawn_cycle(request, cycle_id)
    sampled = SampledCase.objects.filter(cycle=cycle)
    q = listing.text_param(request, "q")
    if q:
        sampled = sampled.filter(case__case_ref__icontains=q)
    sampled = listing.paginate(
        request,
        sampled.select_related("case__team", "replaced_by__case").order_by("stratum", "rank", "pk"),
        noun=("case", "cases"),
        anchor="sample",
    )
    overrides = (
        Assignment.objects.filter(sampled_case__cycle=cycle)
        .exclude(override_reason="")
        .select_related("sampled_case__case", "auditor")
    )
    context = {
        "cycle": cycle,
        "frame": cycle.frame,
        "sampled": sampled,
        "q": q,
        "overrides": overrides,
        "unassignable": cycle.assignment_summary.get("unassignable", []),
        "rules": sorted(cycle.rules.items()),
        "overlapping": sample_record.overlapping_draws(cycle=cycle),
    }
    return page(request, "audits/sampling_record.html", context, current="web:assurance")


@role_required(*INTERNAL_AUDIT)
def recheck(request, cycle_id: int):
    cycle = _drawn_cycle(request, cycle_id)
    result = sample_record.sample_verify(cycle=cycle)
    context = {"cycle": cycle, "frame": cycle.frame, "result": result}
    return page(request, "audits/recheck.html", context, current="web:assurance")
