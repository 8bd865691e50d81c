"""The demo council's history, made through the real services: two finished quarterly
cycles (drawn, assigned, graded, double-audited, moderated with a rework, actions in every
state, a safeguarding escalation, a report compiled by the worker's task) and the current
quarter's cycle in progress. Only ``seed_demo`` calls this, and it refuses production.

The draw's server randomness: a draw reads fresh bits from the operating system after the
frame is frozen, and nothing in ``sample_draw`` lets a caller supply them (that would let a
caller choose the sample). The demo needs the same sample for the same seed, so while
``demo_history_build`` draws, ``_demo_server_random`` stands in for the generator with bits
derived from the demo seed, and puts the real one back afterwards. It refuses to run in
production, the witness input of each demo draw says it is a demo ("demo seed 2026"), and
the frame records the bits used, so the sample still re-checks with verify_sample.py.
"""

from contextlib import contextmanager
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction

from audits.core import demo_history, sampling
from audits.core import reconciliation as compare
from audits.core.errors import Forbidden, StateConflict
from audits.models import Action, Assignment, Audit, Cycle, Reconciliation, Staff
from audits.services import (
    actions,
    assignment,
    audits,
    escalations,
    lifecycle,
    moderation,
    reports,
    sample,
)
from audits.services.history import event_record
from audits.services.reconciliation import reconciliation_agree
from audits.services.templates import current_template

SAMPLE_SIZE = 30
SECOND_SHARE = 0.4  # 12 double audits of 30: enough to measure agreement on
LIFT = {"older": 0.0, "newer": 0.35, "current": 0.45}  # practice improving
REWORK_REASON = "The rationale does not say what the child's plan was; add it and resubmit."
COMPILE_TASK = "worker.tasks.compile_report"


def refuse_in_production() -> None:
    if settings.PRODUCTION:
        raise StateConflict("The demo council is refused with DJANGO_ENV=production.")


@contextmanager
def _demo_server_random(seed: int, label: str):
    """Within the block, a draw's server bits come from the demo seed (see the module)."""
    refuse_in_production()
    real = sampling.new_server_random
    sampling.new_server_random = lambda: demo_history.server_random(seed, label)
    try:
        yield
    finally:
        sampling.new_server_random = real


def demo_history_build(*, seed: int, today: date) -> dict:
    """Make the history; returns the cycles by name."""
    refuse_in_production()
    lead = User.objects.get(username="qa.lead")
    older, newer, current = demo_history.quarters_to(today, 2)
    made = {
        "older": _finished_cycle(lead, older, seed, today, LIFT["older"], acknowledge=True),
        "newer": _finished_cycle(lead, newer, seed, today, LIFT["newer"], acknowledge=False),
        "current": _cycle_in_progress(lead, current, seed, LIFT["current"]),
    }
    for key in ("older", "newer"):
        _compile_report(made[key], lead)
    return made


def _new_cycle(lead, quarter, seed: int, moderation_share: float) -> Cycle:
    with transaction.atomic():
        cycle = Cycle.objects.create(
            name=f"Quarterly audit, {quarter.label}",
            period_start=quarter.start,
            period_end=quarter.end,
            stratify_by=Cycle.Stratify.CASE_TYPE,
            plan={"method": "fixed", "n": SAMPLE_SIZE, "allocation": "proportional", "minimum": 2},
            template=current_template(),
            second_share=SECOND_SHARE,
            moderation_share=moderation_share,
            created_by=lead,
        )
        event_record(actor=lead, verb="created", obj=cycle, after={"name": cycle.name})
    with _demo_server_random(seed, quarter.label):
        sample.sample_draw(cycle=cycle, actor=lead, witness_input=f"demo seed {seed}")
    assignment.cycle_assign(cycle=cycle, actor=lead)
    return cycle


def _audits_of(cycle: Cycle) -> list[Audit]:
    return list(
        Audit.objects.filter(assignment__sampled_case__cycle=cycle)
        .exclude(status=Audit.Status.WITHDRAWN)
        .select_related(
            "template", "assignment__auditor__user", "assignment__sampled_case__case__team"
        )
        .order_by("assignment__sampled_case__rank", "assignment__sampled_case__stratum", "pk")
    )


