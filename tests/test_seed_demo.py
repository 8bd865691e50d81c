"""The demo council: realistic, deterministic for a seed, never in production; with its
history (two finished quarterly cycles with reports, one in progress)."""

import io
from collections import Counter
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db.models import Count

from audits.core.demo_council import build_council
from audits.core.demo_history import audit_answers, quarter_of
from audits.core.grading import submission_errors
from audits.models import (
    Action,
    Allocation,
    Audit,
    Case,
    Conflict,
    Cycle,
    Escalation,
    Event,
    Moderation,
    Reconciliation,
    Report,
    SampledCase,
    Team,
)
from audits.selectors import sample_record
from audits.services import actions, reports
from audits.services.templates import current_template


def test_the_same_seed_builds_the_same_council():
    first = build_council(cases=200, seed=7, today=date(2026, 11, 1))
    again = build_council(cases=200, seed=7, today=date(2026, 11, 1))
    other = build_council(cases=200, seed=8, today=date(2026, 11, 1))
    assert first == again
    assert first.cases != other.cases


def test_seed_demo_loads_a_council_with_the_promised_logins(db):
    call_command("seed_demo", cases=300, history=False, stdout=io.StringIO())
    assert Team.objects.count() == 12
    assert Case.objects.count() == 300
    assert Allocation.objects.count() > 300
    assert Conflict.objects.exists()
    usernames = set(User.objects.values_list("username", flat=True))
    expected = {"qa.lead", "internal.audit", "admin", "manager.child-protection-one"}
    expected |= {f"auditor.{n}" for n in range(1, 9)}
    assert expected <= usernames
    # Every social worker signs in as a practitioner, with no other role.
    worker = User.objects.get(username="sw0401")
    assert set(worker.groups.values_list("name", flat=True)) == {"practitioner"}
    assert worker.staff.staff_ref == "SW0401"
    assert worker.check_password("caseassure-demo-2026")
    case_types = set(Case.objects.values_list("case_type", flat=True))
    assert {"cin", "cp", "cla", "referral", "assessment", "care_leaver", "early_help"} <= case_types
    # Running again changes nothing.
    call_command("seed_demo", cases=300, history=False, stdout=io.StringIO())
    assert Case.objects.count() == 300


