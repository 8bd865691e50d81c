"""Reads about practitioners' responses: when an audit became final, until when its
practitioners may respond, and who they are."""

from datetime import date

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from audits.core import grading, roles
from audits.core.working_days import working_days_after
from audits.models import Action, Allocation, Audit, Moderation, PractitionerResponse, Staff

# The moderation decisions that make an audit final.
FINALISING = (Moderation.Decision.AGREE, Moderation.Decision.CHANGE)


def finalised_on(audit: Audit) -> date | None:
    """The day the audit became final: its last agreeing or changing moderation, else (not
    selected for moderation) the day it was submitted. Reads ``audit.moderations`` (one
    query, none when prefetched: see ``with_finding_reads``)."""
    if audit.status != Audit.Status.FINAL:
        return None
    moderated = max(
        (m.at for m in audit.moderations.all() if m.decision in FINALISING), default=None
    )
    return finalised_day(audit.submitted_at, moderated)


def finalised_day(submitted_at, last_finalising_moderation) -> date | None:
    """The day a final audit became final, from when it was submitted and when it was last
    moderated with a finalising decision (None if never)."""
    when = last_finalising_moderation or submitted_at
    return timezone.localdate(when) if when else None


def due_after(final_day: date | None) -> date | None:
    """The last day to respond to an audit that became final on ``final_day``."""
    if final_day is None:
        return None
    return working_days_after(final_day, settings.PRACTITIONER_RESPONSE_WORKING_DAYS)


def with_finding_reads(audits: QuerySet[Audit], staff: Staff | None) -> QuerySet[Audit]:
    """``audits`` with what ``finding_of`` reads loaded in a fixed number of queries, however
    many audits: their form and case, moderations, actions and ``staff``'s own response."""
    return audits.select_related(
        "template", "assignment__sampled_case__case__team"
    ).prefetch_related(
        "moderations",
        Prefetch(
            "actions", queryset=Action.objects.select_related("owner").order_by("due_date", "pk")
        ),
        Prefetch(
            "practitioner_responses",
            queryset=PractitionerResponse.objects.filter(staff=staff)
            if staff
            else PractitionerResponse.objects.none(),
            to_attr="own_responses",
        ),
    )


def response_due_on(audit: Audit) -> date | None:
    """The last day to respond: the window's working days after the audit became final."""
    return due_after(finalised_on(audit))


def _allocations_when_audited(audit: Audit) -> QuerySet[Allocation]:
    audited_on = timezone.localdate(audit.submitted_at)
    return Allocation.objects.filter(
        case_id=audit.assignment.sampled_case.case_id, from_date__lte=audited_on
    ).filter(Q(to_date__isnull=True) | Q(to_date__gte=audited_on))


def held_as(staff: Staff, audit: Audit) -> str:
    """worker or manager: how ``staff`` held the case when it was audited ('' if not)."""
    found = _allocations_when_audited(audit).filter(staff=staff).order_by("role")
    return found.values_list("role", flat=True).last() or ""


def practitioners_of(audit: Audit) -> list[Staff]:
    """The people asked to respond: the case's worker and manager when it was audited, who
    sign in with the practitioner role."""
    held = _allocations_when_audited(audit).values("staff_id")
    return list(
        Staff.objects.filter(
            pk__in=held, is_active=True, user__is_active=True, user__groups__name=roles.PRACTITIONER
        ).distinct()
    )


def _actions_of(audit: Audit) -> list[Action]:
    if "actions" in getattr(audit, "_prefetched_objects_cache", {}):
        return list(audit.actions.all())
    return list(audit.actions.select_related("owner").order_by("due_date", "pk"))


def finding_of(audit: Audit, staff: Staff | None) -> dict:
    """What a practitioner reads of a final audit: the final grades (moderated where the
    moderator changed them), the strengths, improvements and themes, the actions agreed, and
    their own response. Never the auditor's grades before moderation, nor a second audit."""
    scale = audit.template.scale
    final_answers = audit.moderated_answers or audit.answers
    domains = grading.domain_grades(audit.template.definition, final_answers)
    if hasattr(audit, "own_responses"):  # prefetched by with_finding_reads
        mine = audit.own_responses[0] if audit.own_responses else None
    else:
        mine = (
            PractitionerResponse.objects.filter(audit=audit, staff=staff).first() if staff else None
        )
    due_on = response_due_on(audit)
    case = audit.assignment.sampled_case.case
    return {
        "id": audit.pk,
        "audit": audit.pk,
        "case_ref": case.case_ref,
        "team": case.team.name,
        "overall_grade": audit.final_grade,
        "overall_label": scale.get(audit.final_grade, ""),
        "domains": [
            {"domain": name, "grade": grade, "label": scale.get(grade, "")}
            for name, grade in domains.items()
        ],
        "strengths": audit.strengths,
        "improvements": audit.improvements,
        "themes": list(audit.themes),
        "finalised_on": finalised_on(audit),
        "respond_by": due_on,
        "window_open": due_on is not None and timezone.localdate() <= due_on,
        "actions": [
            {
                "id": a.pk,
                "description": a.description,
                "owner": a.owner.name,
                "due_date": a.due_date,
                "status": a.get_status_display(),
            }
            for a in _actions_of(audit)
        ],
        "my_response": _response_shown(mine),
    }


def finding_rows(audit_ids: list[int], staff: Staff | None) -> list[dict]:
    """What the list of a practitioner's findings shows of each audit (the columns of
    ``finding_of`` it shows, no answers, domains nor actions), for ``audit_ids`` in that
    order: three queries however many."""
    own = (
        PractitionerResponse.objects.filter(staff=staff)
        if staff
        else PractitionerResponse.objects.none()
    )
    audits = (
        Audit.objects.filter(pk__in=audit_ids)
        .select_related("template", "assignment__sampled_case__case__team")
        .only(
            "pk",
            "status",
            "submitted_at",
            "overall_grade",
            "moderated_overall_grade",
            "template__grade_scale",
            "assignment__sampled_case__case__case_ref",
            "assignment__sampled_case__case__team__name",
        )
        .prefetch_related(
            Prefetch("moderations", Moderation.objects.only("audit_id", "decision", "at")),
            Prefetch("practitioner_responses", queryset=own, to_attr="own_responses"),
        )
    )
    found = {audit.pk: audit for audit in audits} if audit_ids else {}
    today = timezone.localdate()
    rows = []
    for audit in (found[pk] for pk in audit_ids if pk in found):
        mine = audit.own_responses[0] if audit.own_responses else None
        due_on = response_due_on(audit)
        case = audit.assignment.sampled_case.case
        rows.append(
            {
                "id": audit.pk,
                "audit": audit.pk,
                "case_ref": case.case_ref,
                "team": case.team.name,
                "overall_grade": audit.final_grade,
                "overall_label": audit.template.scale.get(audit.final_grade, ""),
                "finalised_on": finalised_on(audit),
                "respond_by": due_on,
                "window_open": due_on is not None and today <= due_on,
                "my_response": _response_shown(mine),
            }
        )
    return rows


def _response_shown(mine) -> dict | None:
    """The practitioner's own response as the finding shows it, or None."""
    if mine is None:
        return None
    return {
        "verdict": mine.verdict,
        "verdict_label": mine.get_verdict_display(),
        "comment": mine.comment,
        "at": mine.at,
    }
