"""Who is told what: in the service (a Notification each person sees under Notifications,
with an unread count in the header) and by email for the kinds each person keeps by email
(all of them unless they say otherwise). A notification says that something needs attention
and links to the page where it is; it carries no case reference, concern text or other case
detail (mail is copied and forwarded outside the service). Audits and actions are named by
number only; the page behind the link checks who may see what.

Every notification goes through ``send``; callers name its kind (constants below)."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Count, Q
from django.urls import reverse

from audits.core.notification_kinds import (  # noqa: F401  (re-exported for callers)
    ACTION_DUE,
    ACTION_OVERDUE,
    ASSIGNED,
    AUDIT_DUE,
    AUDIT_OVERDUE,
    DOUBLE_AUDIT_READY,
    INADEQUATE_GRADE,
    KINDS,
    PROGRAMME_CYCLE_READY,
    RESPONSE_REQUESTED,
    RETURNED_FOR_REWORK,
    SAFEGUARDING_ESCALATION,
)
from audits.models import Case, Notification, NotificationPreference, Staff, Team


def _reachable(staff):
    # In the service (a login) or by email: either is enough to be told.
    return staff.filter(is_active=True).exclude(email="", user__isnull=True)


def team_managers(team: Team) -> list[Staff]:
    return list(_reachable(Staff.objects.filter(managed_teams=team)))


def qa_leads() -> list[Staff]:
    """Managers who manage every team that holds cases."""
    teams_with_cases = Team.objects.filter(pk__in=Case.objects.values("team_id")).count()
    return list(
        _reachable(Staff.objects.filter(user__groups__name="manager"))
        .annotate(
            n=Count("managed_teams", filter=Q(managed_teams__cases__isnull=False), distinct=True)
        )
        .filter(n__gte=max(teams_with_cases, 1))
    )


def link(view: str, *args) -> str:
    """The address of a page of the service, for an email."""
    return f"{settings.SITE_URL}{reverse(view, args=args)}"


def _wants_email(users: set[int], kind: str) -> set[int]:
    """Of these users, those who keep ``kind`` by email (no preference saved: every kind)."""
    chosen = dict(
        NotificationPreference.objects.filter(user_id__in=users).values_list(
            "user_id", "email_kinds"
        )
    )
    return {user for user in users if user not in chosen or kind in chosen[user]}


def send(recipients, subject: str, body: str, *, page: str, kind: str) -> int:
    """Tell the recipients (Staff): ``subject`` in the service for those with a login, and
    ``body`` with the link to ``page`` (from ``link``) by email to those who keep ``kind`` by
    email. Returns the number of emails sent."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    people = {staff.pk: staff for staff in recipients}.values()
    users = {staff.user_id for staff in people if staff.user_id}
    path = urlsplit(page).path
    Notification.objects.bulk_create(
        Notification(recipient_id=user, kind=kind, text=subject[:300], link=path)
        for user in sorted(users)
    )
    by_email = _wants_email(users, kind)
    addresses = sorted(
        {s.email for s in people if s.email and (s.user_id is None or s.user_id in by_email)}
    )
    if not addresses:
        return 0
    text = f"{body}\n\nOpen it in CaseAssure (sign in first): {page}\n"
    return send_mail(
        f"[CaseAssure] {subject}", text, settings.DEFAULT_FROM_EMAIL, addresses, fail_silently=False
    )


def case_managers_and_qa_leads(case: Case) -> list[Staff]:
    return [*team_managers(case.team), *qa_leads()]
