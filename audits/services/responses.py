"""Practitioners' responses to the final findings of audits of their cases: asked when the
audit becomes final, reminded before the window closes, one response per person.

A response is not changed once given: it is part of the audit's record, and the moderator
and the report read it as given. Someone who wants to add to it tells the moderator.
"""

from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from audits.core import roles
from audits.core.errors import DomainError, Forbidden, StateConflict
from audits.core.working_days import working_days_after
from audits.infra import notify
from audits.models import Audit, PractitionerResponse, ResponseRequest, Staff
from audits.selectors import responses as response_reads
from audits.services.history import event_record

Verdict = PractitionerResponse.Verdict
MAX_COMMENT = 10_000


def response_record(
    *, actor, audit: Audit, verdict: str, comment: str = ""
) -> PractitionerResponse:
    """Record ``actor``'s response to ``audit`` (found through ``findings.findings_for``)."""
    comment = (comment or "").strip()
    if verdict not in Verdict.values:
        raise DomainError(
            "Choose agree, agree with comments, or disagree.",
            fields={"verdict": ["Choose agree, agree with comments, or disagree."]},
        )
    if verdict == Verdict.DISAGREE and not comment:
        raise DomainError("Say why you disagree.", fields={"comment": ["Say why you disagree."]})
    if verdict == Verdict.AGREE_WITH_COMMENTS and not comment:
        raise DomainError("Write your comments.", fields={"comment": ["Write your comments."]})
    if len(comment) > MAX_COMMENT:
        raise DomainError(
            "The comment is too long.", fields={"comment": [f"At most {MAX_COMMENT} characters."]}
        )
    if not roles.has_role(actor, roles.PRACTITIONER):
        raise Forbidden("Only the case's practitioners respond to its findings.")
    staff = Staff.objects.filter(user=actor).first()
    held = response_reads.held_as(staff, audit) if staff else ""
    if audit.status != Audit.Status.FINAL or not held:
        raise Forbidden("Only the case's worker and manager at the time of the audit respond.")
    due_on = response_reads.response_due_on(audit)
    if due_on is not None and timezone.localdate() > due_on:
        raise StateConflict(f"The time to respond ended on {due_on:%d %B %Y}.")
    try:
        with transaction.atomic():
            if PractitionerResponse.objects.filter(audit=audit, staff=staff).exists():
                raise StateConflict("You have already responded to these findings.")
            response = PractitionerResponse.objects.create(
                audit=audit, staff=staff, held_as=held, verdict=verdict, comment=comment
            )
            event_record(
                actor=actor,
                verb="practitioner_response.recorded",
                obj=response,
                after={"audit": audit.pk, "verdict": verdict, "held_as": held},
                reason=comment,
            )
    except IntegrityError as error:  # two answers at once: the second is refused
        raise StateConflict("You have already responded to these findings.") from error
    return response


def _final_audits_not_yet_asked():
    return (
        Audit.objects.filter(status=Audit.Status.FINAL, assignment__role="primary")
        .exclude(response_requests__isnull=False)
        .select_related("assignment__sampled_case")
    )


def responses_request_and_remind(now: datetime | None = None) -> dict[str, int]:
    """Ask the practitioners of newly final audits to respond (once), and remind those who
    have not before their window closes (once). Emails carry a link, never case detail."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    sent = {"asked": 0, "reminded": 0}
    for audit in _final_audits_not_yet_asked():
        due_on = response_reads.response_due_on(audit)
        if due_on is None or due_on < today:
            continue  # final before this service asked anyone: too late to ask now
        for staff in response_reads.practitioners_of(audit):
            with transaction.atomic():
                request, created = ResponseRequest.objects.get_or_create(
                    audit=audit, staff=staff, defaults={"due_on": due_on}
                )
                if not created:
                    continue
                event_record(
                    actor=None,
                    verb="response_request.sent",
                    obj=request,
                    after={"audit": audit.pk, "due_on": str(due_on)},
                )
            notify.send(
                [staff],
                f"Audit {audit.pk}: your response is asked for",
                f"The findings of audit {audit.pk} are final. Please read them and respond by "
                f"{due_on:%d %B %Y}.",
                page=notify.link("web:finding", audit.pk),
                kind=notify.RESPONSE_REQUESTED,
            )
            sent["asked"] += 1
    remind_from = working_days_after(today, settings.PRACTITIONER_REMIND_WORKING_DAYS)
    waiting = ResponseRequest.objects.filter(
        reminded_at__isnull=True, due_on__gte=today, due_on__lte=remind_from
    ).select_related("staff")
    for request in waiting:
        answered = PractitionerResponse.objects.filter(
            audit_id=request.audit_id, staff=request.staff
        ).exists()
        if answered:
            continue
        # Claimed by a conditional update: two beats never both remind.
        if ResponseRequest.objects.filter(pk=request.pk, reminded_at__isnull=True).update(
            reminded_at=now
        ):
            event_record(actor=None, verb="response_request.reminded", obj=request)
            notify.send(
                [request.staff],
                f"Audit {request.audit_id}: please respond by {request.due_on:%d %B %Y}",
                f"Your response to the findings of audit {request.audit_id} is still awaited.",
                page=notify.link("web:finding", request.audit_id),
                kind=notify.RESPONSE_REQUESTED,
            )
            sent["reminded"] += 1
    return sent
