"""Evidence pages: add a file to an answer of an audit or to an action, download one
(logged, checked), delete one's own while the audit or action is open.

Uploads post here from the evidence panel of the audit page and of the action page; a
refused upload shows this module's own page with the error and the form again (GOV.UK
file-upload pattern), so the grading form never loses what the auditor typed.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from audits.core import evidence as rules
from audits.core import roles
from audits.core.errors import DomainError, StateConflict
from audits.core.grading import questions
from audits.infra.downloads import attachment_response
from audits.selectors import evidence as selectors
from audits.selectors import scoping
from audits.services import evidence as service
from audits.web.access import role_required
from audits.web.errors import summary
from audits.web.task_forms import EvidenceForm, checked

EVERY_ROLE = tuple(roles.ALL_ROLES)


LABELS = {"file": "The file", "question_key": "The question"}


def _summary(error: DomainError) -> dict:
    return summary(error, LABELS, default="file")


def _attach(request, context: dict, **target):
    """The file (and question) read by the form, then attached by the service; a person
    who may not attach hears that from the service, whatever they sent."""
    questions = context.get("questions") if "audit" in target else None
    form = EvidenceForm(request.POST, request.FILES, questions=questions)
    if context["may_attach"]:
        data = checked(form, "The file was not added.")
    else:
        data = {"file": request.FILES.get("file"), "question_key": ""}
    if "audit" in target:
        target["question_key"] = data["question_key"]
    return service.evidence_attach(actor=request.user, upload=data["file"], **target)


def _limits() -> dict:
    from django.conf import settings

    return {
        "max_size": rules.size_words(settings.EVIDENCE_MAX_BYTES),
        "quota_size": rules.size_words(settings.EVIDENCE_QUOTA_BYTES),
        "quota_files": settings.EVIDENCE_QUOTA_FILES,
        "allowed": rules.ALLOWED_WORDS,
    }


def _page(request, *, context: dict, error: DomainError | None = None, status: int = 200):
    texts = {q["key"]: q["text"] for q in context.get("questions", [])}
    files = list(context["files"])
    for found in files:
        found.question_text = texts.get(found.question_key, "")
        found.may_delete = selectors.can_delete(request.user, found)
    context["files"] = files
    context = {**context, **_limits(), "error_summary": _summary(error) if error else None}
    return render(request, "audits/evidence.html", context, status=status)


def _audit_context(request, audit) -> dict:
    return {
        "audit": audit,
        "case": audit.assignment.sampled_case.case,
        "files": selectors.evidence_of_audit(request.user, audit),
        "questions": questions(audit.template.definition),
        "may_attach": selectors.can_attach_to_audit(request.user, audit),
        "chosen": request.POST.get("question_key", request.GET.get("question", "")),
        "back": reverse("web:audit", args=[audit.pk]),
    }


def _action_context(request, action) -> dict:
    return {
        "action": action,
        "case": action.case,
        "files": selectors.evidence_of_action(request.user, action),
        "may_attach": selectors.can_attach_to_action(request.user, action),
        "back": reverse("web:action-evidence", args=[action.pk]),
    }


@role_required(*EVERY_ROLE)
def audit_evidence(request, audit_id: int):
    """GET: the audit's evidence and the form to add a file; POST: add it."""
    audit = get_object_or_404(scoping.audits_for(request.user), pk=audit_id)
    context = _audit_context(request, audit)
    if request.method != "POST":
        return _page(request, context=context)
    try:
        evidence = _attach(request, context, audit=audit)
    except DomainError as error:
        return _page(request, context=context, error=error, status=error.status_code)
    messages.success(request, f"{evidence.display_name} added as evidence.")
    return redirect(f"{context['back']}#evidence")


@role_required(*EVERY_ROLE)
def action_evidence(request, action_id: int):
    """GET: the action's evidence and the form to add a file; POST: add it."""
    action = get_object_or_404(scoping.actions_for(request.user), pk=action_id)
    context = _action_context(request, action)
    if request.method != "POST":
        return _page(request, context=context)
    try:
        evidence = _attach(request, context, action=action)
    except DomainError as error:
        return _page(request, context=context, error=error, status=error.status_code)
    messages.success(request, f"{evidence.display_name} added as evidence.")
    return redirect(context["back"])


@require_safe
@role_required(*EVERY_ROLE)
def evidence_download(request, pk: int):
    evidence = get_object_or_404(selectors.evidence_for(request.user), pk=pk)
    try:
        data = service.evidence_read(evidence=evidence)
    except StateConflict as problem:
        context = {"problem": str(problem), "evidence": evidence}
        return render(request, "audits/evidence_unreadable.html", context, status=409)
    return attachment_response(
        data, content_type=evidence.content_type, filename=evidence.display_name
    )


@require_POST
@role_required(*EVERY_ROLE)
def evidence_delete(request, pk: int):
    evidence = get_object_or_404(selectors.evidence_for(request.user), pk=pk)
    if evidence.audit_id:
        context = _audit_context(request, evidence.audit)
        back = reverse("web:audit-evidence", args=[evidence.audit_id])
    else:
        context = _action_context(request, evidence.action)
        back = reverse("web:action-evidence", args=[evidence.action_id])
    try:
        service.evidence_delete(actor=request.user, evidence=evidence)
    except DomainError as error:
        return _page(request, context=context, error=error, status=error.status_code)
    messages.success(request, f"{evidence.display_name} deleted.")
    return redirect(back)