def test_seed_demo_refuses_production(db, settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        call_command("seed_demo", cases=10, stdout=io.StringIO())
    assert not Case.objects.exists()


DAY = datetime(2026, 11, 18, 10, 0, tzinfo=ZoneInfo("Europe/London"))


def _seed(seed: int = 2026) -> None:
    with time_machine.travel(DAY, tick=False):
        call_command("seed_demo", cases=600, seed=seed, stdout=io.StringIO())


def test_the_generator_answers_every_question_and_the_audit_can_be_submitted(db):
    template = current_template()
    changes = audit_answers(
        seed=1,
        definition=template.definition,
        themes=template.themes,
        team="Child Protection Two",
        case_ref="C123456",
        auditor="QA002",
    )
    assert changes == audit_answers(
        seed=1,
        definition=template.definition,
        themes=template.themes,
        team="Child Protection Two",
        case_ref="C123456",
        auditor="QA002",
    )
    errors = submission_errors(
        template.definition,
        changes["answers"],
        overall_grade=changes["overall_grade"],
        rationale=changes["rationale"],
        scale=template.scale,
    )
    assert errors == {}
    assert changes["themes"]
    assert set(changes["themes"]) <= set(template.themes)


def test_the_demo_has_a_history_a_person_can_look_at(db):
    _seed()
    cycles = list(Cycle.objects.order_by("period_start"))
    # The two quarters before today's, finished and reported, then today's in progress.
    assert [(c.period_start, c.period_end) for c in cycles] == [
        (date(2026, 4, 1), date(2026, 6, 30)),
        (date(2026, 7, 1), date(2026, 9, 30)),
        (date(2026, 10, 1), date(2026, 12, 31)),
    ]
    assert quarter_of(DAY.date()).start == date(2026, 10, 1)
    older, newer, current = cycles
    assert [c.status for c in cycles] == ["reported", "reported", "assigned"]
    for cycle in (older, newer):
        report = Report.objects.get(cycle=cycle)
        assert reports.report_file_bytes(report, "pdf").startswith(b"%PDF")
        assert reports.report_file_bytes(report, "csv").decode().count("\n") > 30
        assert report.figures["opinion"]["level"] in {"Limited", "Reasonable", "Substantial"}
        assert sample_record.sample_verify(cycle=cycle)["match"] is True
        finished = Audit.objects.filter(assignment__sampled_case__cycle=cycle)
        assert set(finished.values_list("status", flat=True)) == {"final"}
        # Double audits, one case with the two auditors a grade apart (to reconcile).
        doubles = (
            SampledCase.objects.filter(cycle=cycle).annotate(n=Count("assignments")).filter(n=2)
        )
        assert doubles.count() >= 10
        apart = [
            case
            for case in doubles
            if len({a.audit.overall_grade for a in case.assignments.all()}) == 2
        ]
        assert apart
        # Every pair a grade or more apart was reconciled: agreed grades with a reason.
        reconciled = Reconciliation.objects.filter(sampled_case__cycle=cycle)
        assert reconciled.count() >= len(apart)
        assert set(reconciled.values_list("status", flat=True)) == {"agreed"}
        assert all(reconciled.values_list("reason", flat=True))
        # A rework round: returned with a reason, resubmitted by its auditor, then final.
        returned = Moderation.objects.get(
            audit__assignment__sampled_case__cycle=cycle, decision="return"
        )
        assert returned.reason
        assert returned.audit.status == "final"
        submitted = Event.objects.filter(
            verb="audit.submitted", object_id=str(returned.audit.pk)
        ).count()
        assert submitted == 2
        assert Moderation.objects.filter(
            audit__assignment__sampled_case__cycle=cycle, decision="change"
        ).exists()
    # Grades vary by team and across the scale.
    grades = Counter(Audit.objects.filter(status="final").values_list("overall_grade", flat=True))
    assert set(grades) >= {2, 3, 4}
    # The cycle in progress has work for My audits and for Moderation.
    states = set(
        Audit.objects.filter(assignment__sampled_case__cycle=current).values_list(
            "status", flat=True
        )
    )
    assert {"assigned", "in_progress", "submitted"} <= states
    # Actions in every state, exactly one overdue.
    assert set(Action.objects.values_list("status", flat=True)) == {"open", "done", "verified"}
    with time_machine.travel(DAY, tick=False):
        overdue = [a for a in Action.objects.all() if actions.is_overdue(a)]
    assert len(overdue) == 1
    # A safeguarding escalation acknowledged in the older cycle, open in the newer.
    by_cycle = dict(
        Escalation.objects.values_list("audit__assignment__sampled_case__cycle", "status")
    )
    assert by_cycle == {older.pk: "acknowledged", newer.pk: "open"}
    # Every demo draw says it is a demo.
    assert {c.frame.witness_input for c in cycles} == {"demo seed 2026"}


AUDIT_JOINS = ("assignment__sampled_case__case", "assignment__auditor")


def _audit_row(audit: Audit) -> tuple:
    assigned = audit.assignment
    return (
        assigned.sampled_case.case.case_ref,
        assigned.auditor.staff_ref,
        assigned.role,
        audit.status,
        audit.overall_grade,
        audit.moderated_overall_grade,
        sorted(audit.answers.items()),
        audit.rationale,
        audit.themes,
    )


def _fingerprint() -> dict:
    return {
        "samples": sorted(
            SampledCase.objects.values_list("cycle__name", "case__case_ref", "stratum", "rank")
        ),
        "audits": sorted(_audit_row(a) for a in Audit.objects.select_related(*AUDIT_JOINS)),
        "seeds": sorted(Cycle.objects.values_list("name", "frame__seed")),
        "reports": sorted(Report.objects.values_list("cycle__name", "report_hash", "opinion")),
        "actions": sorted(Action.objects.values_list("case__case_ref", "status", "due_date")),
    }


@pytest.mark.django_db(transaction=True)
def test_the_same_seed_makes_the_same_history():
    """Twice on an empty database (ids from 1: which audits are moderated depends on them).
    The project's flush empties the tables and restarts the id sequences as the owner role
    (the runtime role may not reset a sequence, as in production)."""
    call_command("flush", interactive=False, verbosity=0)
    _seed(11)
    first = _fingerprint()
    assert len(first["reports"]) == 2
    assert len(first["audits"]) > 90
    call_command("flush", interactive=False, verbosity=0)  # the rows and the id sequences
    _seed(11)
    assert _fingerprint() == first
