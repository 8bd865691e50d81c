"""Report pages: request a report on a cycle, watch its job's progress (polled by
static/audits/job-progress.js), download the files, and see earlier versions."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse

from audits.core.errors import DomainError
from audits.selectors import permissions, scoping
from audits.services import reports
from audits.web import listing
from audits.web.access import REPORT_READERS, role_required
from audits.web.pages import page


def file_links(job_id: int) -> list[dict]:
    return [
        {"kind": kind, "label": label, "url": reverse(name, args=[job_id])}
        for kind, label, name in (
            ("pdf", "Report (PDF)", "api:report-pdf"),
            ("json", "Every figure (JSON)", "api:report-data-json"),
            ("csv", "One row per audit (CSV)", "api:report-audits-csv"),
        )
    ]


def _jobs(user):
    return (
        scoping.report_jobs_for(user)
        .select_related("report", "cycle")
        .defer("report__figures", "cycle__assignment_summary")
    )


@role_required(*REPORT_READERS)
def cycle_reports(request, cycle_id: int):
    # The frame read with the cycle (whether it is drawn), without its reserve: tens of
    # kilobytes of JSON on a 2,000-case cycle.
    cycles = scoping.cycles_for(request.user).select_related("frame")
    cycle = get_object_or_404(
        cycles.defer(*listing.CYCLE_ROW_DEFERRED, "frame__reserve"), pk=cycle_id
    )
    may_request = permissions.can_request_report(request.user, cycle)
    if request.method == "POST":
        if not may_request:
            return redirect("web:cycle-reports", cycle_id=cycle.pk)
        try:
            job = reports.report_request(cycle=cycle, actor=request.user)
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("web:cycle-reports", cycle_id=cycle.pk)
        return redirect("web:report-job", job_id=job.pk)
    jobs = listing.paginate(
        request,
        _jobs(request.user).filter(cycle=cycle).order_by("-requested_at", "-pk"),
        noun=("report request", "report requests"),
        per_page=20,
    )
    for job in jobs["rows"]:
        job.links = file_links(job.pk) if hasattr(job, "report") else []
    context = {
        "cycle": cycle,
        "jobs": jobs,
        "may_request": may_request,
        "drawn": hasattr(cycle, "frame"),
    }
    current = "web:cycles" if may_request else "web:assurance"
    trail = [(cycle.name, reverse("web:cycle", args=[cycle.pk]))] if may_request else []
    return page(request, "audits/cycle_reports.html", context, current=current, trail=trail)


@role_required(*REPORT_READERS)
def report_job(request, job_id: int):
    job = get_object_or_404(_jobs(request.user), pk=job_id)
    report = getattr(job, "report", None)
    context = {
        "job": job,
        "report": report,
        "links": file_links(job.pk),
        "status_url": reverse("api:report-detail", args=[job.pk]),
    }
    trail = [("Reports", reverse("web:cycle-reports", args=[job.cycle_id]))]
    return page(request, "audits/report_job.html", context, current="web:cycles", trail=trail)
