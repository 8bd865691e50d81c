"""Agreeing a new action on an audit: a manager's form, opened from the actions board or
from the audit being moderated. A Django form reads the terms (the owners come from the
same selector as the API's), and the actions service records it."""

from html import escape

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.safestring import mark_safe

from audits.core import roles
from audits.core.errors import DomainError
from audits.models import Action, Audit, Case
from audits.selectors import permissions, scoping
from audits.services import actions as action_service
from audits.web.access import role_required
from audits.web.errors import summary
from audits.web.forms import CHOOSE_AUDIT, ActionForm
from audits.web.pages import page

LABELS = {
    "audit": "Audit",
    "owner": "Owner",
    "description": "What needs to be done",
    "priority": "Priority",
    "due_date": "Due date",
}
SUGGESTED_CASES = 500
ENTER_CASE = "Enter the reference of a case with an audit under way, submitted or final"


def _audits(user):
    """The audits of the cycles the person runs that an action can be agreed on, latest
    first."""
    return (
        scoping.audits_managed_by(user)
        .filter(status__in=action_service.ACTIONABLE_AUDIT_STATUSES)
        .order_by("-submitted_at", "-pk")
    )


def case_suggestions(user) -> list[str]:
    """The case references the box suggests as you type: those of the latest
    ``SUGGESTED_CASES`` audits an action can follow from, read as plain values in one query.
    The form once listed those audits as a 500-option picker (60 kB, ~6x the template floor
    in bench/pages.py); a reference box with the browser's suggestions does the same work."""
    # In two steps: the latest audits' cases first, then only their references (joining the
    # cases of every audit, then sorting, looked up 1,104 cases to keep 500 on the pages
    # bench's council).
    case_ids = list(
        _audits(user).values_list("assignment__sampled_case__case_id", flat=True)[:SUGGESTED_CASES]
    )
    refs = dict(Case.objects.filter(pk__in=case_ids).values_list("pk", "case_ref"))
    return list(dict.fromkeys(refs[pk] for pk in case_ids if pk in refs))


def audit_options(user, case_ref: str, chosen: str) -> list[dict]:
    """The audits of the case typed that an action can follow from, labelled (a case with
    more than one, as a first and a second audit or audits in two cycles, asks which)."""
    statuses = dict(Audit.Status.choices)
    rows = (
        _audits(user)
        .filter(assignment__sampled_case__case__case_ref__iexact=case_ref[:40])
        .values_list(
            "pk",
            "status",
            "assignment__role",
            "assignment__auditor__name",
            "assignment__sampled_case__case__case_ref",
            "assignment__sampled_case__cycle__name",
        )[:20]
    )
    roles = {"primary": "first audit", "second": "second audit"}
    return [
        {
            "value": str(pk),
            "label": f"Case {ref}, {cycle}: {roles.get(role, role)} by {auditor} "
            f"({statuses.get(status, status).lower()})",
            "selected": str(pk) == chosen,
        }
        for pk, status, role, auditor, ref, cycle in rows
    ]


def _audit_from_case(user, data) -> tuple[list[dict], str]:
    """Fill in ``audit`` from the case reference typed when the case has exactly one audit
    an action can follow from. Otherwise the audits to choose from (the page asks which)
    and what to say by the box."""
    ref = (data.get("case_ref") or "").strip()
    if not ref:  # or chosen by its id: from the moderation page's link, or by a script
        return [], "" if (data.get("audit") or "").strip() else ENTER_CASE
    options = audit_options(user, ref, (data.get("audit") or "").strip())
    if any(option["selected"] for option in options):
        # One of the case's audits, chosen on the page that asked which (asked again, with
        # it chosen, if another term is wrong).
        return (options if len(options) > 1 else []), ""
    data["audit"] = options[0]["value"] if len(options) == 1 else ""
    if not options:
        return [], ENTER_CASE
    if len(options) > 1:
        return options, (
            f"Case {ref} has {len(options)} audits: choose the one the action follows from"
        )
    return [], ""


def owner_groups(chosen: str) -> list[dict]:
    """Exactly the owners the form accepts, grouped by team, each option's markup made
    here from plain values in one query (a couple of hundred people: no model and no
    template work per option)."""
    rows = (
        permissions.action_owners()
        .order_by("team__name", "name", "pk")
        .values_list("team__name", "staff_ref", "name")
    )
    groups: dict[str, list] = {}
    for team, ref, name in rows:
        groups.setdefault(team or "No team", []).append((ref, name, team or "no team"))
    return [
        {
            "team": team,
            # html.escape, as Django's escape does, without its per-call wrappers.
            "options": mark_safe(  # noqa: S308 - every value is escaped here
                "".join(
                    f'<option value="{escape(ref)}"{" selected" if ref == chosen else ""}>'
                    f"{escape(name)}, {escape(team_words)} ({escape(ref)})</option>"
                    for ref, name, team_words in people
                )
            ),
        }
        for team, people in groups.items()
    ]


def action_raise(*, request, data: dict) -> Action:
    """The form reads the terms (audits in the person's scope, active owners); the actions
    service applies its rules to the audit."""
    options, problem = _audit_from_case(request.user, data)
    form = ActionForm(data, user=request.user)
    if problem or not form.is_valid():
        # Every mistake at once: the case typed (in the audit's place: an empty audit is an
        # error of the form's), and the other terms as the form reads them.
        fields = {name: list(texts) for name, texts in form.errors.items()}
        if problem:
            fields["audit"] = [problem]
        raise DomainError("The action is not valid.", fields=fields, options=options)
    terms = dict(form.cleaned_data)
    audit = terms.pop("audit")
    if not permissions.can_raise_action(request.user, audit):
        raise DomainError("The action is not valid.", fields={"audit": [CHOOSE_AUDIT]})
    return action_service.action_raise(actor=request.user, audit=audit, fields=terms)


@role_required(roles.MANAGER)
def action_new(request):
    fixed = None
    if request.GET.get("audit"):
        fixed = get_object_or_404(
            scoping.audits_managed_by(request.user).select_related(
                "assignment__sampled_case__case__worker"
            ),
            pk=_int(request.GET["audit"]),
        )
    form = {"priority": Action.Priority.MEDIUM, "audit": str(fixed.pk) if fixed else ""}
    worker = fixed.assignment.sampled_case.case.worker if fixed else None
    if worker is not None:
        form["owner"] = worker.staff_ref  # the case's worker unless the manager changes it
    error_summary, status, choices = None, 200, []
    if request.method == "POST":
        data = request.POST.copy()
        if fixed is not None:
            data["audit"] = str(fixed.pk)
        form = {name: data.get(name, "").strip() for name in [*LABELS, "case_ref"]}
        try:
            action = action_raise(request=request, data=data)
        except DomainError as error:
            error_summary = summary(error, LABELS, default="action-form")
            status = error.status_code
            choices = error.extra.get("options", [])
        else:
            messages.success(
                request,
                f"Action {action.pk} agreed for case {action.case.case_ref}: "
                f"{action.owner.name}, due {action.due_date:%d %B %Y}.",
            )
            return redirect("web:actions")
    context = {
        "form": form,
        "error_summary": error_summary,
        "posted": request.POST if request.method == "POST" else None,
        "fixed": fixed,
        "case_refs": [] if fixed else case_suggestions(request.user),
        "audit_choices": choices,
        "owner_groups": owner_groups(str(form.get("owner") or "")),
        "priorities": Action.Priority.choices,
    }
    return page(request, "audits/action_new.html", context, current="web:actions", status=status)


def _int(raw):
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None
