"""Who is told what, by email. An email says that something needs attention and links to
the page where it is; it carries no case reference, concern text or other case detail
(mail is copied and forwarded outside the service). Audits and actions are named by
number only; the page behind the link checks who may see what."""

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Count, Q
from django.urls import reverse

from audits.models import Case, Staff, Team


def team_managers(team: Team) -> list[Staff]:
    return list(Staff.objects.filter(managed_teams=team, is_active=True).exclude(email=""))


def qa_leads() -> list[Staff]:
    """Managers who manage every team that holds cases."""
    teams_with_cases = Team.objects.filter(pk__in=Case.objects.values("team_id")).count()
    return list(
        Staff.objects.filter(is_active=True, user__groups__name="manager")
        .exclude(email="")
        .annotate(
            n=Count("managed_teams", filter=Q(managed_teams__cases__isnull=False), distinct=True)
        )
        .filter(n__gte=max(teams_with_cases, 1))
    )


def link(view: str, *args) -> str:
    """The address of a page of the service, for an email."""
    return f"{settings.SITE_URL}{reverse(view, args=args)}"


def send(recipients, subject: str, body: str, *, page: str) -> int:
    """Email ``body`` and the link to ``page`` (from ``link``) to the recipients."""
    addresses = sorted({staff.email for staff in recipients if staff.email})
    if not addresses:
        return 0
    text = f"{body}\n\nOpen it in CaseAssure (sign in first): {page}\n"
    return send_mail(
        f"[CaseAssure] {subject}", text, settings.DEFAULT_FROM_EMAIL, addresses, fail_silently=False
    )


def case_managers_and_qa_leads(case: Case) -> list[Staff]:
    return [*team_managers(case.team), *qa_leads()]
