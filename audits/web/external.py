"""The external reviewer's pages: their open grants, the cases of one grant with the
submitted audits, and one audit, read-only, in words. Only through an open grant of their
own (from its first day to the end of its last, not withdrawn): otherwise 404, as for a
page that does not exist. Every page that shows a case is logged with its grant
(``infra/access_log.py``)."""

from collections import defaultdict

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_GET

from audits.infra.access_log import note_external_access, note_ids
from audits.models import Audit
from audits.selectors import external_access as reads
from audits.web import grading_form, listing
from audits.web.pages import page

ROLE_WORDS = {"primary": "First audit", "second": "Second audit"}
STATUS_WORDS = {"submitted": "Submitted, waiting for moderation", "final": "Final"}


def _banner(access) -> dict:
    return {
        "cycle": access.cycle.name,
        "purpose": access.get_purpose_display(),
        "organisation": access.organisation,
        "scope": access.get_scope_display(),
        "ends_on": access.ends_on,
    }


@require_GET
@login_required
def external_home(request):
    grants = list(reads.open_grants_of(request.user))
    if not grants:
        raise Http404("No such page.")
    rows = [{"id": g.pk, **_banner(g), "cases": g.review_size} for g in grants]
    return page(request, "audits/external_home.html", {"grants": rows})


def _audit_rows(sampled_ids) -> dict[int, list[dict]]:
    audits = (
        Audit.objects.filter(
            assignment__sampled_case_id__in=sampled_ids, status__in=tuple(STATUS_WORDS)
        )
        .select_related("template", "assignment")
        .order_by("assignment__role", "pk")
    )
    found = defaultdict(list)
    for audit in audits:
        found[audit.assignment.sampled_case_id].append(
            {
                "id": audit.pk,
                "which": ROLE_WORDS.get(audit.assignment.role, "Audit"),
                "status": STATUS_WORDS[audit.status],
                "grade": audit.template.scale.get(audit.final_grade, "Not graded"),
            }
        )
    return found


@require_GET
@login_required
def external_review(request, access_id: int):
    access = get_object_or_404(reads.open_grants_of(request.user), pk=access_id)
    cases = reads.sampled_cases_of(access).select_related("case__team").order_by("case__case_ref")
    shown = listing.paginate(request, cases, noun=("case", "cases"))
    audits = _audit_rows([row.pk for row in shown["rows"]])
    shown["rows"] = [
        {
            "case_ref": row.case.case_ref,
            "team": row.case.team.name,
            "case_type": row.case.case_type,
            "audits": audits.get(row.pk, []),
        }
        for row in shown["rows"]
    ]
    note_ids(request, [row["case_ref"] for row in shown["rows"]])
    note_external_access(request, access.pk)
    context = {"banner": _banner(access), "cases": shown, "access": access}
    return page(request, "audits/external_review.html", context)


@require_GET
@login_required
def external_audit(request, audit_id: int):
    found = reads.audit_for(request.user, audit_id)
    if found is None:
        raise Http404("No such page.")
    audit, access = found
    note_external_access(request, access.pk)
    values = grading_form.values_from_audit(audit)
    case = audit.assignment.sampled_case.case
    context = {
        "banner": _banner(access),
        "audit": audit,
        "case": case,
        "which": ROLE_WORDS.get(audit.assignment.role, "Audit"),
        "status": STATUS_WORDS.get(audit.status, ""),
        "final_grade": audit.template.scale.get(audit.final_grade, "Not graded"),
        "sections": grading_form.sections(audit.template, values, {}),
        "overall": grading_form.overall_fields(audit.template, values, {}),
        "values": values,
    }
    trail = [(f"{access.cycle.name}: cases", reverse("web:external-review", args=[access.pk]))]
    return page(request, "audits/external_audit.html", context, trail=trail)
