"""Safeguarding escalations raised from inside an audit: told at once, acknowledged in time."""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from audits.core.errors import DomainError, Forbidden, StateConflict
from audits.infra import notify
from audits.models import Audit, Escalation
from audits.selectors import permissions
from audits.services.history import event_record

TEXT_MAX = 10_000  # characters of a concern or of the response to one


def escalation_raise(*, audit: Audit, actor, concern: str) -> Escalation:
    concern = (concern or "").strip()
    if not concern:
        raise DomainError("Describe the concern.", fields={"concern": ["required"]})
    if len(concern) > TEXT_MAX:
        raise DomainError(
            "The concern is too long.", fields={"concern": [f"at most {TEXT_MAX} characters"]}
        )
    audit = Audit.objects.select_related(
        "assignment__auditor", "assignment__sampled_case__cycle"
    ).get(pk=audit.pk)
    if not permissions.can_raise_concern(actor, audit):
        raise Forbidden("Only the auditor or a manager of its cycle can raise a concern from it.")
    cycle = audit.assignment.sampled_case.cycle
    case = audit.assignment.sampled_case.case
    with transaction.atomic():
        escalation = Escalation.objects.create(
            audit=audit,
            raised_by=actor,
            concern=concern,
            due_at=timezone.now() + timedelta(hours=cycle.escalation_hours),
        )
        event_record(
            actor=actor, verb="escalation.raised", obj=escalation, after={"audit": audit.pk}
        )
        recipients = notify.case_managers_and_qa_leads(case)
        transaction.on_commit(
            lambda: notify.send(
                recipients,
                f"Safeguarding concern raised in audit {audit.pk}",
                f"A safeguarding concern was raised during audit {audit.pk}. Please read it "
                "and acknowledge it in CaseAssure by "
                f"{timezone.localtime(escalation.due_at):%d %B %Y %H:%M}.",
                page=notify.link("web:escalations"),
                kind=notify.SAFEGUARDING_ESCALATION,
            )
        )
    return escalation


def escalation_acknowledge(*, escalation: Escalation, actor, response: str = "") -> Escalation:
    with transaction.atomic():
        escalation = Escalation.objects.select_for_update().get(pk=escalation.pk)
        if not permissions.can_acknowledge(actor, escalation):
            raise Forbidden("Only the case's team manager or the QA lead can acknowledge this.")
        if escalation.status != Escalation.Status.OPEN:
            raise StateConflict("This escalation has already been acknowledged.")
        response = (response or "").strip()
        if len(response) > TEXT_MAX:  # said, never cut short without a word
            raise DomainError(
                "The response is too long.",
                fields={"response": [f"at most {TEXT_MAX} characters"]},
            )
        escalation.status = Escalation.Status.ACKNOWLEDGED
        escalation.acknowledged_by = actor
        escalation.acknowledged_at = timezone.now()
        escalation.response = response
        escalation.save()
        event_record(
            actor=actor,
            verb="escalation.acknowledged",
            obj=escalation,
            before={"status": Escalation.Status.OPEN},
            after={
                "status": escalation.status,
                "late": escalation.acknowledged_at > escalation.due_at,
            },
        )
    return escalation


def is_overdue(escalation: Escalation, now: datetime | None = None) -> bool:
    return was_overdue(
        escalation.status, escalation.due_at, escalation.acknowledged_at, now or timezone.now()
    )


def was_overdue(status: str, due_at: datetime, acknowledged_at, now: datetime) -> bool:
    """Acknowledged after its deadline, or still open past it."""
    if status == Escalation.Status.ACKNOWLEDGED:
        return acknowledged_at > due_at
    return now > due_at


def escalations_remind_overdue(now: datetime | None = None) -> int:
    """Remind about every open escalation past its deadline, at most once a day each."""
    now = now or timezone.now()
    reminded = 0
    overdue = Escalation.objects.filter(
        status=Escalation.Status.OPEN, due_at__lt=now
    ).select_related("audit__assignment__sampled_case__case__team")
    for escalation in overdue:
        last = escalation.overdue_reminded_at
        if last is not None and now - last < timedelta(hours=24):
            continue
        # Claim the reminder with a conditional update so two beat runs never both send.
        claimed = Escalation.objects.filter(pk=escalation.pk, overdue_reminded_at=last).update(
            overdue_reminded_at=now
        )
        if not claimed:
            continue
        case = escalation.audit.assignment.sampled_case.case
        raised = timezone.localtime(escalation.raised_at)
        notify.send(
            notify.case_managers_and_qa_leads(case),
            f"OVERDUE: safeguarding concern in audit {escalation.audit_id}",
            f"The safeguarding concern raised on {raised:%d %B %Y %H:%M} in audit "
            f"{escalation.audit_id} has not been acknowledged and is overdue.",
            page=notify.link("web:escalations"),
            kind=notify.SAFEGUARDING_ESCALATION,
        )
        reminded += 1
    return reminded
