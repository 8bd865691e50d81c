"""The administrator's pages for external access: every grant with its state and reads,
giving one, and withdrawing one with a reason. Anyone else gets the site's 404."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from audits.core import external_access as rules
from audits.core import roles
from audits.core.errors import DomainError
from audits.models import ExternalAccess
from audits.selectors import external_access as reads
from audits.services import external_access as service
from audits.web import listing
from audits.web.access import role_required
from audits.web.errors import summary
from audits.web.external_forms import ExternalAccessForm, RevokeForm, drawn_cycles
from audits.web.pages import page

ADMINS = (roles.ADMIN,)
CURRENT = "web:external-accesses"
LABELS = {
    "person": "Person",
    "organisation": "Organisation",
    "purpose": "Purpose",
    "cycle": "Audit cycle",
    "scope": "What they can read",
    "review_size": "Number of cases",
    "starts_on": "First day of access",
    "ends_on": "Last day of access",
    "reason": "Why the access is withdrawn",
}


def _form_errors(form) -> dict:
    return {name: list(texts) for name, texts in form.errors.items()}


def _list_context(request) -> dict:
    grants = reads.grants_for(request.user).order_by("-starts_on", "-pk")
    shown = listing.paginate(request, grants, noun=("grant", "grants"))
    reads_by = reads.reads_by_grant([g.pk for g in shown["rows"]])
    today = timezone.localdate()
    shown["rows"] = [
        {
            "grant": g,
            "state": rules.STATE_WORDS[reads.state_of(g, today)],
            "is_open": g.revoked_at is None and g.ends_on >= today,
            "reads": reads_by.get(g.pk, 0),
        }
        for g in shown["rows"]
    ]
    return {"grants": shown}


@require_GET
@role_required(*ADMINS)
def external_access_list(request):
    return page(request, "audits/external_accesses.html", _list_context(request), current=CURRENT)


@role_required(*ADMINS)
def external_access_new(request):
    posted, error_summary, status = {}, None, 200
    if request.method == "POST":
        posted = request.POST
        form = ExternalAccessForm(posted)
        try:
            if not form.is_valid():
                raise DomainError("The access cannot be given.", fields=_form_errors(form))
            access = service.external_access_grant(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            error_summary = summary(error, LABELS, default="external-access-form")
            status = 400 if error.status_code != 403 else 403
        else:
            messages.success(
                request,
                f"{access.person.get_full_name() or access.person.username} can read "
                f"{access.cycle.name} until the end of {access.ends_on:%d %B %Y}.",
            )
            return redirect("web:external-accesses")
    context = {
        "form": posted,
        "error_summary": error_summary,
        "people": reads.eligible_people(),
        "cycles": drawn_cycles(),
        "purposes": ExternalAccess.Purpose.choices,
        "scopes": ExternalAccess.Scope.choices,
    }
    return page(request, "audits/external_access_new.html", context, status=status, current=CURRENT)


@require_POST
@role_required(*ADMINS)
def external_access_revoke(request, access_id: int):
    access = get_object_or_404(reads.grants_for(request.user), pk=access_id)
    form = RevokeForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError("The access cannot be withdrawn.", fields=_form_errors(form))
        service.external_access_revoke(
            actor=request.user, access=access, reason=form.cleaned_data["reason"]
        )
    except DomainError as error:
        context = _list_context(request)
        context["error_summary"] = summary(error, LABELS, default=f"revoke-{access.pk}")
        return page(
            request,
            "audits/external_accesses.html",
            context,
            status=error.status_code,
            current=CURRENT,
        )
    messages.success(request, f"Access for {access.organisation} to {access.cycle.name} withdrawn.")
    return redirect("web:external-accesses")
