"""Blind double audits: compared when the second of the pair is submitted; a disagreement
opens a reconciliation that an independent moderator closes with the agreed grades and the
reason. The auditors' own grades are never changed: reliability is measured on them."""

from django.db import transaction
from django.utils import timezone

from audits.core import reconciliation as compare
from audits.core.errors import DomainError, Forbidden, StateConflict
from audits.core.rules import MODERATION_RULES
from audits.core.statuses import AUDIT_COMPLETED as COMPLETED_STATES
from audits.infra import notify
from audits.models import Assignment, Audit, Reconciliation, Staff
from audits.selectors.case_facts import blocking_rules
from audits.services.history import event_record
from audits.services.lifecycle import check_cycle_open
from audits.services.summaries import audit_summary_record

REASON_MAX = 10_000


def grades_of(audit: Audit) -> dict:
    """The grades the auditor gave (never the moderated ones)."""
    return compare.independent_grades(audit.template.definition, audit.answers, audit.overall_grade)


def reconciliation_open_if_needed(*, audit: Audit, actor) -> Reconciliation | None:
    """Called by ``audit_submit`` in its transaction once ``audit`` is completed. When the
    case's other audit is completed too, the pair is ready to compare: both auditors and
    the moderators are told, and a disagreement opens a reconciliation (once per case)."""
    sampled = audit.assignment.sampled_case
    pair = {
        a.assignment.role: a
        for a in Audit.objects.filter(assignment__sampled_case=sampled)
        .exclude(status=Audit.Status.WITHDRAWN)
        .select_related("template", "assignment__auditor")
    }
    first, second = pair.get(Assignment.Role.PRIMARY), pair.get(Assignment.Role.SECOND)
    if first is None or second is None:
        return None
    if first.status not in COMPLETED_STATES or second.status not in COMPLETED_STATES:
        return None
    found = Reconciliation.objects.filter(sampled_case=sampled).first()
    if found is not None:
        return found  # resubmitted after rework: the first comparison stands
    first_grades, second_grades = grades_of(first), grades_of(second)
    apart = compare.disagreements(first_grades, second_grades)
    opened = None
    if apart:
        opened = Reconciliation.objects.create(
            sampled_case=sampled,
            first_audit=first,
            second_audit=second,
            first_grades=first_grades,
            second_grades=second_grades,
            disagreements=apart,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        event_record(
            actor=actor,
            verb="reconciliation.opened",
            obj=opened,
            after={"first": first_grades, "second": second_grades, "apart": apart},
        )
    _tell_ready(first, second, opened)
    return opened


def _tell_ready(first: Audit, second: Audit, opened: Reconciliation | None) -> None:
    """Email both auditors (a link to their own audit) and the QA leads (a link to the
    reconciliation, or the moderation queue), once the submission is committed."""
    auditors = [first.assignment.auditor, second.assignment.auditor]
    moderators = [s for s in notify.qa_leads() if s.pk not in {a.pk for a in auditors}]
    outcome = (
        "They differ, so a moderator will record the agreed grades."
        if opened
        else "They agree, so the first audit's grades stand."
    )
    body = f"Both audits of a double-audited case are submitted (audit {first.pk}). {outcome}"
    subject = "Double audit ready to compare"
    moderation_page = (
        notify.link("web:reconcile", opened.pk) if opened else notify.link("web:moderation")
    )

    def send() -> None:
        for auditor, audit in zip(auditors, (first, second), strict=True):
            notify.send(
                [auditor],
                subject,
                body,
                page=notify.link("web:audit", audit.pk),
                kind=notify.DOUBLE_AUDIT_READY,
            )
        notify.send(moderators, subject, body, page=moderation_page, kind=notify.DOUBLE_AUDIT_READY)

    transaction.on_commit(send)


def _check_moderator(reconciliation: Reconciliation, actor):
    moderator = Staff.objects.filter(user=actor).first()
    if moderator is None:
        raise Forbidden("Your login is not linked to a member of staff.")
    sampled = reconciliation.sampled_case
    if sampled.assignments.filter(auditor=moderator).exists():
        raise Forbidden("You audited this case, so you cannot reconcile its audits.")
    blocked = blocking_rules(sampled, moderator, list(MODERATION_RULES))
    if blocked:
        raise Forbidden("You are not independent of this case, so you cannot reconcile it.")
    return moderator


def reconciliation_agree(
    *, reconciliation: Reconciliation, actor, overall_grade=None, domain_grades=None, reason=""
) -> Reconciliation:
    """Record the agreed grades of a disagreeing double audit, with the reason."""
    reason = reason.strip() if isinstance(reason, str) else ""
    with transaction.atomic():
        reconciliation = (
            Reconciliation.objects.select_for_update(of=("self",))
            .select_related("sampled_case__cycle", "first_audit__template")
            .get(pk=reconciliation.pk)
        )
        check_cycle_open(reconciliation.sampled_case.cycle)
        if reconciliation.status != Reconciliation.Status.OPEN:
            raise StateConflict("The agreed grades of this double audit are already recorded.")
        moderator = _check_moderator(reconciliation, actor)
        first = reconciliation.first_audit
        statuses = {first.status, reconciliation.second_audit.status}
        if not statuses <= set(COMPLETED_STATES):
            raise StateConflict(
                "One of the two audits was returned for rework: reconcile them once it is "
                "submitted again."
            )
        agreed, errors = compare.agreed_grades(
            reconciliation.first_grades,
            reconciliation.second_grades,
            overall_grade=overall_grade,
            domain_grades=domain_grades,
            scale=first.template.scale,
        )
        if not reason:
            errors["reason"] = ["say why these are the agreed grades"]
        elif len(reason) > REASON_MAX:
            errors["reason"] = [f"must be at most {REASON_MAX} characters"]
        if errors:
            raise DomainError("The agreed grades cannot be recorded yet.", fields=errors)
        reconciliation.status = Reconciliation.Status.AGREED
        reconciliation.agreed_overall_grade = agreed[compare.OVERALL]
        reconciliation.agreed_domain_grades = agreed["domains"]
        reconciliation.reason = reason
        reconciliation.agreed_by = moderator
        reconciliation.agreed_at = timezone.now()
        reconciliation.save()
        audit_summary_record(audit=first)
        event_record(
            actor=actor,
            verb="reconciliation.agreed",
            obj=reconciliation,
            before={"first": reconciliation.first_grades, "second": reconciliation.second_grades},
            after=agreed,
            reason=reason,
        )
    return reconciliation
