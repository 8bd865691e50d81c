"""Moderation: an independent manager agrees, changes grades (with a reason) or returns an
audit for rework. The auditor's original grades are kept beside the moderated ones."""

from django.db import transaction

from audits.core import grading
from audits.core.errors import DomainError, Forbidden, StateConflict
from audits.core.rules import MODERATION_RULES
from audits.infra import notify
from audits.models import Audit, Moderation
from audits.selectors.case_facts import blocking_rules
from audits.services.audits import staff_of
from audits.services.history import event_record
from audits.services.lifecycle import check_cycle_open
from audits.services.summaries import audit_summary_record


class NotIndependent(DomainError):
    status_code = 403


def _grade_answers(audit: Audit, answers: dict) -> dict:
    keys = {q["key"] for q in grading.questions(audit.template.definition) if q["kind"] == "grade"}
    return {key: value for key, value in answers.items() if key in keys}


def moderation_record(
    *,
    audit: Audit,
    actor,
    decision: str,
    reason: str = "",
    overall_grade: int | None = None,
    grades: dict | None = None,
) -> Moderation:
    reason = (reason or "").strip()
    if decision not in Moderation.Decision.values:
        raise DomainError("Unknown decision.", fields={"decision": ["agree, change or return"]})
    with transaction.atomic():
        audit = (
            Audit.objects.select_for_update(of=("self", "assignment__sampled_case__cycle"))
            .select_related("template", "assignment__sampled_case__cycle", "assignment__auditor")
            .get(pk=audit.pk)
        )
        check_cycle_open(audit.assignment.sampled_case.cycle)
        if audit.status != Audit.Status.SUBMITTED:
            raise StateConflict("Only a submitted audit awaiting moderation can be moderated.")
        moderator = staff_of(actor)
        if (
            audit.assignment.auditor_id == moderator.pk
            or audit.assignment.sampled_case.assignments.filter(auditor=moderator).exists()
        ):
            raise Forbidden("You audited this case, so you cannot moderate it.")
        blocked = blocking_rules(audit.assignment.sampled_case, moderator, MODERATION_RULES)
        if blocked:
            raise NotIndependent(
                "You are not independent of this case, so you cannot moderate it.", rules=blocked
            )
        original = _grade_answers(audit, audit.answers)
        moderated_grades = dict(original)
        moderated_overall = audit.overall_grade
        if decision in (Moderation.Decision.CHANGE, Moderation.Decision.RETURN) and not reason:
            raise DomainError("A reason is required.", fields={"reason": ["required"]})
        if decision == Moderation.Decision.CHANGE:
            cleaned, errors = grading.clean_answers(
                audit.template.definition, grades or {}, audit.template.scale
            )
            non_grades = set(cleaned) - set(_grade_answers(audit, cleaned))
            if non_grades:
                errors["grades"] = ["only grade questions can be moderated"]
            if overall_grade is not None and overall_grade not in audit.template.scale:
                errors["overall_grade"] = [f"must be one of {sorted(audit.template.scale)}"]
            if errors:
                raise DomainError("The moderated grades are not valid.", fields=errors)
            moderated_grades.update(cleaned)
            moderated_overall = overall_grade or audit.overall_grade
            if moderated_grades == original and moderated_overall == audit.overall_grade:
                raise DomainError(
                    "No grade was changed; record the decision as agree instead.",
                    fields={"decision": ["nothing changed"]},
                )
        moderation = Moderation.objects.create(
            audit=audit,
            moderator=moderator,
            decision=decision,
            original_overall_grade=audit.overall_grade,
            moderated_overall_grade=moderated_overall,
            original_grades=original,
            moderated_grades=moderated_grades,
            reason=reason,
        )
        status_before = audit.status
        if decision == Moderation.Decision.RETURN:
            audit.status = Audit.Status.RETURNED
        else:
            audit.status = Audit.Status.FINAL
            audit.moderated_overall_grade = moderated_overall
            audit.moderated_answers = {**audit.answers, **moderated_grades}
        audit.version += 1
        audit.save()
        audit_summary_record(audit=audit)
        event_record(
            actor=actor,
            verb=f"audit.moderation.{decision}",
            obj=audit,
            before={
                "status": status_before,
                "overall_grade": audit.overall_grade,
                "grades": original,
            },
            after={
                "status": audit.status,
                "overall_grade": moderated_overall,
                "grades": moderated_grades,
            },
            reason=reason,
        )
        if decision == Moderation.Decision.RETURN:
            auditor = audit.assignment.auditor
            transaction.on_commit(lambda: _tell_auditor_of_rework(auditor, audit.pk))
    return moderation


def _tell_auditor_of_rework(auditor, audit_id: int) -> None:
    # The reason stays on the audit's page: the notification and the email only point there.
    notify.send(
        [auditor],
        f"Audit {audit_id} was returned to you for rework",
        f"A moderator returned audit {audit_id} to you for rework. Their reason is on the "
        "audit's page; change what it asks for and submit the audit again.",
        page=notify.link("web:audit", audit_id),
        kind=notify.RETURNED_FOR_REWORK,
    )
