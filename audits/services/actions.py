"""Actions that follow audits: open -> done (with evidence) -> verified, reminders, and
follow-up audits for cases whose actions are done."""

from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from audits.core import action_rules
from audits.core.errors import DomainError, Forbidden, StateConflict
from audits.core.grading import questions
from audits.infra import notify
from audits.models import Action, ActionNote, Audit, Case, FollowUp
from audits.selectors import permissions
from audits.services.history import event_record

REMIND_DAYS_BEFORE = 3
NEXT_STATUS = {Action.Status.OPEN: Action.Status.DONE, Action.Status.DONE: Action.Status.VERIFIED}


# The audits an action can be agreed on: under way or submitted.
ACTIONABLE_AUDIT_STATUSES = (Audit.Status.SUBMITTED, Audit.Status.FINAL, Audit.Status.IN_PROGRESS)


# What an open action's terms are; changing them is a manager's decision.
EDITABLE_WHILE_OPEN = ("description", "priority", "due_date", "owner", "improvement_item")


def action_raise(*, actor, audit: Audit | None, fields: dict) -> Action:
    """An action agreed on an audit, by its auditor or a manager of its cycle."""
    if audit is None:
        raise DomainError("Actions are raised from an audit.", fields={"audit": ["required"]})
    if not permissions.can_raise_action(actor, audit):
        raise Forbidden("Only the auditor or a manager of its cycle raises actions from it.")
    return action_create(actor=actor, audit=audit, case=None, fields=fields)


def action_update(
    *, actor, action: Action, changes: dict, status: str, evidence_note: str = ""
) -> Action:
    """Change an open action's terms (a manager of its team) and/or move it on a step."""
    edits = {
        k: v for k, v in changes.items() if k in EDITABLE_WHILE_OPEN and getattr(action, k) != v
    }
    if edits:
        if action.status != Action.Status.OPEN:
            raise StateConflict("Only an open action can be edited.")
        _check_due_date(edits.get("due_date"))
        if not permissions.can_change_action_terms(actor, action):
            raise Forbidden("Only a manager of the action's team changes its terms.")
        with transaction.atomic():
            before = {k: str(getattr(action, k)) for k in edits}
            for key, value in edits.items():
                setattr(action, key, value)
            action.save()
            after = {k: str(v) for k, v in edits.items()}
            event_record(actor=actor, verb="action.updated", obj=action, before=before, after=after)
    if status != action.status:
        action = action_advance(
            action=action, actor=actor, status=status, evidence_note=evidence_note
        )
    return action


def action_create(
    *, actor, audit: Audit | None, case: Case | None, fields: dict, agreed_on: date | None = None
) -> Action:
    """An action on an audit (or a case). Its due date is on or after the day it is agreed:
    today, or ``agreed_on`` when history is recorded after the fact (the demo's past
    cycles; neither the pages nor the API can give it)."""
    if audit is not None:
        case = audit.assignment.sampled_case.case
        if audit.status not in ACTIONABLE_AUDIT_STATUSES:
            raise StateConflict("Actions are agreed on audits that are under way or submitted.")
    if case is None:
        raise DomainError("Name the audit or the case.", fields={"audit": ["required"]})
    fields = dict(fields)
    if fields.get("owner") is None:
        # Owned by the case's allocated worker unless someone else is named.
        if case.worker is None or not case.worker.is_active:
            raise DomainError(
                "The action is not valid.", fields={"owner": [action_rules.NO_WORKER]}
            )
        fields["owner"] = case.worker
    _check_due_date(fields.get("due_date"), agreed_on)
    question_key = fields.get("question_key", "")
    if audit is not None and question_key:
        known = {q["key"] for q in questions(audit.template.definition)}
        if question_key not in known:
            raise DomainError("Unknown question.", fields={"question_key": ["not on this form"]})
    with transaction.atomic():
        action = Action.objects.create(
            audit=audit,
            case=case,
            team=case.team,
            created_by=actor,
            question_key=question_key,
            **{k: v for k, v in fields.items() if k != "question_key"},
        )
        event_record(
            actor=actor, verb="action.created", obj=action, after={"status": action.status}
        )
    return action


def _check_due_date(due, agreed_on: date | None = None) -> None:
    if problem := action_rules.due_date_problem(due, agreed_on or timezone.localdate()):
        raise DomainError("The action is not valid.", fields={"due_date": [problem]})


