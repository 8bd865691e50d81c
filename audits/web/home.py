"""The home page each role lands on, signing out, and the keep-alive the session-timeout
warning calls when someone chooses to stay signed in."""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from audits.core import roles
from audits.core.statuses import AUDIT_EDITABLE, CYCLE_CLOSED, CYCLE_DRAWN
from audits.models import Action, Audit, Cycle, Escalation
from audits.selectors import external_access, scoping
from audits.web import sso
from audits.web.pages import page


def _auditor_summary(user) -> dict:
    mine = (
        scoping.audits_for(user)
        .filter(assignment__auditor__user=user, status__in=AUDIT_EDITABLE)
        .exclude(assignment__sampled_case__cycle__status__in=CYCLE_CLOSED)
    )
    today = timezone.localdate()
    return {
        "waiting": mine.count(),
        "overdue": mine.filter(due_date__lt=today).count(),
        "next_due": mine.exclude(due_date=None).order_by("due_date").first(),
    }


def _manager_summary(user) -> dict:
    return {
        "cycles": scoping.cycles_managed_by(user).filter(status__in=CYCLE_DRAWN).count(),
        "planned": scoping.cycles_managed_by(user).filter(status=Cycle.Status.PLANNED).count(),
        "to_moderate": scoping.audits_managed_by(user)
        .filter(status=Audit.Status.SUBMITTED)
        .exclude(assignment__sampled_case__cycle__status__in=CYCLE_CLOSED)
        .count(),
        "open_escalations": scoping.escalations_for(user)
        .filter(status=Escalation.Status.OPEN)
        .count(),
        "overdue_actions": scoping.actions_for(user)
        .filter(status=Action.Status.OPEN, due_date__lt=timezone.localdate())
        .count(),
    }


@login_required
def home(request):
    held = roles.roles_of(request.user)
    context = {}
    if roles.AUDITOR in held:
        context["auditor"] = _auditor_summary(request.user)
    if roles.MANAGER in held:
        context["manager"] = _manager_summary(request.user)
    if held & {roles.INTERNAL_AUDITOR, roles.ADMIN}:
        context["summaries"] = scoping.latest_reports_for(request.user)[:5]
    context["external"] = list(external_access.open_grants_of(request.user))
    return page(request, "audits/home.html", context)


@require_GET
def favicon(request):
    """Browsers ask for /favicon.ico on pages that name no icon (the admin, the API docs):
    send them to the site's icon instead of a 404."""
    return redirect(static("audits/favicon.svg"), permanent=True)


@require_GET
def keepalive(request):
    """Any signed-in request renews the idle limit; this one only says whether it did."""
    if not request.user.is_authenticated:
        return HttpResponse(status=401)
    return HttpResponse(status=204)


@require_POST
def sign_out(request):
    # An SSO session ends at the provider too, which then sends them to the sign-in page.
    at_provider = sso.provider_sign_out_url(request)
    logout(request)
    messages.info(request, "You have signed out.")
    return redirect(at_provider or "login")
