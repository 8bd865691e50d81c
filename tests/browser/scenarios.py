"""Data for the page tests, built through the real services: the demo council, a cycle
waiting to be drawn, a cycle drawn and assigned, and a cycle with a compiled report."""

import io
from datetime import date, timedelta

from django.contrib.auth.models import Group, User
from django.core.management import call_command

from audits.models import Audit, Cycle, Report, Staff, Team
from audits.services import assignment, reports, sample
from audits.services.templates import current_template
from tests.builders import finished_cycle, known_server_random
from worker.compile import report_compile

PASSWORD = "caseassure-demo-2026"
LEAD = "qa.lead"


def demo_council(cases: int = 300) -> None:
    if not User.objects.filter(username=LEAD).exists():
        call_command("seed_demo", cases=cases, seed=5, history=False, stdout=io.StringIO())


def outsider() -> User:
    """A signed-in person with no role at all."""
    user, _ = User.objects.get_or_create(username="outsider.eve")
    user.set_password(PASSWORD)
    user.save()
    return user


def team_manager(team_name: str) -> User:
    """A manager of one team who audits nothing."""
    user = User.objects.create_user(username=f"tm.{team_name.lower().replace(' ', '-')}")
    user.groups.set([Group.objects.get(name="manager")])
    staff = Staff.objects.create(user=user, staff_ref=f"TMX-{user.pk}", name="Tara Manager")
    staff.managed_teams.set([Team.objects.get(name=team_name)])
    return user


def person(username: str) -> User:
    return User.objects.get(username=username)


def planned_cycle(name: str = "Spring case audit", n: int = 12) -> Cycle:
    demo_council()
    today = date.today()
    return Cycle.objects.create(
        name=name,
        period_start=today - timedelta(days=60),
        period_end=today + timedelta(days=30),
        stratify_by="case_type",
        plan={"method": "fixed", "n": n, "allocation": "proportional", "minimum": 1},
        template=current_template(),
        second_share=0,
        moderation_share=0,
        created_by=person(LEAD),
    )


def assigned_cycle(name: str = "Spring case audit", n: int = 12) -> Cycle:
    cycle = planned_cycle(name, n)
    with known_server_random(f"web-{name}"):
        sample.sample_draw(cycle=cycle, actor=person(LEAD))
    assignment.cycle_assign(cycle=cycle, actor=person(LEAD))
    cycle.refresh_from_db()
    return cycle


def first_audit(cycle: Cycle) -> Audit:
    """An unstarted audit of the cycle held by a QA auditor (not a peer-auditing manager)."""
    return (
        Audit.objects.filter(
            assignment__sampled_case__cycle=cycle,
            status="assigned",
            assignment__auditor__user__username__startswith="auditor.",
        )
        .select_related("assignment__auditor__user", "template")
        .order_by("pk")
        .first()
    )


def reported_cycle() -> tuple[Cycle, Report]:
    """A finished cycle with one compiled report (compiled here, without a worker)."""
    demo_council()
    cycle = finished_cycle(n=16)
    job = reports.report_request(cycle=cycle, actor=person(LEAD))
    report = report_compile(job.pk, "page-tests")
    return cycle, report
