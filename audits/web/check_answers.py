"""Check your answers (the GOV.UK pattern): every question of the audit with its saved
answer and a "Change" link back to its field, and the one place an audit is submitted.
What stops a submission is listed in an error summary linked to the fields."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse

from audits.core.errors import DomainError, StateConflict
from audits.core.statuses import AUDIT_EDITABLE
from audits.selectors import permissions, scoping
from audits.selectors.case_panel import case_panel
from audits.services import audits as audit_service
from audits.services import lifecycle
from audits.web import grading_form
from audits.web.access import AUDITORS, role_required
from audits.web.errors import summary
from audits.web.pages import page


def _render(request, audit, *, error=None, conflict=None, status=200):
    form_url = reverse("web:audit", args=[audit.pk])
    field_errors, error_summary = {}, None
    if error is not None:
        error_summary = summary(error, grading_form.labels(audit.template), default="answers")
        # The fields are on the grading form: each entry links to its field there.
        for item in error_summary["items"]:
            if item["href"] and item["href"] != "#answers":
                item["href"] = form_url + item["href"]
        field_errors = error_summary["fields"]
    cycle_closed = lifecycle.is_closed(audit.assignment.sampled_case.cycle)
    editable = audit.status in AUDIT_EDITABLE and not cycle_closed
    context = {
        "audit": audit,
        "case": audit.assignment.sampled_case.case,
        "case_panel": case_panel(request.user, audit),
        "form_url": form_url,
        "sections": grading_form.check_rows(audit, field_errors),
        "overall": grading_form.overall_rows(audit, field_errors),
        "editable": editable,
        "closed_message": lifecycle.CLOSED_MESSAGE if cycle_closed else "",
        "error_summary": error_summary,
        "conflict": conflict,
    }
    return page(
        request, "audits/check_answers.html", context, current="web:my-audits", status=status
    )


@role_required(*AUDITORS)
def check_answers(request, audit_id: int):
    """Only the audit's own auditor checks and submits it; anyone else gets a 404."""
    audit = get_object_or_404(scoping.audits_for(request.user), pk=audit_id)
    if not permissions.can_edit_audit(request.user, audit):
        raise Http404("No such page.")
    if request.method != "POST":  # its AccessLog row: audits.infra.access_log
        return _render(request, audit)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = None
    try:
        audit_service.audit_submit(audit=audit, actor=request.user, version=version)
    except StateConflict as conflict:
        audit.refresh_from_db()
        return _render(request, audit, conflict=conflict, status=409)
    except DomainError as error:
        return _render(request, audit, error=error, status=400)
    messages.success(request, f"Audit of case {audit.assignment.sampled_case.case} submitted.")
    return redirect("web:my-audits")
