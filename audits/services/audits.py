"""Auditors' work on an audit: autosave with a version check, and submission."""

import hashlib
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from audits.core import grading, roles
from audits.core.errors import DomainError, Forbidden, StateConflict
from audits.core.statuses import AUDIT_EDITABLE, CYCLE_CLOSED
from audits.infra import notify
from audits.models import Audit, Staff, Template
from audits.selectors.published_forms import template_for_grading
from audits.services import lifecycle
from audits.services.draft_write import draft_write
from audits.services.history import event_record
from audits.services.reconciliation import reconciliation_open_if_needed
from audits.services.summaries import audit_summary_record

# A save or submit that names a version older than the stored one (another tab, another person).
STALE_VERSION = (
    "Someone saved this audit after you opened it. Your changes were not saved: "
    "reload to see the current answers, then apply your changes again."
)


def _grades(audit: Audit, template: Template | None = None) -> dict:
    definition = (template or audit.template).definition
    return _grades_of(definition, audit.answers, audit.overall_grade)


def _grades_of(definition: dict, answers: dict, overall_grade) -> dict:
    grade_keys = {q["key"] for q in grading.questions(definition) if q["kind"] == "grade"}
    return {
        "overall_grade": overall_grade,
        "grades": {k: v for k, v in sorted(answers.items()) if k in grade_keys},
    }


def _locked(audit_id: int) -> Audit:
    # The cycle's row is locked too, so a submission and the cycle's closing never overlap.
    return (
        Audit.objects.select_for_update(of=("self", "assignment__sampled_case__cycle"))
        .select_related(
            "template",
            "assignment__auditor",
            "assignment__sampled_case__cycle",
            "assignment__sampled_case__case__team",
        )
        .get(pk=audit_id)
    )


def _check_author(audit: Audit, actor) -> None:
    # scoping.audit_editable_by reads the auditor's user id with the audit. Writing an audit
    # is the auditor role's right: one who has lost it keeps no right to their old audits.
    author = getattr(audit, "auditor_user_id", None) or audit.assignment.auditor.user_id
    if author != actor.pk or not roles.has_role(actor, roles.AUDITOR):
        raise Forbidden("Only the assigned auditor can change this audit.")


def _check_version(audit: Audit, version) -> None:
    if version is None:
        raise DomainError("Send the version you edited.", fields={"version": ["required"]})
    if version != audit.version:
        raise StateConflict(
            STALE_VERSION,
            current_version=audit.version,
        )


def _check_editable(audit: Audit) -> None:
    if audit.status == Audit.Status.WITHDRAWN:
        raise StateConflict(lifecycle.withdrawn_message(audit))
    if audit.status not in AUDIT_EDITABLE:
        raise StateConflict(f"A {audit.get_status_display().lower()} audit cannot be edited.")


