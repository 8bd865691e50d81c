"""Reminders to auditors, measured from the audit window's due date (never from the period
audited): once when an audit falls due within a few working days, and weekly while it is
overdue. Each audit is claimed by a conditional update, so two beat runs never both send;
an auditor gets one notification per run for all their audits of that kind."""

from collections import defaultdict
from datetime import datetime, timedelta

from django.utils import timezone

from audits.core.statuses import AUDIT_EDITABLE, CYCLE_CLOSED
from audits.core.working_days import working_days_after
from audits.infra import notify
from audits.models import Audit, Staff

REMIND_WORKING_DAYS_BEFORE = 3
OVERDUE_EVERY = timedelta(days=7)


def _still_with_auditor():
    return Audit.objects.filter(status__in=AUDIT_EDITABLE, due_date__isnull=False).exclude(
        assignment__sampled_case__cycle__status__in=CYCLE_CLOSED
    )


def _tell(claimed: dict[int, list[Audit]], kind: str, subject) -> int:
    for staff in Staff.objects.filter(pk__in=claimed):
        audits = claimed[staff.pk]
        text = subject(len(audits), min(audit.due_date for audit in audits))
        notify.send(
            [staff],
            text,
            f"{text}. Open CaseAssure to see them under My audits.",
            page=notify.link("web:my-audits"),
            kind=kind,
        )
    return sum(len(audits) for audits in claimed.values())


def audits_remind(now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    today = timezone.localdate(now)
    soon, late = defaultdict(list), defaultdict(list)
    due_soon = _still_with_auditor().filter(
        due_date__gte=today,
        due_date__lte=working_days_after(today, REMIND_WORKING_DAYS_BEFORE),
        reminded_due_at__isnull=True,
    )
    for audit in due_soon.select_related("assignment"):
        if Audit.objects.filter(pk=audit.pk, reminded_due_at__isnull=True).update(
            reminded_due_at=now
        ):
            soon[audit.assignment.auditor_id].append(audit)
    for audit in _still_with_auditor().filter(due_date__lt=today).select_related("assignment"):
        last = audit.reminded_overdue_at
        if last is not None and now - last < OVERDUE_EVERY:
            continue
        if Audit.objects.filter(pk=audit.pk, reminded_overdue_at=last).update(
            reminded_overdue_at=now
        ):
            late[audit.assignment.auditor_id].append(audit)
    return {
        "due_soon": _tell(
            soon, notify.AUDIT_DUE, lambda n, due: f"{n} of your audits due by {due:%d %B %Y}"
        ),
        "overdue": _tell(late, notify.AUDIT_OVERDUE, lambda n, due: f"{n} of your audits overdue"),
    }
