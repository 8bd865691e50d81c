"""Who is told what, by email. Messages name audits by number and cases by their
pseudonymous reference only: no child's details ever leave the service in an email."""

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Count, Q

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


def send(recipients, subject: str, body: str) -> int:
    addresses = sorted({staff.email for staff in recipients if staff.email})
    if not addresses:
        return 0
    return send_mail(
        f"[CaseAssure] {subject}", body, settings.DEFAULT_FROM_EMAIL, addresses, fail_silently=False
    )


def case_managers_and_qa_leads(case: Case) -> list[Staff]:
    return [*team_managers(case.team), *qa_leads()]