def _changes(audit: Audit, seed: int, lift: float, shift: int = 0) -> dict:
    case = audit.assignment.sampled_case.case
    return demo_history.audit_answers(
        seed=seed,
        definition=audit.template.definition,
        themes=list(audit.template.themes),
        team=case.team.name,
        case_ref=case.case_ref,
        auditor=audit.assignment.auditor.staff_ref,
        shift=shift,
        lift=lift,
    )


def _grade_and_submit(audit: Audit, changes: dict, submit: bool = True) -> Audit:
    user = audit.assignment.auditor.user
    saved = audits.audit_save(audit=audit, actor=user, version=audit.version, changes=changes)
    if not submit:
        return saved
    return audits.audit_submit(audit=saved, actor=user, version=saved.version)


def _grade_all(cycle: Cycle, seed: int, lift: float) -> list[tuple[Audit, Audit]]:
    """Every audit graded and submitted; returns the double-audited pairs. The first pair's
    second auditor sees the case a grade differently, so it needs reconciling."""
    everything = _audits_of(cycle)
    primaries = {}
    for audit in everything:
        if audit.assignment.role == Assignment.Role.PRIMARY:
            primaries[audit.assignment.sampled_case_id] = _grade_and_submit(
                audit, _changes(audit, seed, lift)
            )
    pairs = []
    for audit in everything:
        if audit.assignment.role != Assignment.Role.SECOND:
            continue
        first = primaries[audit.assignment.sampled_case_id]
        changes = _changes(audit, seed, lift)
        if not pairs:
            for shift in (1, -1, 2, -2):
                changes = _changes(audit, seed, lift, shift)
                if changes["overall_grade"] != first.overall_grade:
                    break
        pairs.append((first, _grade_and_submit(audit, changes)))
    return pairs


def _moderate(cycle: Cycle, lead) -> None:
    """The QA lead moderates every audit awaiting it: the first goes back for rework, and
    its auditor resubmits; of the rest, every third has its overall grade changed."""
    waiting = [a for a in _audits_of(cycle) if a.status == Audit.Status.SUBMITTED]
    if not waiting:
        return
    reworked = waiting[0]
    moderation.moderation_record(
        audit=reworked, actor=lead, decision="return", reason=REWORK_REASON
    )
    reworked.refresh_from_db()
    changes = {"rationale": f"{reworked.rationale} The plan was a child in need plan, reviewed."}
    _grade_and_submit(reworked, changes)
    for index, audit in enumerate(_audits_of(cycle)):
        if audit.status != Audit.Status.SUBMITTED:
            continue
        if index % 3 == 2:
            grade = audit.overall_grade + (1 if audit.overall_grade < 3 else -1)
            moderation.moderation_record(
                audit=audit,
                actor=lead,
                decision="change",
                reason="The evidence on file supports a different overall grade.",
                overall_grade=grade,
            )
        else:
            moderation.moderation_record(audit=audit, actor=lead, decision="agree")


def _reconcile_one(*, cycle: Cycle, first: Audit, second: Audit, actor) -> None:
    """Reconcile a double-audited case whose two audits disagree: the moderator records the
    more cautious grade of the two wherever they differ, with a reason. A moderator who is
    not independent of the case leaves it open, as a person would have to."""
    opened = Reconciliation.objects.filter(
        first_audit=first, status=Reconciliation.Status.OPEN
    ).first()
    if opened is None:
        return
    one, two = opened.first_grades, opened.second_grades
    apart = compare.disagreements(one, two)
    domains = {
        domain: int(max(one["domains"][domain], two["domains"][domain]))
        for domain in apart
        if domain != compare.OVERALL
    }
    try:
        reconciliation_agree(
            reconciliation=opened,
            actor=actor,
            overall_grade=int(max(one[compare.OVERALL], two[compare.OVERALL])),
            domain_grades=domains,
            reason="Read the file together: the more cautious grade is the one the record shows.",
        )
    except (Forbidden, StateConflict):
        return


def _team_manager(audit: Audit, lead) -> Staff:
    """The case's team manager (not the QA lead, who also oversees every team)."""
    team = audit.assignment.sampled_case.case.team
    managers = Staff.objects.filter(managed_teams=team, user__isnull=False).exclude(user=lead)
    return managers.order_by("staff_ref")[0]


