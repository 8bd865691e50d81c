"""Auditors' pages: their audits, the grading form (autosaved by static/audits/autosave.js,
and a plain POST that works without JavaScript), and raising a safeguarding concern."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone

from audits.core import roles
from audits.core.errors import DomainError, StateConflict
from audits.core.statuses import AUDIT_COMPLETED, AUDIT_EDITABLE, CYCLE_CLOSED
from audits.models import Audit
from audits.selectors import double_audits, permissions, rework, scoping
from audits.selectors.case_panel import case_panel
from audits.services import audits as audit_service
from audits.services import escalations, lifecycle
from audits.web import grading_form, listing
from audits.web.access import ANY_ROLE, AUDITORS, role_required
from audits.web.errors import summary
from audits.web.pages import page
from audits.web.task_forms import DESCRIBE_CONCERN, ConcernForm, checked

FORM_ID = "grading-form"
CONCERN_WORDS = {
    "required": DESCRIBE_CONCERN,
    f"at most {escalations.TEXT_MAX} characters": (
        f"Your concern must be {escalations.TEXT_MAX:,} characters or fewer"
    ),
}


AUDIT_RELATED = (
    "template",
    "assignment__auditor",
    "assignment__sampled_case__case__team",
    "assignment__sampled_case__cycle",
)


def _audits(user):
    return scoping.audits_for(user).select_related(*AUDIT_RELATED)


def _section(request, rows, prefix: str, anchor: str) -> dict:
    return listing.paginate(
        request, rows, noun=("audit", "audits"), prefix=prefix, anchor=anchor, per_page=25
    )


# What My audits shows of an audit, read for the rows of the pages shown only.
LIST_RELATED = ("assignment__sampled_case__case__team", "assignment__sampled_case__cycle")
LIST_FIELDS = (
    "pk",
    "status",
    "due_date",
    "submitted_at",
    "withdrawn_reason",
    "assignment__role",
    "assignment__sampled_case__case__case_ref",
    "assignment__sampled_case__case__case_type",
    "assignment__sampled_case__case__team__name",
    "assignment__sampled_case__cycle__name",
)


def _sorted(keys: list[tuple], section: str) -> list[int]:
    """One section's audits in its order, as PostgreSQL orders them (an empty date last
    going up, first going down): (pk, status, cycle status, due date, submitted at)."""
    if section == "waiting":  # soonest due first
        keys = sorted(keys, key=lambda k: (k[3] is None, k[3] or 0, k[1], k[0]))
    elif section == "closed":
        keys = sorted(keys)
    elif section == "withdrawn":
        keys = sorted(keys, reverse=True)
    else:  # done: newest submitted first
        keys = sorted(keys, key=lambda k: (k[4] is None, k[4] or 0, k[0]), reverse=True)
    return [k[0] for k in keys]


def _section_of(status: str, cycle_status: str) -> str:
    if status in AUDIT_EDITABLE:
        return "closed" if cycle_status in CYCLE_CLOSED else "waiting"
    if status == Audit.Status.WITHDRAWN:
        return "withdrawn"
    return "done" if status in AUDIT_COMPLETED else ""


@role_required(*AUDITORS)
def my_audits(request):
    """The auditor's own audits in four lists. An auditor holds tens of audits, so the keys
    of all four come in one query (sorted and paged here), then the rows of the pages shown
    in one more (and why each returned one came back in a third): 3 queries, not 10."""
    q = listing.text_param(request, "q")
    mine = scoping.audits_for(request.user).filter(assignment__auditor__user=request.user)
    if q:
        mine = mine.filter(assignment__sampled_case__case__case_ref__icontains=q)
    keys = mine.order_by().values_list(
        "pk", "status", "assignment__sampled_case__cycle__status", "due_date", "submitted_at"
    )
    sections = {"waiting": [], "closed": [], "withdrawn": [], "done": []}
    for key in keys:
        section = _section_of(key[1], key[2])
        if section:
            sections[section].append(key)
    returned = {key[0] for key in sections["waiting"] if key[1] == Audit.Status.RETURNED}
    shown = {
        name: _section(request, _sorted(rows, name), f"{name}_", f"{name}-heading")
        for name, rows in sections.items()
    }
    wanted = [pk for listed in shown.values() for pk in listed["rows"]]
    rows = Audit.objects.filter(pk__in=wanted).select_related(*LIST_RELATED).only(*LIST_FIELDS)
    # Why each returned audit came back: one query, when one is shown.
    shown_returned = returned.intersection(shown["waiting"]["rows"])
    found = {
        audit.pk: audit
        for audit in (rework.with_last_return(rows) if shown_returned else rows if wanted else [])
    }
    for listed in shown.values():
        listed["rows"] = [found[pk] for pk in listed["rows"] if pk in found]
    context = {"q": q, **shown, "today": timezone.localdate()}
    return page(request, "audits/my_audits.html", context, current="web:my-audits")


def _is_author(audit: Audit, user) -> bool:
    return permissions.can_edit_audit(user, audit)


NOT_ALL_SAVED = (
    "Some answers were not saved. Your other answers were saved: change the answers "
    "marked below, then save again."
)


def _render(
    request, audit, values, *, error=None, conflict=None, version=None, status=200, partly=False
):
    field_errors, error_summary = {}, None
    if error is not None:
        error_summary = summary(error, grading_form.labels(audit.template), default=FORM_ID)
        field_errors = error_summary["fields"]
    cycle_closed = lifecycle.is_closed(audit.assignment.sampled_case.cycle)
    editable = (
        _is_author(audit, request.user) and audit.status in AUDIT_EDITABLE and not cycle_closed
    )
    sections = grading_form.sections(audit.template, values, field_errors)
    context = {
        "cycle_closed": cycle_closed,
        "closed_message": lifecycle.CLOSED_MESSAGE,
        "withdrawn_message": lifecycle.withdrawn_message(audit),
        "audit": audit,
        "case": audit.assignment.sampled_case.case,
        "case_panel": case_panel(request.user, audit),
        "cycle": audit.assignment.sampled_case.cycle,
        "editable": editable,
        "version": audit.version if version is None else version,
        "sections": sections,
        "answered": sum(section["answered"] for section in sections),
        "total": sum(section["total"] for section in sections),
        "overall": grading_form.overall_fields(audit.template, values, field_errors),
        "values": values,
        "error_summary": error_summary,
        "partly_saved": partly,
        "conflict": conflict,
        "may_raise_concern": permissions.can_raise_concern(request.user, audit),
        "rework_rounds": rework.rework_rounds(audit),
        "form_id": FORM_ID,
        "pair": _pair(request.user, audit),
    }
    return page(request, "audits/audit.html", context, current="web:my-audits", status=status)


def _pair(user, audit: Audit) -> dict | None:
    """The double audit side by side, once both halves are submitted (blind until then)."""
    found = double_audits.pair_of(user, audit)
    return found and double_audits.side_by_side(**found)


def _version(raw):
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


@role_required(*ANY_ROLE)
def audit_page(request, audit_id: int):
    """The grading form. A POST saves every valid answer (the same service as the
    autosave) and shows again, marked where they are, the answers it could not save; then
    "Continue" goes on to check the answers before submitting."""
    audit = get_object_or_404(_audits(request.user), pk=audit_id)
    if request.method != "POST":  # its AccessLog row: audits.infra.access_log
        return _render(request, audit, grading_form.values_from_audit(audit))
    if not _is_author(audit, request.user):
        raise Http404("No such page.")
    values = grading_form.values_from_post(audit.template, request.POST)
    changes = grading_form.changes_from_values(audit.template, values)
    # A date not whole or not real is not saved; the page says what is wrong with it.
    problems = grading_form.date_problems(audit.template, values)
    posted_version = _version(request.POST.get("version"))
    try:
        result = audit_service.audit_autosave(
            audit=audit, actor=request.user, version=posted_version, changes=changes
        )
    except StateConflict as conflict:
        return _render(
            request, audit, values, conflict=conflict, version=posted_version, status=409
        )
    except DomainError as error:
        fields = grading_form.in_form_order(audit.template, {**problems, **error.fields})
        return _render(
            request, audit, values, error=DomainError(error.message, fields=fields), status=400
        )
    if result.invalid or problems:
        fields = grading_form.in_form_order(audit.template, {**problems, **result.invalid})
        error = DomainError(NOT_ALL_SAVED, fields=fields)
        return _render(request, result.audit, values, error=error, status=400, partly=True)
    if request.POST.get("action") == "check":
        return redirect("web:check-answers", audit_id=audit.pk)
    messages.success(request, f"Draft saved at {timezone.localtime():%H:%M:%S}.")
    return redirect("web:audit", audit_id=audit.pk)


@role_required(roles.AUDITOR, roles.MANAGER)
def raise_concern(request, audit_id: int):
    audit = get_object_or_404(_audits(request.user), pk=audit_id)
    if not permissions.can_raise_concern(request.user, audit):
        raise Http404("No such page.")
    context = {"audit": audit, "case": audit.assignment.sampled_case.case, "concern": ""}
    status = 200
    if request.method == "POST":
        concern = request.POST.get("concern", "")
        try:
            data = checked(ConcernForm(request.POST), "Describe the concern.")
            escalations.escalation_raise(audit=audit, actor=request.user, concern=data["concern"])
        except DomainError as error:
            context["error_summary"] = summary(
                error,
                {"concern": "Your concern"},
                words={"concern": CONCERN_WORDS},
            )
            context["concern"], status = concern, 400
        else:
            messages.success(
                request,
                "Your safeguarding concern has been sent to the case's team manager and the QA "
                "lead. They must acknowledge it within "
                f"{audit.assignment.sampled_case.cycle.escalation_hours} hours.",
            )
            return redirect(reverse("web:audit", args=[audit.pk]))
    return page(request, "audits/concern.html", context, current="web:my-audits", status=status)
