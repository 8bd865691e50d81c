"""The practitioner's pages: the final findings of audits of their own cases and their
response; and the moderator's list of the responses."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect

from audits.core import roles
from audits.core.errors import DomainError
from audits.models import PractitionerResponse, Staff
from audits.selectors import findings, scoping
from audits.selectors import responses as response_reads
from audits.services import responses as response_service
from audits.web import listing
from audits.web.access import role_required
from audits.web.errors import summary
from audits.web.forms import CHOOSE_VERDICT, ResponseForm
from audits.web.pages import page

PRACTITIONERS = (roles.PRACTITIONER,)
RESPONSE_READERS = (roles.MANAGER, roles.INTERNAL_AUDITOR, roles.ADMIN)
LABELS = {"verdict": "Your response", "comment": "Comments or reason"}


def _staff(user):
    return Staff.objects.filter(user=user).first()


def _findings(user):
    return (
        findings.findings_for(user)
        .select_related("template", "assignment__sampled_case__case__team")
        .order_by("-submitted_at", "pk")
    )


@role_required(*PRACTITIONERS)
def my_findings(request):
    # The keys of all their findings in one query (the audits of their own cases: tens),
    # paged here, then what the page shows of its rows: 5 queries, not 8, and the scope's
    # filter read once, not three times.
    keys = list(_findings(request.user).values_list("pk", flat=True))
    shown = listing.paginate(request, keys, noun=("audit", "audits"), per_page=25)
    shown["rows"] = response_reads.finding_rows(shown["rows"], _staff(request.user))
    return page(request, "audits/my_findings.html", {"findings": shown}, current="web:my-findings")


@role_required(*PRACTITIONERS)
def finding(request, audit_id: int):
    audit = get_object_or_404(_findings(request.user), pk=audit_id)
    error_summary, status, posted = None, 200, {}
    if request.method == "POST":
        posted = request.POST
        form = ResponseForm(posted)
        try:
            if not form.is_valid():
                fields = {name: list(texts) for name, texts in form.errors.items()}
                raise DomainError(CHOOSE_VERDICT, fields=fields)
            response_service.response_record(actor=request.user, audit=audit, **form.cleaned_data)
        except DomainError as error:
            error_summary = summary(error, LABELS, default="response-form")
            status = error.status_code
        else:
            messages.success(request, f"Your response to audit {audit.pk} is recorded.")
            return redirect("web:finding", audit.pk)
    context = {
        "finding": response_reads.finding_of(audit, _staff(request.user)),
        "verdicts": PractitionerResponse.Verdict.choices,
        "form": posted,
        "error_summary": error_summary,
    }
    return page(request, "audits/finding.html", context, current="web:my-findings", status=status)


@role_required(*RESPONSE_READERS)
def response_list(request):
    rows = scoping.practitioner_responses_for(request.user).select_related(
        "staff", "audit__assignment__sampled_case__case__team"
    )
    verdict = request.GET.get("verdict", "")
    if verdict in PractitionerResponse.Verdict.values:
        rows = rows.filter(verdict=verdict)
    else:
        verdict = ""
    audit = request.GET.get("audit", "")
    if audit.isascii() and audit.isdigit() and len(audit) < 12:
        rows = rows.filter(audit_id=int(audit))
    q = listing.text_param(request, "q")
    if q:
        rows = rows.filter(audit__assignment__sampled_case__case__case_ref__icontains=q)
    rows = rows.order_by("-at", "-pk")
    context = {
        "responses": listing.paginate(request, rows, noun=("response", "responses")),
        "q": q,
        "verdict": verdict,
        "verdicts": PractitionerResponse.Verdict.choices,
    }
    return page(request, "audits/responses.html", context, current="web:moderation")