def _draft_values(audit: Audit, template: Template, changes: dict) -> tuple[dict, dict]:
    """The fields a save would write, checked against the form, and the field errors of
    the values that are not valid: ``(values, {field: [messages]})``. An answer that is not
    valid is left out of the merged answers, so the one stored before it stays.

    A request that names no question of the form, or sends answers that are not an object,
    is wrong as a whole: DomainError, and nothing may be written."""
    values: dict = {}
    errors: dict[str, list[str]] = {}
    if "answers" in changes:
        incoming = changes["answers"]
        if not isinstance(incoming, dict):
            raise DomainError(
                "Some answers are not valid; nothing was saved.",
                fields={"answers": ["must be an object of question key to answer"]},
            )
        cleared = {key for key, value in incoming.items() if value in (None, "")}
        cleaned, problems = grading.clean_answers(template.definition, incoming, template.scale)
        on_form = {f"answers.{q['key']}" for q in grading.questions(template.definition)}
        if any(name not in on_form for name in problems):
            # The client has the wrong form: saving the rest could lose an answer silently.
            raise DomainError(
                "Some answers are not on this form; nothing was saved.", fields=problems
            )
        errors.update(problems)
        merged = {k: v for k, v in audit.answers.items() if k not in cleared}
        values["answers"] = {**merged, **cleaned}
    if "overall_grade" in changes:
        grade = changes["overall_grade"]
        if grade is not None and (
            isinstance(grade, bool) or not isinstance(grade, int) or grade not in template.scale
        ):
            errors["overall_grade"] = [
                f"Choose an overall grade from {min(template.scale)} to {max(template.scale)}"
            ]
        else:
            values["overall_grade"] = grade
    if "themes" in changes:
        themes = changes["themes"]
        allowed = set(template.themes)
        if not isinstance(themes, list) or not all(
            isinstance(t, str) and t in allowed for t in themes
        ):
            errors["themes"] = ["Tick only themes from the list"]
        else:
            values["themes"] = sorted(set(themes))
    for field in grading.TEXT_FIELDS:
        if field in changes:
            value = changes[field]
            if not isinstance(value, str) or len(value) > grading.MAX_TEXT or "\x00" in value:
                errors[field] = [
                    f"Shorten this to {grading.MAX_TEXT:,} characters of text or fewer"
                ]
            else:
                values[field] = value
    return values, errors


def saved_fields(changes: dict, invalid: dict) -> list[str]:
    """The names (as errors name them: ``answers.<key>``, ``overall_grade``...) of the
    fields of ``changes`` a save wrote: every one sent, but those in ``invalid``."""
    names = [f"answers.{key}" for key in changes.get("answers") or {}]
    names += [name for name in changes if name != "answers"]
    return sorted(name for name in names if name not in invalid)


def _lost_race(audit_id: int) -> StateConflict:
    """The 409 for a save whose row changed between reading and writing it."""
    current = (
        Audit.objects.filter(pk=audit_id)
        .values_list("version", "status", "assignment__sampled_case__cycle__status")
        .first()
    )
    if current is None:
        return StateConflict("This audit no longer exists; nothing was saved.")
    version, status, cycle_status = current
    if cycle_status in CYCLE_CLOSED:
        return StateConflict(lifecycle.CLOSED_MESSAGE)
    if status == Audit.Status.WITHDRAWN:
        return StateConflict(lifecycle.withdrawn_message(Audit.objects.get(pk=audit_id)))
    if status not in AUDIT_EDITABLE:
        return StateConflict(f"A {Audit.Status(status).label.lower()} audit cannot be edited.")
    return StateConflict(
        STALE_VERSION,
        current_version=version,
    )


def audit_save(*, audit: Audit, actor, version: int | None, changes: dict) -> Audit:
    """Save a draft, all or nothing: any value that is not valid is a DomainError and
    nothing is written (``audit_autosave`` saves the valid ones)."""
    saved, _ = _save(audit=audit, actor=actor, version=version, changes=changes, keep_valid=False)
    return saved


@dataclass(frozen=True)
class Autosaved:
    """What an autosave did: the audit as stored, the fields written and the ones refused,
    each with what to do about it (the value stored before stays)."""

    audit: Audit
    saved: list[str]
    invalid: dict[str, list[str]]


def audit_autosave(*, audit: Audit, actor, version: int | None, changes: dict) -> Autosaved:
    """Save the valid fields of a draft and report the others, so that one answer typed
    wrong ("about 140" for a number) never stops every other answer being saved. The
    version moves, as for any save. When no sent field is valid, nothing is written and it
    is a DomainError (400): a 400 always means nothing changed."""
    saved, invalid = _save(
        audit=audit, actor=actor, version=version, changes=changes, keep_valid=True
    )
    return Autosaved(audit=saved, saved=saved_fields(changes, invalid), invalid=invalid)