def _actions(cycle: Cycle, lead, today: date, states: list[str]) -> None:
    """One action per state asked for, on the cycle's lowest-graded final audits."""
    finals = sorted(
        (a for a in _audits_of(cycle) if a.status == Audit.Status.FINAL),
        key=lambda a: (a.moderated_overall_grade or a.overall_grade, a.pk),
    )
    for audit, state in zip(finals, states, strict=False):
        owner = _team_manager(audit, lead)
        due = today - timedelta(days=9) if state == "overdue" else today + timedelta(days=21)
        action = actions.action_create(
            actor=lead,
            audit=audit,
            case=None,
            fields={
                "owner": owner,
                "description": demo_history.pick(
                    demo_history.ACTIONS, audit.assignment.sampled_case.case.case_ref, state
                ),
                "priority": "high" if state == "overdue" else "medium",
                "due_date": due,
            },
            # Agreed when the cycle's audits were moderated, weeks before today.
            agreed_on=today - timedelta(days=30),
        )
        if state in (Action.Status.DONE, Action.Status.VERIFIED):
            action = actions.action_advance(
                action=action,
                actor=owner.user,
                status=Action.Status.DONE,
                evidence_note="Discussed in supervision; the record is now up to date.",
            )
        if state == Action.Status.VERIFIED:
            actions.action_advance(action=action, actor=lead, status=Action.Status.VERIFIED)


def _escalate(cycle: Cycle, lead, acknowledge: bool) -> None:
    lowest = min(
        (a for a in _audits_of(cycle) if a.status == Audit.Status.FINAL),
        key=lambda a: (a.moderated_overall_grade or a.overall_grade, a.pk),
    )
    raised = escalations.escalation_raise(
        audit=lowest,
        actor=lowest.assignment.auditor.user,
        concern="No record that the child has been seen alone for four months; please check "
        "the child is safe today.",
    )
    if acknowledge:
        escalations.escalation_acknowledge(
            escalation=raised,
            actor=lead,
            response="Team manager visited the next day; the child was seen alone and is safe.",
        )


def _finished_cycle(
    lead, quarter, seed: int, today: date, lift: float, *, acknowledge: bool
) -> Cycle:
    cycle = _new_cycle(lead, quarter, seed, moderation_share=0.3)
    pairs = _grade_all(cycle, seed, lift)
    _moderate(cycle, lead)
    for first, second in pairs:  # every pair a grade or more apart, anywhere
        _reconcile_one(cycle=cycle, first=first, second=second, actor=lead)
    states = ["verified", "verified", "done"] if acknowledge else ["open", "done", "overdue"]
    _actions(cycle, lead, today, states)
    _escalate(cycle, lead, acknowledge)
    lifecycle.cycle_close(cycle=cycle, actor=lead, reason="Quarter finished; every audit done.")
    return cycle


def _cycle_in_progress(lead, quarter, seed: int, lift: float) -> Cycle:
    """Drawn and assigned; a third of the audits submitted (half of those wait for
    moderation), a third started, the rest not yet opened."""
    cycle = _new_cycle(lead, quarter, seed, moderation_share=0.5)
    everything = [a for a in _audits_of(cycle) if a.assignment.role == Assignment.Role.PRIMARY]
    third = len(everything) // 3
    for audit in everything[:third]:
        _grade_and_submit(audit, _changes(audit, seed, lift))
    for audit in everything[third : 2 * third]:
        changes = _changes(audit, seed, lift)
        half = dict(list(changes["answers"].items())[: len(changes["answers"]) // 2])
        _grade_and_submit(audit, {"answers": half}, submit=False)
    return cycle


def _compile_report(cycle: Cycle, lead) -> None:
    """Request the report, then run the worker's own task here, in this process, so the
    report and its files exist when ``seed_demo`` returns (a worker that later receives the
    queued message finds the job done and leaves it)."""
    from celery import current_app

    job = reports.report_request(cycle=cycle, actor=lead)
    current_app.loader.import_default_modules()
    current_app.tasks[COMPILE_TASK].apply(args=(job.pk,), throw=True)
