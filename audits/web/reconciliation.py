"""Reconciling a double audit: the two blind audits side by side, and the form where an
independent moderator records the agreed grades and the reason."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect

from audits.core.errors import DomainError
from audits.selectors import double_audits, scoping
from audits.services import reconciliation as reconciliation_service
from audits.web.access import MANAGERS, role_required
from audits.web.errors import summary
from audits.web.pages import page
from audits.web.task_forms import ReconcileForm, checked

FORM_ID = "reconcile-form"
LABELS = {"overall_grade": "Agreed overall grade", "reason": "Reason"}
WORDS = {
    "overall_grade": {"choose the agreed overall grade": "Choose the agreed overall grade"},
    "reason": {"say why these are the agreed grades": "Say why these are the agreed grades"},
}


def _field(domain: str) -> str:
    return "domain-" + "".join(c if c.isalnum() else "-" for c in domain.lower())


def _posted(post, rows) -> tuple[str, dict]:
    """What was chosen, as typed, to show again."""
    domains = {row["key"]: post.get(_field(row["key"]), "") for row in rows[1:]}
    return post.get("overall_grade", ""), domains


def _agree(request, reconciliation, pair) -> None:
    domains = {_field(row["key"]): (row["key"], row["label"]) for row in pair["rows"][1:]}
    form = ReconcileForm(request.POST, scale=pair["scale"], domains=domains)
    data = checked(form, "The agreed grades cannot be recorded yet.")
    overall, grades = form.grades()
    reconciliation_service.reconciliation_agree(
        reconciliation=reconciliation,
        actor=request.user,
        overall_grade=overall,
        domain_grades={k: v for k, v in grades.items() if v},
        reason=data["reason"],
    )


@role_required(*MANAGERS)
def reconcile(request, reconciliation_id: int):
    reconciliation = get_object_or_404(
        scoping.reconciliations_managed_by(request.user).select_related(
            "first_audit__template",
            "first_audit__assignment__auditor",
            "second_audit__template",
            "second_audit__assignment__auditor",
            "sampled_case__case__team",
            "sampled_case__cycle",
            "agreed_by",
        ),
        pk=reconciliation_id,
    )
    first, second = reconciliation.first_audit, reconciliation.second_audit
    pair = double_audits.side_by_side(first, second, reconciliation)
    error_summary, status = None, 200
    chosen = {row["key"]: "" if row["apart"] else str(row["first"] or "") for row in pair["rows"]}
    reason = ""
    if request.method == "POST":
        overall, domains = _posted(request.POST, pair["rows"])
        reason = request.POST.get("reason", "")
        chosen = {"overall": overall, **domains}
        try:
            _agree(request, reconciliation, pair)
        except DomainError as error:
            # The service names a domain "domain_grades.<domain>"; the page's field differs.
            named = {
                (
                    _field(k.removeprefix("domain_grades."))
                    if k.startswith("domain_grades.")
                    else k
                ): v
                for k, v in error.fields.items()
            }
            labels = {**LABELS, **{_field(r["key"]): r["label"] for r in pair["rows"][1:]}}
            renamed = type(error)(error.message, fields=named)
            words = WORDS | {
                _field(r["key"]): {
                    "choose the agreed grade for this area of practice": (
                        f"Choose the agreed grade for {r['label'][:1].lower()}{r['label'][1:]}"
                    )
                }
                for r in pair["rows"][1:]
            }
            error_summary = summary(renamed, labels, default=FORM_ID, words=words)
            status = 400 if error.status_code == 409 else error.status_code
        else:
            case = reconciliation.sampled_case.case
            messages.success(request, f"Agreed grades recorded for the double audit of {case}.")
            return redirect("web:moderation")
    for row in pair["rows"]:
        row["id"] = "overall_grade" if row["key"] == "overall" else _field(row["key"])
        row["chosen"] = chosen.get(row["key"], "")
    context = {
        "reconciliation": reconciliation,
        "case": reconciliation.sampled_case.case,
        "pair": pair,
        "reason": reason,
        "error_summary": error_summary,
        "form_id": FORM_ID,
    }
    return page(request, "audits/reconcile.html", context, current="web:moderation", status=status)
