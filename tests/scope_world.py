"""A small council of people who test scope, built through the real services.

Teams North, South and East hold cases; Quality Assurance holds none.

- ``lead``: the QA lead, manager of every team that holds cases.
- ``peer_nora``: manager of North who also peer-audits (auditor role): she audits South cases.
- ``two_tom``: manager of South and East.
- ``aud_mia``: an auditor who is also the manager of East.
- ``aud_ann``, ``aud_ben``: plain auditors.
- ``ex_eli``: an auditor when the cycles were assigned, whose role was removed since.
- ``ia_ivy``: internal audit. ``none_ned``: a staff member with no role.
- ``admin_ada``: an administrator.
- Practitioners (the practitioner role only), around the one final audit of the South cycle
  (``extra["final"]``): ``prac_wes`` its case's worker when it was audited, ``prac_mel``
  its case's manager then, ``prac_oli`` the worker of another South case (audited, not
  final), ``prac_fay`` the case's worker until a year before the audit. ``prac_wes`` owns
  an action on the final audit (``extra["wes_action"]``).

Cycles: ``south`` (South only, by two_tom: drawn, assigned, audits submitted, moderated,
a safeguarding concern, an action, a report), ``all`` (every team, by the lead: drawn and
assigned, some submitted), ``north`` (North only, by peer_nora: planned) and ``two``
(South and East, by two_tom: planned).
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth.models import Group, User

from audits.core import grading
from audits.models import (
    Action,
    Allocation,
    Audit,
    Case,
    Cycle,
    Escalation,
    Report,
    Staff,
    Team,
)
from audits.services import actions, assignment, audits, escalations, moderation, reports, sample
from audits.services.templates import current_template
from worker.compile import report_compile

PEOPLE = (
    "lead",
    "peer_nora",
    "two_tom",
    "aud_mia",
    "aud_ann",
    "aud_ben",
    "ex_eli",
    "ia_ivy",
    "none_ned",
    "admin_ada",
    "prac_wes",
    "prac_mel",
    "prac_oli",
    "prac_fay",
)


@dataclass
class World:
    people: dict[str, User]
    teams: dict[str, Team]
    cycles: dict[str, Cycle]
    cases: dict[str, list[Case]]
    escalation: Escalation
    action: Action
    report: Report
    extra: dict = field(default_factory=dict)

    def audits(self, cycle: str, **filters):
        return Audit.objects.filter(assignment__sampled_case__cycle=self.cycles[cycle], **filters)


def _person(username, roles, *, team=None, managed=(), capacity=0, superuser=False):
    user = User.objects.create_user(username=username, is_staff=superuser, is_superuser=superuser)
    user.groups.set([Group.objects.get_or_create(name=role)[0] for role in roles])
    staff = Staff.objects.create(
        user=user,
        staff_ref=username.upper(),
        name=username.replace("_", " ").title(),
        email=f"{username}@council.example",
        team=team,
        capacity=capacity,
    )
    staff.managed_teams.set(managed)
    return user


def _cycle(name, creator, teams, *, second_share=0.0, n=6) -> Cycle:
    today = date.today()
    cycle = Cycle.objects.create(
        name=name,
        period_start=today - timedelta(days=90),
        period_end=today,
        plan={"method": "fixed", "n": n, "allocation": "proportional", "minimum": 0},
        template=current_template(),
        second_share=second_share,
        moderation_share=1,
        exclude_audited_months=0,
        created_by=creator,
    )
    cycle.teams.set(teams)
    return cycle


def grade_and_submit(audit: Audit, level: int = 3) -> Audit:
    questions = grading.questions(audit.template.definition)
    answers = {}
    for question in questions:
        if question["kind"] == "grade":
            answers[question["key"]] = level
        elif question["kind"] == "yes_no_na":
            answers[question["key"]] = "yes"
        elif question["kind"] == "choice":
            answers[question["key"]] = question["choices"][0]
    user = audit.assignment.auditor.user
    saved = audits.audit_save(
        audit=audit,
        actor=user,
        version=audit.version,
        changes={"answers": answers, "overall_grade": level, "rationale": "Explained"},
    )
    return audits.audit_submit(audit=saved, actor=user, version=saved.version)


def build() -> World:
    teams = {
        name: Team.objects.create(name=name, service_area=area)
        for name, area in [
            ("North", "cp"),
            ("South", "cin"),
            ("East", "cla"),
            ("Quality Assurance", "quality_assurance"),
        ]
    }
    north, south, east, qa = (teams[n] for n in ("North", "South", "East", "Quality Assurance"))
    people = {
        "lead": _person("lead", ["manager"], team=qa, managed=[north, south, east]),
        "peer_nora": _person(
            "peer_nora", ["manager", "auditor"], team=north, managed=[north], capacity=3
        ),
        "two_tom": _person("two_tom", ["manager"], team=south, managed=[south, east]),
        "aud_mia": _person("aud_mia", ["auditor", "manager"], team=qa, managed=[east], capacity=3),
        "aud_ann": _person("aud_ann", ["auditor"], team=qa, capacity=3),
        "aud_ben": _person("aud_ben", ["auditor"], team=qa, capacity=3),
        "ex_eli": _person("ex_eli", ["auditor"], team=qa, capacity=3),
        "ia_ivy": _person("ia_ivy", ["internal_auditor"]),
        "none_ned": _person("none_ned", []),
        "admin_ada": _person("admin_ada", ["admin"], superuser=True),
    }
    cases = {}
    for team in (north, south, east):
        worker = Staff.objects.create(
            staff_ref=f"W-{team.name}", name=f"{team.name} Worker", team=team
        )
        cases[team.name] = [
            Case.objects.create(
                case_ref=f"{team.name[0]}{index:03d}",
                team=team,
                case_type=("cp", "cin")[index % 2],
                opened_on=date(2024, 1, index + 1),
                worker=worker,
            )
            for index in range(8)
        ]
    south_cycle = _cycle("South spring", people["two_tom"], [south], second_share=0.5)
    all_cycle = _cycle("Whole council", people["lead"], [], n=9)
    north_cycle = _cycle("North summer", people["peer_nora"], [north])
    two_cycle = _cycle("South and East", people["two_tom"], [south, east])
    for cycle, manager in ((south_cycle, people["two_tom"]), (all_cycle, people["lead"])):
        sample.sample_draw(cycle=cycle, actor=manager)
        assignment.cycle_assign(cycle=cycle, actor=manager)
    world = World(
        people=people,
        teams=teams,
        cases=cases,
        cycles={"south": south_cycle, "all": all_cycle, "north": north_cycle, "two": two_cycle},
        escalation=None,
        action=None,
        report=None,
    )
    # In the South cycle every audit but peer_nora's is submitted (hers stay drafts), and
    # one submitted audit is moderated. In the whole-council cycle, ann's are submitted.
    for audit in world.audits("south").select_related("assignment__auditor__user", "template"):
        if audit.assignment.auditor.user == people["peer_nora"]:
            audits.audit_save(
                audit=audit,
                actor=people["peer_nora"],
                version=audit.version,
                changes={"rationale": "Nora's draft"},
            )
        else:
            # The blind second auditors grade lower: each complete pair disagrees, and a
            # reconciliation opens for it.
            grade_and_submit(audit, 2 if audit.assignment.role == "second" else 3)
    for audit in world.audits("all", assignment__auditor__user=people["aud_ann"]):
        grade_and_submit(audit)
    moderated = (
        world.audits("south", status="submitted", assignment__role="primary")
        .exclude(assignment__sampled_case__assignments__auditor__user=people["peer_nora"])
        .first()
    )
    moderation.moderation_record(audit=moderated, actor=people["lead"], decision="agree")
    moderated.refresh_from_db()
    _practitioners(world, moderated)
    world.escalation = escalations.escalation_raise(
        audit=moderated, actor=moderated.assignment.auditor.user, concern="South concern text"
    )
    world.action = actions.action_create(
        actor=people["two_tom"],
        audit=moderated,
        case=None,
        fields={
            "owner": Staff.objects.get(staff_ref="W-South"),
            "description": "Do it",
            "due_date": date.today() + timedelta(days=30),
        },
    )
    job = reports.report_request(cycle=south_cycle, actor=people["two_tom"])
    world.report = report_compile(job.pk, "scope-world")
    # ex_eli leaves the auditors after the assignment: her audits stay, her role does not.
    people["ex_eli"].groups.clear()
    for user in people.values():
        user.__dict__.pop("_caseassure_roles", None)
    return world


def _practitioners(world: World, final: Audit) -> None:
    """The worker and manager of the final audit's case when it was audited, a worker of
    another case, and a former worker of the case (see the module's docstring)."""
    south = world.teams["South"]
    case = final.assignment.sampled_case.case
    other = (
        world.audits("south", status="submitted", assignment__role="primary")
        .exclude(assignment__sampled_case__case=case)
        .first()
        .assignment.sampled_case.case
    )
    long_ago = date.today() - timedelta(days=700)
    for name, held, on, start, end in [
        ("prac_wes", "worker", case, long_ago, None),
        ("prac_mel", "manager", case, long_ago, None),
        ("prac_oli", "worker", other, long_ago, None),
        ("prac_fay", "worker", case, long_ago, date.today() - timedelta(days=365)),
    ]:
        user = _person(name, ["practitioner"], team=south)
        world.people[name] = user
        Allocation.objects.create(
            case=on, staff=Staff.objects.get(user=user), role=held, from_date=start, to_date=end
        )
    world.extra["final"] = final
    world.extra["wes_action"] = actions.action_create(
        actor=world.people["two_tom"],
        audit=final,
        case=None,
        fields={
            "owner": Staff.objects.get(user=world.people["prac_wes"]),
            "description": "Update the chronology",
            "due_date": date.today() + timedelta(days=20),
        },
    )