def action_advance(*, action: Action, actor, status: str, evidence_note: str = "") -> Action:
    """Move an action on one step; done needs an evidence note; verified needs a manager
    who is not the owner."""
    with transaction.atomic():
        action = (
            Action.objects.select_for_update(of=("self",)).select_related("owner").get(pk=action.pk)
        )
        if NEXT_STATUS.get(action.status) != status:
            raise StateConflict(f"An action that is {action.status} cannot become {status}.")
        before = action.status
        if status == Action.Status.DONE:
            if not permissions.can_update_action_progress(actor, action):
                raise Forbidden("The action's owner or a manager of its team marks it done.")
            note = (evidence_note or "").strip()
            if not note:
                raise DomainError("Say what was done.", fields={"evidence_note": ["required"]})
            action.evidence_note = note[:10_000]
            action.done_at = timezone.now()
            action.done_by = actor
        else:
            problem = permissions.action_verify_problem(actor, action)
            if problem:
                raise Forbidden(problem)
            action.verified_at = timezone.now()
            action.verified_by = actor
        action.status = status
        action.save()
        event_record(
            actor=actor,
            verb=f"action.{status}",
            obj=action,
            before={"status": before},
            after={"status": status},
        )
    return action


def action_note_add(*, actor, action: Action, text: str) -> ActionNote:
    """A note of progress on an open action, by its owner or a manager of its team."""
    text = (text or "").strip()
    if not text:
        raise DomainError("Write the note.", fields={"text": ["Write the note."]})
    if len(text) > 10_000:
        raise DomainError("The note is too long.", fields={"text": ["At most 10000 characters."]})
    if not permissions.can_update_action_progress(actor, action):
        raise Forbidden("The action's owner or a manager of its team adds notes.")
    with transaction.atomic():
        action = Action.objects.select_for_update(of=("self",)).get(pk=action.pk)
        if action.status != Action.Status.OPEN:
            raise StateConflict("Notes are added while the action is open.")
        note = ActionNote.objects.create(action=action, author=actor, text=text)
        event_record(actor=actor, verb="action.note_added", obj=action,
                     after={"note": note.pk}, reason=text)  # fmt: skip
    return note


def actions_remind(now: datetime | None = None) -> dict[str, int]:
    """Email owners of actions due soon (once) and of overdue actions (once a week)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    sent = {"due_soon": 0, "overdue": 0}
    due_soon = Action.objects.filter(
        status=Action.Status.OPEN,
        due_date__gte=today,
        due_date__lte=today + timedelta(days=REMIND_DAYS_BEFORE),
        reminded_due_at__isnull=True,
    ).select_related("owner", "case")
    for action in due_soon:
        if Action.objects.filter(pk=action.pk, reminded_due_at__isnull=True).update(
            reminded_due_at=now
        ):
            subject = f"Action {action.pk} is due on {action.due_date:%d %B %Y}"
            body = f"Action {action.pk} is due soon."
            page = notify.link("web:actions")
            notify.send([action.owner], subject, body, page=page, kind=notify.ACTION_DUE)
            sent["due_soon"] += 1
    week_ago = now - timedelta(days=7)
    overdue = Action.objects.filter(status=Action.Status.OPEN, due_date__lt=today).select_related(
        "owner", "case"
    )
    for action in overdue:
        last = action.reminded_overdue_at
        if last is not None and last > week_ago:
            continue
        if Action.objects.filter(pk=action.pk, reminded_overdue_at=last).update(
            reminded_overdue_at=now
        ):
            subject = f"OVERDUE: action {action.pk} was due on {action.due_date:%d %B %Y}"
            body = f"Action {action.pk} is overdue."
            notify.send(
                [action.owner, *notify.team_managers(action.team)],
                subject,
                body,
                page=notify.link("web:actions"),
                kind=notify.ACTION_OVERDUE,
            )
            sent["overdue"] += 1
    return sent


def is_overdue(action: Action, today: date | None = None) -> bool:
    return action.status == Action.Status.OPEN and action.due_date < (today or timezone.localdate())


def follow_up_request(*, case: Case, actor, reason: str) -> FollowUp:
    """Put a case forward for a follow-up audit once every action on it is done."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("A reason is required.", fields={"reason": ["required"]})
    with transaction.atomic():
        actions = Action.objects.select_for_update().filter(case=case)
        if not actions.exists():
            raise StateConflict("A follow-up audit needs actions on the case first.")
        if actions.filter(status=Action.Status.OPEN).exists():
            raise StateConflict("Every action on the case must be done before a follow-up audit.")
        if FollowUp.objects.filter(case=case, included_in__isnull=True).exists():
            raise StateConflict("This case is already waiting for a follow-up audit.")
        follow_up = FollowUp.objects.create(case=case, reason=reason, requested_by=actor)
        event_record(actor=actor, verb="follow_up.requested", obj=follow_up, reason=reason)
    return follow_up
