"""Build a realistic finished audit cycle through the real services (no shortcuts past
the rules): demo council, draw, assign, auditors grade and submit, moderation, an
escalation and some actions."""

import hashlib
import io
import random
from collections.abc import Callable
from contextlib import contextmanager
from datetime import date, timedelta

from django.contrib.auth.models import User
from django.core.management import call_command

from audits.core import grading, sampling
from audits.models import Audit, Cycle, Staff
from audits.services import actions, assignment, audits, escalations, moderation, sample
from audits.services.templates import current_template


@contextmanager
def known_server_random(label: str):
    """The same sample on every run of a test: the server's random part of the seed is
    fixed here, as nothing in the app can fix it (the seed is still derived from parts)."""
    value = hashlib.sha256(label.encode()).hexdigest()
    real = sampling.new_server_random
    sampling.new_server_random = lambda: value
    try:
        yield value
    finally:
        sampling.new_server_random = real


def finished_cycle(
    *,
    cases: int = 300,
    n: int = 40,
    seed: int = 5,
    complete: float = 1.0,
    peer_auditors: bool = True,
    ends: date | None = None,
    stratify_by: str = "case_type",
    before_audits: Callable[[Cycle, User], None] | None = None,
) -> Cycle:
    """A cycle over the quarter to ``ends`` (today by default), drawn, assigned, audited
    (``complete`` of its audits) and moderated. ``before_audits(cycle, lead)`` runs once the
    cycle is assigned and before anyone audits: to replace a case or override a rule."""
    if not User.objects.filter(username="qa.lead").exists():
        call_command("seed_demo", cases=cases, seed=seed, history=False, stdout=io.StringIO())
    lead = User.objects.get(username="qa.lead")
    if not peer_auditors:
        Staff.objects.filter(user__groups__name="manager").update(capacity=0)
    today = date.today()
    ends = ends or today
    cycle = Cycle.objects.create(
        name=f"Quarter to {ends:%B %Y}",
        period_start=ends - timedelta(days=90),
        period_end=ends,
        stratify_by=stratify_by,
        plan={"method": "fixed", "n": n, "allocation": "proportional", "minimum": 2},
        template=current_template(),
        second_share=0.25,
        moderation_share=0.2,
        created_by=lead,
    )
    with known_server_random(f"report-test-{seed}"):
        sample.sample_draw(cycle=cycle, actor=lead)
    assignment.cycle_assign(cycle=cycle, actor=lead)
    if before_audits is not None:
        before_audits(cycle, lead)
    rng = random.Random(seed)
    template = cycle.template
    questions = grading.questions(template.definition)
    themes = template.themes
    all_audits = list(
        Audit.objects.filter(assignment__sampled_case__cycle=cycle)
        .exclude(status=Audit.Status.WITHDRAWN)
        .select_related("assignment__auditor__user")
        .order_by("pk")
    )
    for audit in all_audits[: round(len(all_audits) * complete)]:
        level = rng.choice([1, 2, 2, 3, 3, 3, 3, 4])
        answers = {}
        for question in questions:
            if question["kind"] == "grade":
                answers[question["key"]] = max(1, min(4, level + rng.choice([-1, 0, 0, 0, 1])))
            elif question["kind"] == "yes_no_na":
                answers[question["key"]] = rng.choice(["yes", "no", "na"])
            elif question["kind"] == "choice":
                answers[question["key"]] = question["choices"][0]
        limiting = min(answers[q["key"]] for q in questions if q.get("limiting"))
        user = audit.assignment.auditor.user
        saved = audits.audit_save(
            audit=audit,
            actor=user,
            version=audit.version,
            changes={
                "answers": answers,
                "overall_grade": min(level, limiting),
                "rationale": "Overall judgement explained",
                "themes": rng.sample(themes, 2),
            },
        )
        audits.audit_submit(audit=saved, actor=user, version=saved.version)
    moderator = User.objects.get(username="qa.lead")
    for audit in Audit.objects.filter(assignment__sampled_case__cycle=cycle, status="submitted"):
        if audit.pk % 2:
            moderation.moderation_record(audit=audit, actor=moderator, decision="agree")
        else:
            moderation.moderation_record(
                audit=audit,
                actor=moderator,
                decision="change",
                reason="Evidence is stronger",
                overall_grade=min(4, (audit.overall_grade or 1) + 1),
            )
    first = Audit.objects.filter(assignment__sampled_case__cycle=cycle, status="final").first()
    if first is None:
        return cycle  # nothing audited yet: no escalation, no action
    escalations.escalation_raise(
        audit=first, actor=first.assignment.auditor.user, concern="Concern"
    )
    owner = Staff.objects.filter(staff_ref__startswith="SW").first()
    for index, audit in enumerate(
        Audit.objects.filter(assignment__sampled_case__cycle=cycle, status="final")[:6]
    ):
        actions.action_create(
            actor=moderator,
            audit=audit,
            case=None,
            fields={
                "owner": owner,
                "description": f"Action {index}",
                "priority": ["high", "medium", "low"][index % 3],
                "due_date": today + timedelta(days=30 - 20 * (index % 2)),
            },
        )
    return cycle


def disagreeing_double_audit(cycle: Cycle, *, not_case=None, not_auditors=()):
    """Submit, through the services, the second audit of a double-audited case whose first
    audit is completed, grading it apart from the first: a reconciliation opens."""
    from audits.models import Reconciliation

    for second in Audit.objects.filter(
        assignment__sampled_case__cycle=cycle, assignment__role="second", status="assigned"
    ).select_related("assignment__auditor__user", "template"):
        sampled = second.assignment.sampled_case
        first = sampled.assignments.get(role="primary").audit
        if first.status not in ("submitted", "final") or sampled.case_id == not_case:
            continue
        if {first.assignment.auditor.user_id, second.assignment.auditor.user_id} & {
            user.pk for user in not_auditors
        }:
            continue
        level = 2 if first.overall_grade != 2 else 1
        answers = {
            q["key"]: level if q["kind"] == "grade" else first.answers[q["key"]]
            for q in grading.questions(second.template.definition)
            if q["key"] in first.answers
        }
        user = second.assignment.auditor.user
        saved = audits.audit_save(
            audit=second,
            actor=user,
            version=second.version,
            changes={"answers": answers, "overall_grade": level, "rationale": "Apart"},
        )
        audits.audit_submit(audit=saved, actor=user, version=saved.version)
        return Reconciliation.objects.get(sampled_case=sampled)
    raise AssertionError("no double audit with a completed first audit to disagree with")
