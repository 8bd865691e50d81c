"""Auditors' work on an audit: autosave with a version check, and submission."""

import hashlib

from django.db import transaction
from django.utils import timezone

from audits import grading, notify
from audits.errors import DomainError, StateConflict
from audits.models import Audit, Staff
from audits.services.history import event_record
from audits.services.summaries import audit_summary_record

EDITABLE = (Audit.Status.ASSIGNED, Audit.Status.IN_PROGRESS, Audit.Status.RETURNED)
TEXT_FIELDS = ("rationale", "strengths", "improvements")
MAX_TEXT = 20_000


class NotYours(DomainError):
    status_code = 403


def _grades(audit: Audit) -> dict:
    grade_keys = {
        q["key"] for q in grading.questions(audit.template.definition) if q["kind"] == "grade"
    }
    return {
        "overall_grade": audit.overall_grade,
        "grades": {k: v for k, v in sorted(audit.answers.items()) if k in grade_keys},
    }


def _locked(audit_id: int) -> Audit:
    return (
        Audit.objects.select_for_update(of=("self",))
        .select_related(
            "template",
            "assignment__auditor",
            "assignment__sampled_case__cycle",
            "assignment__sampled_case__case__team",
        )
        .get(pk=audit_id)
    )


def _check_author(audit: Audit, actor) -> None:
    if audit.assignment.auditor.user_id != actor.pk:
        raise NotYours("Only the assigned auditor can change this audit.")


def _check_version(audit: Audit, version) -> None:
    if version is None:
        raise DomainError("Send the version you edited.", fields={"version": ["required"]})
    if version != audit.version:
        raise StateConflict(
            "Someone saved this audit after you opened it. Your changes were not saved: "
            "reload to see the current answers, then apply your changes again.",
            current_version=audit.version,
        )


def audit_save(*, audit: Audit, actor, version: int | None, changes: dict) -> Audit:
    """Save a draft. ``changes`` may hold answers (merged; null clears one), overall_grade,
    themes and the text fields. A stale ``version`` gets a 409 with the current version."""
    with transaction.atomic():
        audit = _locked(audit.pk)
        _check_author(audit, actor)
        if audit.status not in EDITABLE:
            raise StateConflict(f"A {audit.get_status_display().lower()} audit cannot be edited.")
        _check_version(audit, version)
        before = _grades(audit)
        errors: dict[str, list[str]] = {}
        if "answers" in changes:
            incoming = changes["answers"]
            if not isinstance(incoming, dict):
                errors["answers"] = ["must be an object of question key to answer"]
            else:
                cleared = {key for key, value in incoming.items() if value in (None, "")}
                cleaned, problems = grading.clean_answers(
                    audit.template.definition, incoming, audit.template.scale
                )
                errors.update(problems)
                merged = {k: v for k, v in audit.answers.items() if k not in cleared}
                audit.answers = {**merged, **cleaned}
        if "overall_grade" in changes:
            grade = changes["overall_grade"]
            if grade is not None and (
                isinstance(grade, bool)
                or not isinstance(grade, int)
                or grade not in audit.template.scale
            ):
                errors["overall_grade"] = [f"must be one of {sorted(audit.template.scale)}"]
            else:
                audit.overall_grade = grade
        if "themes" in changes:
            themes = changes["themes"]
            allowed = set(audit.template.themes)
            if not isinstance(themes, list) or not all(t in allowed for t in themes):
                errors["themes"] = ["must be a list of themes from the form's theme list"]
            else:
                audit.themes = sorted(set(themes))
        for field in TEXT_FIELDS:
            if field in changes:
                value = changes[field]
                if not isinstance(value, str) or len(value) > MAX_TEXT or "\x00" in value:
                    errors[field] = [f"must be text of at most {MAX_TEXT} characters"]
                else:
                    setattr(audit, field, value)
        if errors:
            raise DomainError("Some answers are not valid; nothing was saved.", fields=errors)
        status_before = audit.status
        if audit.status == Audit.Status.ASSIGNED:
            audit.status = Audit.Status.IN_PROGRESS
            audit.started_at = timezone.now()
        audit.version += 1
        audit.save()
        after = _grades(audit)
        if after != before or status_before != audit.status:
            event_record(
                actor=actor,
                verb="audit.saved",
                obj=audit,
                before={**before, "status": status_before},
                after={**after, "status": audit.status, "version": audit.version},
            )
    return audit


def chosen_for_moderation(audit: Audit, seed: str, share: float) -> str:
    """Why this audit is moderated ('' if it is not): every Inadequate and Outstanding
    overall grade, plus a random share decided by the cycle seed (reproducible)."""
    if audit.overall_grade == 1:
        return "inadequate"
    if audit.overall_grade == max(audit.template.scale):
        return "outstanding"
    digest = hashlib.sha256(f"{seed}:moderation:{audit.pk}".encode()).digest()
    if int.from_bytes(digest[:8], "big") / 2**64 < share:
        return "random"
    return ""


def audit_submit(*, audit: Audit, actor, version: int | None) -> Audit:
    with transaction.atomic():
        audit = _locked(audit.pk)
        _check_author(audit, actor)
        if audit.status not in EDITABLE:
            raise StateConflict(
                f"A {audit.get_status_display().lower()} audit cannot be submitted."
            )
        _check_version(audit, version)
        errors = grading.submission_errors(
            audit.template.definition,
            audit.answers,
            overall_grade=audit.overall_grade,
            rationale=audit.rationale,
            scale=audit.template.scale,
        )
        if errors:
            raise DomainError("The audit cannot be submitted yet.", fields=errors)
        cycle = audit.assignment.sampled_case.cycle
        seed = getattr(getattr(cycle, "frame", None), "seed", "") or str(cycle.pk)
        status_before = audit.status
        audit.moderation_reason = chosen_for_moderation(audit, seed, float(cycle.moderation_share))
        audit.status = Audit.Status.SUBMITTED if audit.moderation_reason else Audit.Status.FINAL
        audit.submitted_at = timezone.now()
        audit.version += 1
        audit.save()
        audit_summary_record(audit=audit)
        event_record(
            actor=actor,
            verb="audit.submitted",
            obj=audit,
            before={"status": status_before},
            after={**_grades(audit), "status": audit.status, "moderation": audit.moderation_reason},
        )
        if audit.overall_grade == 1:
            case = audit.assignment.sampled_case.case
            transaction.on_commit(
                lambda: notify.send(
                    notify.case_managers_and_qa_leads(case),
                    f"Inadequate grade in audit {audit.pk}",
                    f"Audit {audit.pk} of case {case.case_ref} was graded Inadequate overall. "
                    "Please review the case and the audit in CaseAssure.",
                )
            )
    return audit


def staff_of(user) -> Staff:
    staff = Staff.objects.filter(user=user).first()
    if staff is None:
        raise NotYours("Your login is not linked to a member of staff.")
    return staff