def _save(*, audit: Audit, actor, version, changes: dict, keep_valid: bool):
    """Save a draft. ``changes`` may hold answers (merged; null clears one), overall_grade,
    themes and the text fields. A stale ``version`` gets a 409 with the current version.

    ``audit`` is the row as the caller read it. Nothing is locked: the write is one UPDATE
    that only matches while the row still has the version and status read and its cycle is
    not closed (the cycle is not read first: that would cost every save a query), so of two saves
    of one version exactly one succeeds and the other gets the 409 -- the merge of answers
    is always made on the state that is overwritten. A change of grades or status is
    recorded as an Event in the same transaction (see ``draft_write``); a save that changes
    neither (text, yes/no answers) is the UPDATE alone."""
    _check_author(audit, actor)
    _check_editable(audit)
    _check_version(audit, version)
    template = template_for_grading(audit.template_id)
    values, invalid = _draft_values(audit, template, changes)
    if invalid and (not keep_valid or not saved_fields(changes, invalid)):
        raise DomainError("Some answers are not valid; nothing was saved.", fields=invalid)
    now = timezone.now()
    status_before = audit.status
    if audit.status == Audit.Status.ASSIGNED:
        values["status"] = Audit.Status.IN_PROGRESS
        values["started_at"] = now
    values["version"] = audit.version + 1
    values["updated_at"] = now
    before = {**_grades(audit, template), "status": status_before}
    after_grades = _grades_of(
        template.definition,
        values.get("answers", audit.answers),
        values.get("overall_grade", audit.overall_grade),
    )
    after = {**after_grades, "status": values.get("status", status_before)}
    event = None
    if after != before:
        event = {
            "actor": actor,
            "verb": "audit.saved",
            "before": before,
            "after": {**after, "version": values["version"]},
        }
    written = draft_write(
        audit=audit,
        read_version=audit.version,
        read_status=status_before,
        values=values,
        event=event,
    )
    if not written:
        raise _lost_race(audit.pk)
    for field, value in values.items():
        setattr(audit, field, value)
    return audit, invalid


def chosen_for_moderation(audit: Audit, seed: str, share: float) -> str:
    """Why this audit is moderated ('' if it is not): a random share decided by the cycle
    seed (reproducible), plus every other Inadequate and Outstanding overall grade.

    The random share is drawn first, whatever the grade, so the audits marked "random" are
    a simple random sample of all submitted audits: auditor-moderator agreement is
    measured on them alone (figures._reliability), free of the rule's extreme grades."""
    digest = hashlib.sha256(f"{seed}:moderation:{audit.pk}".encode()).digest()
    if int.from_bytes(digest[:8], "big") / 2**64 < share:
        return grading.RANDOM_SHARE
    if audit.overall_grade == 1:
        return grading.INADEQUATE
    if audit.overall_grade == max(audit.template.scale):
        return grading.OUTSTANDING
    return ""


def audit_submit(*, audit: Audit, actor, version: int | None) -> Audit:
    with transaction.atomic():
        audit = _locked(audit.pk)
        _check_author(audit, actor)
        lifecycle.check_cycle_open(audit.assignment.sampled_case.cycle)
        if audit.status not in AUDIT_EDITABLE:
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
        reconciliation_open_if_needed(audit=audit, actor=actor)
        if audit.overall_grade == 1:
            case = audit.assignment.sampled_case.case
            transaction.on_commit(
                lambda: notify.send(
                    notify.case_managers_and_qa_leads(case),
                    f"Inadequate grade in audit {audit.pk}",
                    f"Audit {audit.pk} was graded Inadequate overall. Please review the case "
                    "and the audit in CaseAssure.",
                    page=notify.link("web:audit", audit.pk),
                    kind=notify.INADEQUATE_GRADE,
                )
            )
    return audit


def staff_of(user) -> Staff:
    staff = Staff.objects.filter(user=user).first()
    if staff is None:
        raise Forbidden("Your login is not linked to a member of staff.")
    return staff
