"""Every write leaves an Event, whatever path it takes (issue 12, finding 6 / point 4).

The walk: every route of the URLconf (API, pages, Django admin) with every method that may
change something is sent once, as a person allowed to make the change, while the SQL it
runs is captured. Any INSERT, UPDATE or DELETE outside the history and session
bookkeeping must come with an Event, and each case says which Event: the object it names,
the person, the verb and what changed. A route (or management command) with no case here
fails the suite, so a new way to write cannot arrive unrecorded.

Not walked, on purpose: an auditor's autosave that changes only text (answers, rationale)
stores the draft with its version and no Event (the bench's hot path); any change of a
grade or of status is recorded, and submission records every grade.
"""

import io
import pkgutil
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from audits.core import grading
from audits.infra.admin_site import RecordedAdmin
from audits.management import commands as command_package
from audits.models import (
    ApiToken,
    Audit,
    Case,
    Conflict,
    Cycle,
    Escalation,
    Event,
    ImprovementItem,
    Notification,
    OpinionSettings,
    ProgrammeEntry,
    ProgrammeOccurrence,
    RetentionPolicy,
    SampledCase,
    Staff,
    Team,
    Template,
)
from audits.services import assignment, escalations, sample
from audits.services import audits as audit_service
from audits.services import programme as programme_service
from audits.services.templates import current_template
from tests.builders import disagreeing_double_audit, known_server_random
from tests.test_access_matrix import build_world, url_for

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
# Tables whose writes are history or session bookkeeping, not a change to record.
# (axes_accesslog: django-axes' own record of signing in and out.)
NOT_CHANGES = {
    "django_session",
    "audits_event",
    "audits_accesslog",
    "django_admin_log",
    "axes_accesslog",
    # The data mark: a cache token moved after a change commits (infra/data_mark.py).
    "audits_datamark",
}
BOOKKEEPING = (
    re.compile(r'UPDATE "auth_user" SET "last_login"'),
    re.compile(r'UPDATE "audits_apitoken" SET "last_used_at"'),
    # Marking a notification read is the person's own screen state (like a cursor), not a
    # change anyone else sees: the row keeps read_at and no Event is written.
    re.compile(r'UPDATE "audits_notification" SET "read_at"'),
)
WRITE_SQL = re.compile(r'\b(?:INSERT INTO|UPDATE|DELETE FROM|COPY)\s+"(\w+)"')


def domain_writes(queries) -> set[str]:
    tables = set()
    for query in queries:
        sql = query["sql"]
        if any(pattern.search(sql) for pattern in BOOKKEEPING):
            continue
        tables.update(t for t in WRITE_SQL.findall(sql) if t not in NOT_CHANGES)
    return tables


# --- which routes may write ---------------------------------------------------------------


def _routes(patterns=None, namespace=None):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            if "format" in str(pattern.pattern):
                continue  # DRF's format-suffix twin of a route listed anyway
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield name, pattern.callback


def unsafe_routes() -> set[tuple[str, str]]:
    """(route name, method) for every method a route answers that is not a read."""
    found = set()
    for name, view in _routes():
        actions = getattr(view, "actions", None)
        view_class = getattr(view, "cls", None) or getattr(view, "view_class", None)
        if actions is not None:
            methods = {m.upper() for m in actions}
        elif view_class is not None:
            methods = {m.upper() for m in view_class.http_method_names if hasattr(view_class, m)}
        else:  # a function view may answer any method: its POST is walked
            methods = {"POST"}
        found.update((name, method) for method in methods & set(UNSAFE))
    return found


# --- what each case sends and expects -------------------------------------------------------


@dataclass
class Write:
    actor: str  # a person of the world (see tests.test_access_matrix.build_world)
    url: str
    data: Any = None
    status: int = 200
    obj: tuple[str, Any] | None = None  # the (object_type, object_id) the Event names
    verb: str = ""  # part of the Event's verb
    change: dict = field(default_factory=dict)  # what the Event's after (or before) says
    api: bool = True
    as_multipart: bool = False
    event_actor: str | None = None  # when the Event's actor is not the one signed in


CASES = {}


def case(*keys):
    def register(function):
        for key in keys:
            CASES[key] = function
        return function

    return register


class World:
    def __init__(self):
        self.people, self.ids = build_world()
        self.people["ADM"].is_staff = True
        self.people["ADM"].save(update_fields=["is_staff"])
        self.lead = self.people["QA"]
        self.cycle = Cycle.objects.get(pk=self.ids["cycle"])

    def planned_cycle(self, name="Planned") -> Cycle:
        cycle = Cycle.objects.create(
            name=name,
            period_start=date.today() - timedelta(days=90),
            period_end=date.today(),
            stratify_by="case_type",
            template=current_template(),
            created_by=self.lead,
            plan={"method": "fixed", "n": 14, "allocation": "proportional", "minimum": 1},
        )
        # The teams the QA lead manages: a cycle covers only teams its manager manages (a
        # team added by an earlier admin case in the walk is nobody's).
        cycle.teams.set(Staff.objects.get(user=self.lead).managed_teams.all())
        return cycle

    def drawn_cycle(self, *, assigned=False) -> Cycle:
        cycle = self.planned_cycle(f"Drawn {Cycle.objects.count()}")
        with known_server_random(f"walk-{cycle.pk}"):
            sample.sample_draw(cycle=cycle, actor=self.lead)
        if assigned:
            assignment.cycle_assign(cycle=cycle, actor=self.lead)
        return cycle

    def open_audit(self) -> Audit:
        return (
            Audit.objects.filter(
                assignment__sampled_case__cycle=self.cycle,
                status=Audit.Status.ASSIGNED,
                assignment__role="primary",
                assignment__auditor__user__isnull=False,
            )
            .select_related("assignment__auditor__user")
            .order_by("pk")
            .first()
        )

    def graded_audit(self, grade=1) -> Audit:
        """An open audit with every answer filled, ready to submit (Inadequate: moderated)."""
        audit = self.open_audit()
        answers = {}
        for question in grading.questions(audit.template.definition):
            kind = question["kind"]
            if kind == "grade":
                answers[question["key"]] = grade
            elif kind == "yes_no_na":
                answers[question["key"]] = "yes"
            elif kind == "choice":
                answers[question["key"]] = question["choices"][0]
        return audit_service.audit_save(
            audit=audit,
            actor=audit.assignment.auditor.user,
            version=audit.version,
            changes={"answers": answers, "overall_grade": grade, "rationale": "Evidence weak"},
        )

    def submitted_audit(self) -> Audit:
        audit = self.graded_audit()
        return audit_service.audit_submit(
            audit=audit, actor=audit.assignment.auditor.user, version=audit.version
        )

    def auditor_of(self, audit: Audit) -> str:
        self.people["this auditor"] = audit.assignment.auditor.user
        return "this auditor"

    def grade_key(self, audit: Audit) -> str:
        return next(
            q["key"] for q in grading.questions(audit.template.definition) if q["kind"] == "grade"
        )

    def template_body(self, name="Walk form") -> dict:
        template = current_template()
        return {
            "name": name,
            "definition": template.definition,
            "grade_scale": template.grade_scale,
            "themes": template.themes,
        }

    def draft_template(self) -> Template:
        from audits.services.templates import template_create

        return template_create(actor=self.people["ADM"], data=self.template_body("Draft form"))

    def final_audit(self) -> Audit:
        return Audit.objects.filter(status=Audit.Status.FINAL).order_by("pk").first()


# --- the API ------------------------------------------------------------------------------


@case(("api:token-issue", "POST"))
def _(w):
    user = User.objects.create_user("token_tess", password="a-long-pass-phrase-9")
    w.people["token_tess"] = user
    return Write(
        "ANON",
        reverse("api:token-issue"),
        status=201,
        verb="token.issued",
        obj=("apitoken", None),
        data={"username": "token_tess", "password": "a-long-pass-phrase-9"},
        change={"prefix": None},
        event_actor="token_tess",
    )


@case(("api:token-revoke", "POST"))
def _(w):
    ApiToken.issue(user=w.people["IA"], name="walk")
    return Write(
        "IA",
        reverse("api:token-revoke"),
        status=204,
        verb="token.revoked",
        obj=("apitoken", w.people["IA"].pk),
        change={"revoked": None},
    )


@case(("api:team-list", "POST"))
def _(w):
    return Write(
        "ADM",
        "/api/v1/teams/",
        {"name": "Fostering", "service_area": "cla"},
        status=201,
        obj=("team", None),
        verb="created",
        change={"name": "Fostering"},
    )


@case(("api:team-detail", "PUT"), ("api:team-detail", "PATCH"))
def _(w):
    team = Team.objects.create(name=f"Edge {Team.objects.count()}", service_area="cp")
    return Write(
        "ADM",
        f"/api/v1/teams/{team.pk}/",
        {"name": f"{team.name} renamed", "service_area": "cp"},
        obj=("team", team.pk),
        verb="updated",
        change={"name": f"{team.name} renamed"},
    )


@case(("api:team-detail", "DELETE"))
def _(w):
    team = Team.objects.create(name="Short lived", service_area="cp")
    return Write(
        "ADM",
        f"/api/v1/teams/{team.pk}/",
        status=204,
        obj=("team", team.pk),
        verb="deleted",
        change={"name": "Short lived"},
    )


@case(("api:staff-list", "POST"))
def _(w):
    return Write(
        "ADM",
        "/api/v1/staff/",
        {
            "staff_ref": "NEW-1",
            "name": "New Starter",
            "email": "new@council.example",
            "capacity": 3,
        },
        status=201,
        obj=("staff", None),
        verb="created",
        change={"staff_ref": "NEW-1"},
    )


@case(("api:staff-detail", "PUT"), ("api:staff-detail", "PATCH"))
def _(w):
    staff = Staff.objects.create(staff_ref=f"ED-{Staff.objects.count()}", name="Ed", capacity=1)
    return Write(
        "ADM",
        f"/api/v1/staff/{staff.pk}/",
        {"staff_ref": staff.staff_ref, "name": "Ed Edited", "capacity": 2},
        obj=("staff", staff.pk),
        verb="updated",
        change={"name": "Ed Edited"},
    )


@case(("api:staff-detail", "DELETE"))
def _(w):
    staff = Staff.objects.create(staff_ref="STAYS-1", name="Stays")
    return Write("ADM", f"/api/v1/staff/{staff.pk}/", status=400)  # refused: nothing written


@case(("api:conflict-list", "POST"))
def _(w):
    # An auditor declares a conflict with a worker (a case only among those they were given).
    auditor = Staff.objects.get(user=w.people["AUD"])
    worker = Staff.objects.exclude(pk=auditor.pk).filter(user__isnull=True).order_by("pk").first()
    return Write(
        "AUD",
        "/api/v1/conflicts/",
        {
            "auditor": auditor.staff_ref,
            "worker": worker.staff_ref,
            "reason": "My neighbour's family",
        },
        status=201,
        obj=("conflict", None),
        verb="conflict.declared",
        change={"reason": "My neighbour's family"},
    )


def _conflict(w) -> Conflict:
    auditor = Staff.objects.get(user=w.people["AUD2"])
    case_ = Case.objects.exclude(conflicts__auditor=auditor).order_by("-pk").first()
    return Conflict.objects.create(auditor=auditor, case=case_, reason="Knows the family")


@case(("api:conflict-detail", "PUT"), ("api:conflict-detail", "PATCH"))
def _(w):
    conflict = _conflict(w)
    return Write(
        "QA",
        f"/api/v1/conflicts/{conflict.pk}/",
        {
            "auditor": conflict.auditor.staff_ref,
            "case": conflict.case.case_ref,
            "reason": "Knows the family well",
            "change_reason": "Said more at supervision",
        },
        obj=("conflict", conflict.pk),
        verb="conflict.changed",
        change={"reason": "Knows the family well"},
    )


@case(("api:conflict-detail", "DELETE"))
def _(w):
    conflict = _conflict(w)
    return Write(
        "QA",
        f"/api/v1/conflicts/{conflict.pk}/",
        {"change_reason": "Declared in error"},
        status=204,
        obj=("conflict", conflict.pk),
        verb="conflict.withdrawn",
    )


@case(("api:case-import-register", "POST"))
def _(w):
    team = Team.objects.exclude(name="Quality Assurance").order_by("pk").first()
    csv = (
        "case_ref,team,case_type,opened_on,closed_on,worker_ref,manager_ref,birth_year\n"
        f"W900001,{team.name},cin,2026-01-05,,,,2015\n"
    )
    upload = io.BytesIO(csv.encode())
    upload.name = "cases.csv"
    return Write(
        "QA",
        "/api/v1/cases/import/?kind=cases",
        {"file": upload},
        as_multipart=True,
        status=202,  # the job: the worker imports the stored file (tests/test_import_jobs.py)
        obj=("importjob", None),
        verb="register.import_requested",
    )


@case(("web:register-import", "POST"))
def _(w):
    team = Team.objects.exclude(name="Quality Assurance").order_by("pk").first()
    upload = io.BytesIO(
        (
            "case_ref,team,case_type,opened_on,closed_on,worker_ref,manager_ref,birth_year\n"
            f"W900002,{team.name},cin,2026-01-05,,,,2015\n"
        ).encode()
    )
    upload.name = "cases.csv"
    return page(
        "QA",
        reverse("web:register-import"),
        {"kind": "cases", "file": upload},
        status=302,  # to the job's page; the worker imports the stored file
        obj=("importjob", None),
        verb="register.import_requested",
    )


@case(("api:case-follow-up", "POST"))
def _(w):
    from audits.services.actions import action_advance, action_create

    audit = w.final_audit()
    case_ = audit.assignment.sampled_case.case
    owner = Staff.objects.filter(team=case_.team).first() or Staff.objects.first()
    for action in case_.actions.filter(status="open"):
        action_advance(action=action, actor=w.lead, status="done", evidence_note="Done")
    if not case_.actions.exists():
        action = action_create(
            actor=w.lead,
            audit=audit,
            case=None,
            fields={
                "owner": owner,
                "description": "Visit",
                "due_date": date.today() + timedelta(days=9),
            },
        )
        action_advance(action=action, actor=w.lead, status="done", evidence_note="Done")
    return Write(
        "QA",
        f"/api/v1/cases/{case_.pk}/follow-up/",
        {"reason": "Check it held"},
        status=201,
        obj=("followup", None),
        verb="follow_up.requested",
    )


@case(("api:cycle-list", "POST"))
def _(w):
    return Write(
        "QA",
        "/api/v1/cycles/",
        {"name": "Walk cycle", "period_start": "2026-01-01", "period_end": "2026-03-31"},
        status=201,
        obj=("cycle", None),
        verb="created",
        change={"name": "Walk cycle"},
    )


@case(("api:cycle-detail", "PUT"), ("api:cycle-detail", "PATCH"))
def _(w):
    cycle = w.planned_cycle()
    return Write(
        "QA",
        f"/api/v1/cycles/{cycle.pk}/",
        {
            "name": "Renamed",
            "period_start": str(cycle.period_start),
            "period_end": str(cycle.period_end),
        },
        obj=("cycle", cycle.pk),
        verb="updated",
        change={"name": "Renamed"},
    )


@case(("api:cycle-detail", "DELETE"))
def _(w):
    cycle = w.planned_cycle("To delete")
    return Write(
        "QA",
        f"/api/v1/cycles/{cycle.pk}/",
        status=204,
        obj=("cycle", cycle.pk),
        verb="deleted",
        change={"name": "To delete"},
    )


@case(("api:cycle-draw", "POST"))
def _(w):
    cycle = w.planned_cycle()
    return Write(
        "QA",
        f"/api/v1/cycles/{cycle.pk}/draw/",
        {},
        status=201,
        obj=("cycle", cycle.pk),
        verb="draw",
    )


@case(("api:cycle-close", "POST"))
def _(w):
    cycle = w.drawn_cycle(assigned=True)
    return Write(
        "QA",
        f"/api/v1/cycles/{cycle.pk}/close/",
        {"reason": "Quarter over"},
        obj=("cycle", cycle.pk),
        verb="cycle.closed",
        change={"status": "closed"},
    )


@case(("api:cycle-assign", "POST"))
def _(w):
    cycle = w.drawn_cycle()
    return Write(
        "QA",
        f"/api/v1/cycles/{cycle.pk}/assign/",
        status=201,
        obj=("cycle", cycle.pk),
        verb="assign",
    )


@case(("api:cycle-extend", "POST"))
def _(w):
    cycle = w.drawn_cycle()
    stratum, size = next(iter(cycle.frame.allocation.items()))
    return Write(
        "QA",
        f"/api/v1/cycles/{cycle.pk}/extend/",
        {"sizes": {stratum: size + 1}, "reason": "Too few in this stratum"},
        status=201,
        obj=("cycle", cycle.pk),
        verb="extend",
    )


@case(("api:cycle-override", "POST"))
def _(w):
    cycle = w.drawn_cycle(assigned=True)
    sampled = SampledCase.objects.filter(cycle=cycle).order_by("rank").first()
    auditor = Staff.objects.filter(user__username="auditor.1").first()
    return Write(
        "QA",
        f"/api/v1/cycles/{cycle.pk}/override/",
        {
            "sampled_case": sampled.pk,
            "auditor": auditor.staff_ref,
            "reason": "Specialist knowledge",
            # The draw decides whether this auditor is already full: the manager confirms.
            "over_capacity": True,
        },
        status=201,
        # "assignment.set", or "assignment.overridden" when the auditor breaks a
        # rule for the case the draw happened to put first.
        obj=("assignment", None),
        verb="assignment.",
    )


@case(("api:cycle-unavailable", "POST"))
def _(w):
    cycle = w.drawn_cycle(assigned=True)
    busy = Staff.objects.filter(assignments__sampled_case__cycle=cycle).first()
    return Write(
        "QA",
        f"/api/v1/cycles/{cycle.pk}/unavailable/",
        {"auditor": busy.staff_ref},
        obj=("cycle", cycle.pk),
        verb="unavailable",
    )


@case(("api:sampled-case-replace", "POST"))
def _(w):
    cycle = w.drawn_cycle()
    sampled = SampledCase.objects.filter(cycle=cycle).order_by("rank").first()
    return Write(
        "QA",
        f"/api/v1/sampled-cases/{sampled.pk}/replace/",
        {"reason": "Sealed file"},
        status=201,
        obj=("sampledcase", None),
        verb="replace",
    )


@case(("api:template-list", "POST"))
def _(w):
    return Write(
        "ADM",
        "/api/v1/templates/",
        w.template_body(),
        status=201,
        obj=("template", None),
        verb="template.created",
    )


@case(("api:template-import-template", "POST"))
def _(w):
    body = {**w.template_body("Imported form"), "format": "caseassure-template/1"}
    return Write(
        "ADM",
        "/api/v1/templates/import/",
        body,
        status=201,
        obj=("template", None),
        verb="template.created",
    )


@case(("api:template-detail", "PUT"), ("api:template-detail", "PATCH"))
def _(w):
    template = w.draft_template()
    body = {**w.template_body(template.name), "themes": ["drift and delay"]}
    return Write(
        "ADM",
        f"/api/v1/templates/{template.pk}/",
        body,
        obj=("template", template.pk),
        verb="template.updated",
    )


@case(("api:template-detail", "DELETE"))
def _(w):
    template = w.draft_template()
    return Write(
        "ADM",
        f"/api/v1/templates/{template.pk}/",
        status=204,
        obj=("template", template.pk),
        verb="deleted",
    )


@case(("api:template-publish", "POST"))
def _(w):
    template = w.draft_template()
    return Write(
        "ADM",
        f"/api/v1/templates/{template.pk}/publish/",
        obj=("template", template.pk),
        verb="template.published",
    )


@case(("api:audit-detail", "PATCH"))
def _(w):
    audit = w.open_audit()
    key = w.grade_key(audit)
    return Write(
        w.auditor_of(audit),
        f"/api/v1/audits/{audit.pk}/",
        {"version": audit.version, "answers": {key: 2}},
        obj=("audit", audit.pk),
        verb="audit.",
    )


@case(("api:audit-submit", "POST"))
def _(w):
    audit = w.graded_audit()
    return Write(
        w.auditor_of(audit),
        f"/api/v1/audits/{audit.pk}/submit/",
        {"version": audit.version},
        obj=("audit", audit.pk),
        verb="audit.submitted",
    )


@case(("api:audit-moderation", "POST"))
def _(w):
    audit = w.submitted_audit()
    return Write(
        "QA",
        f"/api/v1/audits/{audit.pk}/moderation/",
        {"decision": "agree"},
        status=201,
        obj=("audit", audit.pk),
        verb="moder",
    )


def _open_reconciliation(w):
    """A disagreeing double audit's open reconciliation, and the agreed grades to send:
    the second auditor's."""
    from audits.models import Reconciliation

    found = Reconciliation.objects.filter(pk=w.ids["reconciliation"], status="open").first()
    found = found or disagreeing_double_audit(w.cycle)
    return found, found.second_grades


@case(("api:reconciliation-agree", "POST"))
def _(w):
    found, grades = _open_reconciliation(w)
    return Write(
        "QA",
        f"/api/v1/reconciliations/{found.pk}/agree/",
        {
            "overall_grade": grades["overall"],
            "domain_grades": grades["domains"],
            "reason": "The second audit read the plan",
        },
        obj=("reconciliation", found.pk),
        verb="reconciliation.agreed",
    )


@case(("api:audit-escalations", "POST"))
def _(w):
    audit = w.open_audit()
    return Write(
        w.auditor_of(audit),
        f"/api/v1/audits/{audit.pk}/escalations/",
        {"concern": "Bruising not followed up"},
        status=201,
        obj=("escalation", None),
        verb="escalation.raised",
    )


def _open_escalation(w) -> Escalation:
    audit = w.open_audit()
    return escalations.escalation_raise(
        audit=audit, actor=audit.assignment.auditor.user, concern="Worrying"
    )


@case(("api:escalation-acknowledge", "POST"))
def _(w):
    escalation = _open_escalation(w)
    return Write(
        "QA",
        f"/api/v1/escalations/{escalation.pk}/acknowledge/",
        {"response": "Seen"},
        obj=("escalation", escalation.pk),
        verb="acknowledged",
    )


@case(("api:action-list", "POST"))
def _(w):
    audit = w.final_audit()
    owner = Staff.objects.filter(is_active=True).order_by("pk").first()
    return Write(
        "QA",
        "/api/v1/actions/",
        {
            "audit": audit.pk,
            "owner": owner.staff_ref,
            "description": "Review the plan",
            "priority": "high",
            "due_date": str(date.today() + timedelta(days=20)),
        },
        status=201,
        obj=("action", None),
        verb="action.created",
    )


@case(("api:action-detail", "PUT"), ("api:action-detail", "PATCH"))
def _(w):
    action_id = w.ids["action"]
    edit = {"description": f"Changed {Event.objects.count()}"}
    return Write(
        "QA",
        f"/api/v1/actions/{action_id}/",
        edit,
        obj=("action", action_id),
        verb="action.updated",
    )


@case(("api:action-detail", "DELETE"))
def _(w):
    return Write("QA", f"/api/v1/actions/{w.ids['action']}/", status=409)


def _new_practitioner(w, key: str):
    """A practitioner who manages the final audit's case and has not responded yet."""
    from django.contrib.auth.models import Group, User

    from audits.models import Allocation

    final = Audit.objects.get(pk=w.ids["finding"])
    case_ = final.assignment.sampled_case.case
    user = User.objects.create_user(f"practitioner_{key.lower()}")
    user.groups.set([Group.objects.get(name="practitioner")])
    staff = Staff.objects.create(user=user, staff_ref=f"P-{key}", name=key, team=case_.team)
    Allocation.objects.create(case=case_, staff=staff, role="manager", from_date=case_.opened_on)
    w.people[key] = user
    return final


@case(("api:finding-response", "POST"))
def _(w):
    final = _new_practitioner(w, "PM1")
    body = {"verdict": "disagree", "comment": "The plan was reviewed"}
    return Write(
        "PM1",
        f"/api/v1/findings/{final.pk}/response/",
        body,
        status=201,
        obj=("practitionerresponse", None),
        verb="practitioner_response.recorded",
    )


def _open_action_of_pw(w) -> int:
    """A fresh open action owned by the practitioner PW (other cases move actions on)."""
    from audits.services.actions import action_create

    owner = Staff.objects.get(user=w.people["PW"])
    fields = {"owner": owner, "description": "Note me", "due_date": date.today()}
    return action_create(actor=w.lead, audit=w.final_audit(), case=None, fields=fields).pk


@case(("api:action-notes", "POST"))
def _(w):
    action_id = _open_action_of_pw(w)
    return Write(
        "PW",
        f"/api/v1/actions/{action_id}/notes/",
        {"text": "Started"},
        status=201,
        obj=("action", action_id),
        verb="action.note_added",
    )


@case(("api:improvement-item-list", "POST"))
def _(w):
    return Write(
        "QA",
        "/api/v1/improvement-items/",
        {"reference": "IP-9", "title": "Drift"},
        status=201,
        obj=("improvementitem", None),
        verb="created",
        change={"reference": "IP-9"},
    )


@case(("api:improvement-item-detail", "PUT"), ("api:improvement-item-detail", "PATCH"))
def _(w):
    item = ImprovementItem.objects.create(
        reference=f"IP-{ImprovementItem.objects.count() + 20}", title="Plans"
    )
    return Write(
        "QA",
        f"/api/v1/improvement-items/{item.pk}/",
        {"reference": item.reference, "title": "Better plans"},
        obj=("improvementitem", item.pk),
        verb="updated",
        change={"title": "Better plans"},
    )


@case(("api:improvement-item-detail", "DELETE"))
def _(w):
    item = ImprovementItem.objects.create(reference="IP-77", title="Gone")
    return Write(
        "QA",
        f"/api/v1/improvement-items/{item.pk}/",
        status=204,
        obj=("improvementitem", item.pk),
        verb="deleted",
    )


@case(("api:report-list", "POST"))
def _(w):
    return Write(
        "QA",
        "/api/v1/reports/",
        {"cycle": w.cycle.pk},
        status=202,
        obj=("reportjob", None),
        verb="report.requested",
    )


@case(("api:cycle-pack", "POST"))
def _(w):
    return Write(
        "IA",
        f"/api/v1/cycles/{w.cycle.pk}/pack/",
        {},
        status=202,
        obj=("packjob", None),
        verb="pack.requested",
    )


# --- the pages ----------------------------------------------------------------------------


def page(*args, **kwargs) -> Write:
    return Write(*args, api=False, **kwargs)


# --- the audit programme (next year's, so every date is still to come) -----------------------
NEXT_YEAR = date.today().year + 1


def _programme_entry(w):
    return programme_service.programme_entry_create(
        actor=w.lead,
        fields={"year": NEXT_YEAR, "kind": "random", "name": "Walk entry", "month": 1, "day": 3},
    )


def _programme_occurrence(w):
    return programme_service.programme_occurrence_skip(
        actor=w.lead,
        entry=_programme_entry(w),
        scheduled_on=date(NEXT_YEAR, 1, 3),
        reason="Walk",
    )


@case(("api:programme-entry-list", "POST"))
def _(w):
    body = {"year": NEXT_YEAR, "kind": "random", "name": "Walk programme", "month": 2}
    return Write(
        "QA",
        "/api/v1/programme-entries/",
        body,
        status=201,
        obj=("programmeentry", None),
        verb="programme.entry_added",
        change={"name": "Walk programme"},
    )


@case(("api:programme-entry-detail", "DELETE"))
def _(w):
    entry = _programme_entry(w)
    return Write(
        "ADM",
        f"/api/v1/programme-entries/{entry.pk}/",
        status=204,
        obj=("programmeentry", entry.pk),
        verb="programme.entry_removed",
        change={"name": "Walk entry"},
    )


@case(("api:programme-entry-move", "POST"))
def _(w):
    entry = _programme_entry(w)
    return Write(
        "QA",
        f"/api/v1/programme-entries/{entry.pk}/move/",
        {"scheduled_on": f"{NEXT_YEAR}-02-03", "to": f"{NEXT_YEAR}-02-10", "reason": "Half term"},
        obj=("programmeoccurrence", None),
        verb="programme.moved",
        change={"moved_to": f"{NEXT_YEAR}-02-10"},
    )


@case(("api:programme-entry-skip", "POST"))
def _(w):
    entry = _programme_entry(w)
    return Write(
        "QA",
        f"/api/v1/programme-entries/{entry.pk}/skip/",
        {"scheduled_on": f"{NEXT_YEAR}-03-03", "reason": "Ofsted"},
        obj=("programmeoccurrence", None),
        verb="programme.skipped",
        change={"skipped": True},
    )


@case(("web:programme-entry-new", "POST"))
def _(w):
    return page(
        "QA",
        reverse("web:programme-entry-new"),
        {
            "kind": "themed",
            "name": "Page theme",
            "year": str(NEXT_YEAR),
            "month": "6",
            "day": "1",
            "theme": "Voice of the child",
            "stratify_by": "none",
            "n": "10",
        },
        status=302,
        obj=("programmeentry", None),
        verb="programme.entry_added",
        change={"name": "Page theme"},
    )


@case(("web:programme-entry-change", "POST"))
def _(w):
    entry = _programme_entry(w)
    return page(
        "ADM",
        reverse("web:programme-entry-change", args=[entry.pk]),
        {"scheduled_on": f"{NEXT_YEAR}-04-03", "change": "skip", "reason": "Inspection"},
        status=302,
        obj=("programmeoccurrence", None),
        verb="programme.skipped",
        change={"skipped": True},
    )


# --- external access (administrators) ---------------------------------------------------------
def _outsider(w, name: str) -> User:
    user = User.objects.create_user(name, first_name=name.title())
    w.people[name] = user
    return user


def _external_grant(w, name: str):
    from audits.services.external_access import external_access_grant

    return external_access_grant(
        actor=w.people["ADM"],
        person=_outsider(w, name),
        cycle=w.cycle,
        organisation="Ofsted",
        purpose="inspection",
        scope="sample",
        starts_on=date.today(),
        ends_on=date.today() + timedelta(days=6),
    )


@case(("api:external-access-list", "POST"))
def _(w):
    _outsider(w, "reviewer_rae")
    body = {
        "person": "reviewer_rae",
        "organisation": "Northshire peer review",
        "purpose": "peer_review",
        "cycle": w.cycle.pk,
        "scope": "review",
        "review_size": 3,
        "starts_on": str(date.today()),
        "ends_on": str(date.today() + timedelta(days=4)),
    }
    return Write(
        "ADM",
        "/api/v1/external-access/",
        body,
        status=201,
        obj=("externalaccess", None),
        verb="external_access.granted",
        change={"organisation": "Northshire peer review", "review_size": 3},
    )


@case(("api:external-access-detail", "PATCH"))
def _(w):
    access = _external_grant(w, "reviewer_rob")
    ends = str(date.today() + timedelta(days=9))
    return Write(
        "ADM",
        f"/api/v1/external-access/{access.pk}/",
        {"ends_on": ends},
        obj=("externalaccess", access.pk),
        verb="external_access.changed",
        change={"ends_on": ends},
    )


@case(("api:external-access-revoke", "POST"))
def _(w):
    access = _external_grant(w, "reviewer_ros")
    return Write(
        "ADM",
        f"/api/v1/external-access/{access.pk}/revoke/",
        {"reason": "Visit cancelled"},
        obj=("externalaccess", access.pk),
        verb="external_access.revoked",
    )


@case(("web:external-access-new", "POST"))
def _(w):
    _outsider(w, "reviewer_ray")
    today, ends = date.today(), date.today() + timedelta(days=3)
    return page(
        "ADM",
        reverse("web:external-access-new"),
        {
            "person": "reviewer_ray",
            "organisation": "Ofsted",
            "purpose": "inspection",
            "cycle": str(w.cycle.pk),
            "scope": "sample",
            **{f"starts_on_{k}": getattr(today, k) for k in ("day", "month", "year")},
            **{f"ends_on_{k}": getattr(ends, k) for k in ("day", "month", "year")},
        },
        status=302,
        obj=("externalaccess", None),
        verb="external_access.granted",
        change={"person": "reviewer_ray"},
    )


@case(("web:external-access-revoke", "POST"))
def _(w):
    access = _external_grant(w, "reviewer_rex")
    return page(
        "ADM",
        reverse("web:external-access-revoke", args=[access.pk]),
        {"reason": "Report delivered"},
        status=302,
        obj=("externalaccess", access.pk),
        verb="external_access.revoked",
    )


@case(("web:audit", "POST"))
def _(w):
    audit = w.open_audit()
    key = w.grade_key(audit)
    return page(
        w.auditor_of(audit),
        reverse("web:audit", args=[audit.pk]),
        {"version": audit.version, f"answer-{key}": "3"},
        status=302,
        obj=("audit", audit.pk),
        verb="audit.",
    )


@case(("web:check-answers", "POST"))
def _(w):
    audit = w.graded_audit()
    url = reverse("web:check-answers", args=[audit.pk])
    body = {"version": audit.version}
    author = w.auditor_of(audit)
    return page(author, url, body, status=302, obj=("audit", audit.pk), verb="audit.submitted")


@case(("web:raise-concern", "POST"))
def _(w):
    audit = w.open_audit()
    return page(
        w.auditor_of(audit),
        reverse("web:raise-concern", args=[audit.pk]),
        {"concern": "Nobody saw the child"},
        status=302,
        obj=("escalation", None),
        verb="escalation.raised",
    )


@case(("web:cycle-new", "POST"))
def _(w):
    team = Team.objects.exclude(name="Quality Assurance").order_by("pk").first()
    return page(
        "QA",
        reverse("web:cycle-new"),
        {
            "name": "Page cycle",
            "period_start": "2026-01-01",
            "period_end": "2026-03-31",
            "stratify_by": "case_type",
            "teams": [team.name],
            "n": "5",
            "allocation": "proportional",
            "minimum": "1",
        },
        status=302,
        obj=("cycle", None),
        verb="created",
        change={"name": "Page cycle"},
    )


@case(("web:cycle-draw", "POST"))
def _(w):
    cycle = w.planned_cycle()
    return page(
        "QA",
        reverse("web:cycle-draw", args=[cycle.pk]),
        {"confirm": "yes"},
        status=302,
        obj=("cycle", cycle.pk),
        verb="draw",
    )


@case(("web:cycle-plan", "POST"))
def _(w):
    cycle = w.planned_cycle()
    return page(
        "QA",
        reverse("web:cycle-plan", args=[cycle.pk]),
        {"method": "estimation", "margin": "10", "confidence": "95", "p": "50"}
        | {"allocation": "equal", "minimum": "1"},
        status=302,
        obj=("cycle", cycle.pk),
        verb="plan.changed",
    )


@case(("web:cycle-close", "POST"))
def _(w):
    cycle = w.drawn_cycle(assigned=True)
    return page(
        "QA",
        reverse("web:cycle-close", args=[cycle.pk]),
        {"confirm": "yes", "reason": "Quarter over"},
        status=302,
        obj=("cycle", cycle.pk),
        verb="cycle.closed",
        change={"status": "closed"},
    )


@case(("web:cycle-assign", "POST"))
def _(w):
    cycle = w.drawn_cycle()
    return page(
        "QA",
        reverse("web:cycle-assign", args=[cycle.pk]),
        {},
        status=302,
        obj=("cycle", cycle.pk),
        verb="assign",
    )


@case(("web:cycle-override", "POST"))
def _(w):
    cycle = w.drawn_cycle(assigned=True)
    sampled = SampledCase.objects.filter(cycle=cycle).order_by("rank").first()
    auditor = Staff.objects.filter(user__username="auditor.2").first()
    # "assignment.set", or "assignment.overridden" when the auditor breaks a rule for the
    # case the draw happened to put first.
    return page(
        "QA",
        reverse("web:cycle-override", args=[cycle.pk]),
        {
            "sampled_case": sampled.pk,
            "auditor": auditor.pk,
            "role": "primary",
            "reason": "Specialist knowledge",
            "over_capacity": "yes",  # the draw decides whether the auditor is full
        },
        status=302,
        obj=("assignment", None),
        verb="assignment.",
    )


@case(("web:cycle-replace", "POST"))
def _(w):
    cycle = w.drawn_cycle()
    sampled = SampledCase.objects.filter(cycle=cycle).order_by("rank").first()
    return page(
        "QA",
        reverse("web:cycle-replace", args=[cycle.pk]),
        {"sampled": sampled.pk, "reason": "Sealed file"},
        status=302,
        obj=("sampledcase", None),
        verb="replace",
    )


@case(("web:cycle-extend", "POST"))
def _(w):
    cycle = w.drawn_cycle()
    stratum, size = next(iter(cycle.frame.allocation.items()))
    return page(
        "QA",
        reverse("web:cycle-extend", args=[cycle.pk]),
        {f"size-{stratum}": str(size + 1), "reason": "Too few in this stratum"},
        status=302,
        obj=("cycle", cycle.pk),
        verb="extend",
    )


@case(("web:cycle-unavailable", "POST"))
def _(w):
    cycle = w.drawn_cycle(assigned=True)
    busy = Staff.objects.filter(assignments__sampled_case__cycle=cycle).first()
    return page(
        "QA",
        reverse("web:cycle-unavailable", args=[cycle.pk]),
        {"auditor": busy.pk},
        status=302,
        obj=("cycle", cycle.pk),
        verb="unavailable",
    )


@case(("web:cycle-reports", "POST"))
def _(w):
    return page(
        "QA",
        reverse("web:cycle-reports", args=[w.cycle.pk]),
        {},
        status=302,
        obj=("reportjob", None),
        verb="report.requested",
    )


@case(("web:cycle-pack", "POST"))
def _(w):
    return page(
        "QA",
        reverse("web:cycle-pack", args=[w.drawn_cycle().pk]),
        {},
        status=302,
        obj=("packjob", None),
        verb="pack.requested",
    )


@case(("web:moderate", "POST"))
def _(w):
    audit = w.submitted_audit()
    return page(
        "QA",
        reverse("web:moderate", args=[audit.pk]),
        {"decision": "agree"},
        status=302,
        obj=("audit", audit.pk),
        verb="moder",
    )


@case(("web:reconcile", "POST"))
def _(w):
    from audits.web.reconciliation import _field

    found, grades = _open_reconciliation(w)
    form = {_field(domain): grade for domain, grade in grades["domains"].items()}
    return page(
        "QA",
        reverse("web:reconcile", args=[found.pk]),
        {**form, "overall_grade": grades["overall"], "reason": "Plan has no dates"},
        status=302,
        obj=("reconciliation", found.pk),
        verb="reconciliation.agreed",
    )


@case(("web:action-new", "POST"))
def _(w):
    audit = w.final_audit()
    owner = Staff.objects.filter(is_active=True).order_by("pk").first()
    return page(
        "QA",
        reverse("web:action-new"),
        {
            "audit": audit.pk,
            "owner": owner.staff_ref,
            "description": "Supervision notes",
            "priority": "medium",
            "due_date": str(date.today() + timedelta(days=15)),
        },
        status=302,
        obj=("action", None),
        verb="action.created",
    )


@case(("web:action-advance", "POST"))
def _(w):
    from audits.services.actions import action_create

    audit = w.final_audit()
    owner = Staff.objects.filter(is_active=True).order_by("pk").first()
    action = action_create(
        actor=w.lead,
        audit=audit,
        case=None,
        fields={
            "owner": owner,
            "description": "Advance me",
            "due_date": date.today() + timedelta(9),
        },
    )
    return page(
        "QA",
        reverse("web:action-advance", args=[action.pk]),
        {"status": "done", "evidence_note": "Plan rewritten"},
        status=302,
        obj=("action", action.pk),
        verb="action.",
    )


@case(("web:finding", "POST"))
def _(w):
    final = _new_practitioner(w, "PM2")
    return page(
        "PM2",
        reverse("web:finding", args=[final.pk]),
        {"verdict": "agree"},
        status=302,
        obj=("practitionerresponse", None),
        verb="practitioner_response.recorded",
    )


@case(("web:action-note", "POST"))
def _(w):
    action_id = _open_action_of_pw(w)
    return page(
        "PW",
        reverse("web:action-note", args=[action_id]),
        {"text": "Half way"},
        status=302,
        obj=("action", action_id),
        verb="action.note_added",
    )


@case(("web:escalation-acknowledge", "POST"))
def _(w):
    escalation = _open_escalation(w)
    return page(
        "QA",
        reverse("web:escalation-acknowledge", args=[escalation.pk]),
        {"response": "Called the team"},
        status=302,
        obj=("escalation", escalation.pk),
        verb="acknowledged",
    )


def _notification_of(w, role) -> Notification:
    return Notification.objects.create(
        recipient=w.people[role], kind="assigned", text="New audits", link="/audits/"
    )


@case(("api:notification-read", "POST"))
def _(w):
    told = _notification_of(w, "AUD")
    return Write("AUD", f"/api/v1/notifications/{told.pk}/read/", {}, obj=None)


@case(("web:notification-read", "POST"))
def _(w):
    told = _notification_of(w, "AUD")
    return page("AUD", reverse("web:notification-read", args=[told.pk]), {}, status=302)


@case(("web:notifications-read", "POST"))
def _(w):
    _notification_of(w, "AUD")
    return page("AUD", reverse("web:notifications-read"), {}, status=302)


@case(("web:notification-preferences", "POST"))
def _(w):
    chosen = {"email_kinds": ["assigned"]}
    url = reverse("web:notification-preferences")
    verb = "notification.preferences_changed"
    target = ("notificationpreference", None)
    return page("AUD", url, chosen, status=302, obj=target, verb=verb, change=chosen)


@case(("web:cycle-window", "POST"))
def _(w):
    cycle = w.drawn_cycle(assigned=True)
    cycle.refresh_from_db()
    later = cycle.audit_due_date + timedelta(days=7)
    form = {
        "audit_opens_on": str(cycle.audit_opens_on),
        "audit_due_date": str(later),
        "window_reason": "Half term",
    }
    url = reverse("web:cycle-window", args=[cycle.pk])
    change = {"audit_due_date": later.isoformat()}
    verb = "cycle.window_extended"
    return page("QA", url, form, status=302, obj=("cycle", cycle.pk), verb=verb, change=change)


def _evidence_file() -> io.BytesIO:
    upload = io.BytesIO(b"%PDF-1.7\n%%EOF\n")
    upload.name = "letter.pdf"
    return upload


def _attached_evidence(w):
    from audits.services.evidence import evidence_attach

    audit = w.open_audit()
    actor = w.auditor_of(audit)
    upload = _evidence_file()
    upload.size = len(upload.getvalue())
    upload.chunks = lambda: [upload.getvalue()]
    evidence = evidence_attach(
        actor=w.people[actor], upload=upload, audit=audit, question_key=w.grade_key(audit)
    )
    return actor, evidence


@case(("api:evidence-upload", "POST"))
def _(w):
    audit = w.open_audit()
    body = {"audit": audit.pk, "question_key": w.grade_key(audit), "file": _evidence_file()}
    return Write(
        w.auditor_of(audit),
        reverse("api:evidence-upload"),
        body,
        status=201,
        as_multipart=True,
        obj=("evidence", None),
        verb="evidence.attached",
    )


@case(("api:evidence-detail", "DELETE"))
def _(w):
    actor, evidence = _attached_evidence(w)
    url = reverse("api:evidence-detail", args=[evidence.pk])
    return Write(actor, url, status=204, obj=("evidence", evidence.pk), verb="evidence.deleted")


@case(("web:audit-evidence", "POST"))
def _(w):
    audit = w.open_audit()
    body = {"question_key": w.grade_key(audit), "file": _evidence_file()}
    url = reverse("web:audit-evidence", args=[audit.pk])
    return page(
        w.auditor_of(audit),
        url,
        body,
        status=302,
        obj=("evidence", None),
        verb="evidence.attached",
    )


@case(("web:action-evidence", "POST"))
def _(w):
    from audits.services.actions import action_create

    owner = Staff.objects.filter(is_active=True).order_by("pk").first()
    action = action_create(
        actor=w.lead,
        audit=w.final_audit(),
        case=None,
        fields={"owner": owner, "description": "Evidence me", "due_date": date.today()},
    )
    url = reverse("web:action-evidence", args=[action.pk])
    return page(
        "ADM",
        url,
        {"file": _evidence_file()},
        status=302,
        obj=("evidence", None),
        verb="evidence.attached",
    )


@case(("web:evidence-delete", "POST"))
def _(w):
    actor, evidence = _attached_evidence(w)
    url = reverse("web:evidence-delete", args=[evidence.pk])
    return page(actor, url, status=302, obj=("evidence", evidence.pk), verb="evidence.deleted")


# Routes that answer a POST without changing anything (forms that only read, GET-only
# views, signing in and out): the walk checks that nothing was written.
NOTHING_WRITTEN = {
    # The external reviewer's pages and the administrator's list of grants: reads (405).
    "web:external",
    "web:external-review",
    "web:external-audit",
    "web:external-accesses",
    "web:keepalive",
    "web:programme",
    "web:my-audits",
    "web:cycles",
    "web:cycle",
    "web:cycle-sample",
    "web:cycle-assignment",
    "web:report-job",
    "web:pack-job",
    "web:import-job",
    "web:moderation",
    "web:actions",
    "web:escalations",
    "web:dashboard",
    "web:assurance",
    "web:assurance-report",
    "web:sampling-record",
    "web:recheck",
    "web:notifications",
    "home",
    "health",
    "login",
    "web:evidence-download",
    "web:action",
    "web:my-actions",
    "web:my-findings",
    "web:responses",
    "logout",
    "admin:index",
    "admin:login",
    "admin:logout",
    "admin:password_change_done",
    "admin:autocomplete",
    "admin:jsi18n",
    "admin:view_on_site",
    "admin:app_list",
}


# --- the Django admin ---------------------------------------------------------------------


def admin_form(client, url) -> dict:
    """The data a person would send back from an admin form, as it is filled in now."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    forms = [response.context["adminform"].form]
    for inline in response.context.get("inline_admin_formsets", []):
        forms.append(inline.formset.management_form)
        forms.extend(inline.formset.forms)
    data = {}
    for form in forms:
        for bound in form:
            value = bound.value()
            widget = bound.field.widget
            if hasattr(widget, "decompress") and not isinstance(value, list):
                for index, part in enumerate(widget.decompress(value)):
                    data[f"{bound.html_name}_{index}"] = "" if part is None else part
            elif isinstance(value, list | tuple):
                data[bound.html_name] = [v for v in value if v is not None]
            elif value is None or value is False:
                continue
            else:
                data[bound.html_name] = value
    return data


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def admin_add(model, data_for, check):
    """An add through the admin: the add form as served, with these fields filled."""

    def build(w):
        client = Client()
        client.force_login(w.people["ADM"])
        url = admin_url(model, "add")
        data = {**admin_form(client, url), **data_for(w)}
        return page(
            "ADM",
            url,
            data,
            status=302,
            obj=(model._meta.model_name, None),
            verb="created",
            change=check,
        )

    return build


def admin_change(model, make, changes, check):
    def build(w):
        obj = make(w)
        client = Client()
        client.force_login(w.people["ADM"])
        url = admin_url(model, "change", obj.pk)
        data = {**admin_form(client, url), **(changes(w) if callable(changes) else changes)}
        return page(
            "ADM",
            url,
            data,
            status=302,
            obj=(model._meta.model_name, obj.pk),
            verb="updated",
            change=check,
        )

    return build


def admin_delete(model, make):
    def build(w):
        obj = make(w)
        return page(
            "ADM",
            admin_url(model, "delete", obj.pk),
            {"post": "yes"},
            status=302,
            obj=(model._meta.model_name, obj.pk),
            verb="deleted",
        )

    return build


def admin_refused(model, view, make=None):
    def build(w):
        args = [make(w).pk] if make else []
        return page("ADM", admin_url(model, view, *args), {}, status=403)

    return build


def _team(w):
    return Team.objects.create(name=f"Admin team {Team.objects.count()}", service_area="cp")


def _staff(w):
    return Staff.objects.create(staff_ref=f"ADM-{Staff.objects.count()}", name="Admin Made")


def _case(w):
    team = Team.objects.order_by("pk").first()
    return Case.objects.create(
        case_ref=f"W8{Case.objects.count():05d}",
        team=team,
        case_type="cin",
        opened_on=date(2025, 5, 1),
    )


def _policy(w):
    RetentionPolicy.objects.filter(record_type="closed_case").delete()
    return RetentionPolicy.objects.create(record_type="closed_case", months=72)


def _user(w):
    return User.objects.create_user(f"admin_made_{User.objects.count()}", password="x-9-long-pw")


def _group(w):
    return Group.objects.create(name=f"Readers {Group.objects.count()}")


def _token(w):
    return ApiToken.issue(user=w.people["IA"], name="for the admin")[0]


def _attempt(w):
    return AccessAttempt.objects.create(
        username=f"locked_{AccessAttempt.objects.count()}",
        ip_address="10.0.0.9",
        user_agent="x",
        get_data="",
        post_data="",
        http_accept="x",
        path_info="/accounts/login/",
        failures_since_start=5,
    )


def _axes_log(w):
    from axes.models import AccessLog as AxesLog

    return AxesLog.objects.create(
        username="lou", ip_address="10.0.0.9", user_agent="x", http_accept="x", path_info="/"
    )


def _axes_failure(w):
    from axes.models import AccessFailureLog

    return AccessFailureLog.objects.create(
        username="lou",
        ip_address="10.0.0.9",
        user_agent="x",
        http_accept="x",
        path_info="/",
        locked_out=False,
    )


def _event(w):
    return Event.objects.order_by("pk").first()


def _access(w):
    from audits.services.history import access_record

    return access_record(user=w.people["IA"], obj=w.cycle)


def _conflict_for_admin(w):
    return _conflict(w)


def _opinion_settings(w):
    return OpinionSettings.objects.first() or OpinionSettings.objects.create()


ADMIN = {
    Team: {
        "add": admin_add(
            Team, lambda w: {"name": "Admin Added", "service_area": "cp"}, {"name": "Admin Added"}
        ),
        "change": admin_change(Team, _team, {"name": "Admin Renamed"}, {"name": "Admin Renamed"}),
        "delete": admin_delete(Team, _team),
    },
    Staff: {
        "add": admin_add(
            Staff,
            lambda w: {
                "staff_ref": "ADM-NEW",
                "name": "Admin Staff",
                "capacity": "2",
                "is_active": "on",
            },
            {"staff_ref": "ADM-NEW"},
        ),
        "change": admin_change(
            Staff,
            _staff,
            lambda w: {
                "capacity": "7",
                "managed_teams": [str(Team.objects.order_by("pk").first().pk)],
            },
            {"capacity": 7},
        ),
        "delete": admin_delete(Staff, _staff),
    },
    Case: {
        "add": admin_add(
            Case,
            lambda w: {
                "case_ref": "W700001",
                "team": str(Team.objects.order_by("pk").first().pk),
                "case_type": "cp",
                "opened_on": "2025-02-03",
            },
            {"case_ref": "W700001"},
        ),
        "change": admin_change(Case, _case, {"legal_hold": "on"}, {"legal_hold": True}),
        "delete": admin_delete(Case, _case),
    },
    # Conflicts change only through the API, by a manager of the team, with a reason.
    Conflict: {
        "add": admin_refused(Conflict, "add"),
        "change": admin_refused(Conflict, "change", _conflict_for_admin),
        "delete": admin_refused(Conflict, "delete", _conflict_for_admin),
    },
    OpinionSettings: {
        "add": admin_add(
            OpinionSettings,
            lambda w: (
                {
                    f.name: str(f.default)
                    for f in OpinionSettings._meta.fields
                    if f.name not in ("id", "updated_at")
                }
                | {"substantial_lower": "0.85"}
            ),
            {"substantial_lower": 0.85},
        ),
        "change": admin_change(
            OpinionSettings,
            _opinion_settings,
            {"reasonable_lower": "0.65"},
            {"reasonable_lower": 0.65},
        ),
        "delete": admin_refused(OpinionSettings, "delete", _opinion_settings),
    },
    ApiToken: {
        "add": admin_refused(ApiToken, "add"),
        "change": admin_change(ApiToken, _token, {"name": "renamed"}, {"name": "renamed"}),
        "delete": admin_delete(ApiToken, _token),
    },
    ProgrammeEntry: {
        "add": admin_refused(ProgrammeEntry, "add"),
        "change": admin_refused(ProgrammeEntry, "change", _programme_entry),
        "delete": admin_refused(ProgrammeEntry, "delete", _programme_entry),
    },
    ProgrammeOccurrence: {
        "add": admin_refused(ProgrammeOccurrence, "add"),
        "change": admin_refused(ProgrammeOccurrence, "change", _programme_occurrence),
        "delete": admin_refused(ProgrammeOccurrence, "delete", _programme_occurrence),
    },
    Event: {
        "add": admin_refused(Event, "add"),
        "change": admin_refused(Event, "change", _event),
        "delete": admin_refused(Event, "delete", _event),
    },
    RetentionPolicy: {
        "add": admin_add(
            RetentionPolicy, lambda w: {"record_type": "event", "months": "90"}, {"months": 90}
        ),
        "change": admin_change(RetentionPolicy, _policy, {"months": "60"}, {"months": 60}),
        "delete": admin_delete(RetentionPolicy, _policy),
    },
    User: {
        "add": admin_add(
            User,
            lambda w: {
                "username": "admin_added",
                "password1": "a-long-pass-phrase-7",
                "password2": "a-long-pass-phrase-7",
                "usable_password": "true",
            },
            {"username": "admin_added"},
        ),
        "change": admin_change(
            User,
            _user,
            lambda w: {"groups": [str(Group.objects.get(name="manager").pk)]},
            {"groups": ["manager"]},
        ),
        "delete": admin_delete(User, _user),
    },
    Group: {
        "add": admin_add(Group, lambda w: {"name": "Admin group"}, {"name": "Admin group"}),
        "change": admin_change(Group, _group, {"name": "Renamed group"}, {"name": "Renamed group"}),
        "delete": admin_delete(Group, _group),
    },
    AccessAttempt: {
        "add": admin_refused(AccessAttempt, "add"),
        "change": admin_change(AccessAttempt, _attempt, {}, {}),
        "delete": admin_delete(AccessAttempt, _attempt),
    },
}

from axes.models import AccessFailureLog  # noqa: E402
from axes.models import AccessLog as AxesLog  # noqa: E402

from audits.models import AccessLog  # noqa: E402  (read-only like Event)

for _model, _make in (
    (AccessLog, _access),
    (AxesLog, _axes_log),
    (AccessFailureLog, _axes_failure),
):
    ADMIN[_model] = {
        "add": admin_refused(_model, "add"),
        "change": admin_change(_model, _make, {}, {}),
        "delete": admin_delete(_model, _make),
    }
ADMIN[AccessLog] = {
    "add": admin_refused(AccessLog, "add"),
    "change": admin_refused(AccessLog, "change", _access),
    "delete": admin_refused(AccessLog, "delete", _access),
}

# Single sign-on: the group mappings and the provider identities (audits/models/sso.py).
from audits.models import GroupMapping, SingleSignOnIdentity  # noqa: E402


def _mapping(w):
    return GroupMapping.objects.create(group=f"g-{GroupMapping.objects.count()}", role="auditor")


def _identity(w):
    return SingleSignOnIdentity.objects.create(
        user=_user(w), issuer="https://login.example", subject=f"s-{_user(w).pk}"
    )


ADMIN[GroupMapping] = {
    "add": admin_add(
        GroupMapping,
        lambda w: {"group": "g-admin-added", "role": "manager"},
        {"group": "g-admin-added", "role": "manager"},
    ),
    "change": admin_change(GroupMapping, _mapping, {"role": "manager"}, {"role": "manager"}),
    "delete": admin_delete(GroupMapping, _mapping),
}
ADMIN[SingleSignOnIdentity] = {
    "add": admin_add(
        SingleSignOnIdentity,
        lambda w: {"user": str(_user(w).pk), "issuer": "https://login.example", "subject": "s"},
        {"subject": "s"},
    ),
    "change": admin_change(SingleSignOnIdentity, _identity, {"subject": "s2"}, {"subject": "s2"}),
    "delete": admin_delete(SingleSignOnIdentity, _identity),
}
ADMIN_BY_LABEL = {model._meta.label_lower: views for model, views in ADMIN.items()}


@case(("admin:auth_user_password_change", "POST"))
def _(w):
    user = _user(w)
    return page(
        "ADM",
        reverse("admin:auth_user_password_change", args=[user.pk]),
        {
            "password1": "another-long-phrase-3",
            "password2": "another-long-phrase-3",
            "usable_password": "true",
        },
        status=302,
        obj=("user", user.pk),
        verb="updated",
    )


@case(("admin:password_change", "POST"))
def _(w):
    # Another administrator: the walk goes on signed in as ADM.
    admin_user = User.objects.create_superuser("admin_two", password="old-long-phrase-1")
    w.people["ADM2"] = admin_user
    return page(
        "ADM2",
        reverse("admin:password_change"),
        {
            "old_password": "old-long-phrase-1",
            "new_password1": "new-long-phrase-2",
            "new_password2": "new-long-phrase-2",
        },
        status=302,
        obj=("user", admin_user.pk),
        verb="updated",
        change={"password": "(changed)"},
    )


@case(("admin:audits_team_changelist", "POST"))
def _(w):
    team = _team(w)
    return page(
        "ADM",
        admin_url(Team, "changelist"),
        {"action": "delete_selected", "_selected_action": [team.pk], "post": "yes"},
        status=302,
        obj=("team", team.pk),
        verb="deleted",
    )


@case(("admin:axes_accessattempt_changelist", "POST"))
def _(w):
    # Lifting lockouts in bulk. (django-axes' own "clean up expired attempts" action
    # fails outside a sign-in request: request.axes_attempt_time is missing.)
    attempt = _attempt(w)
    return page(
        "ADM",
        admin_url(AccessAttempt, "changelist"),
        {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"},
        status=302,
        obj=("accessattempt", attempt.pk),
        verb="deleted",
    )


def admin_case(name: str):
    """The case of an admin model route: add / change / delete from ADMIN; a changelist's
    POST (a bulk action with nothing chosen) and history write nothing."""
    match = re.fullmatch(r"admin:(\w+?)_(\w+)_(add|change|delete|changelist|history)", name)
    if not match:
        return None
    app, model, view = match.groups()
    views = ADMIN_BY_LABEL.get(f"{app}.{model}")
    if views is None:
        return None
    if view in views:
        return views[view]
    return "nothing written"


# --- the walk -----------------------------------------------------------------------------


def case_for(name: str, method: str):
    if (name, method) in CASES:
        return CASES[(name, method)]
    if name in NOTHING_WRITTEN:
        return "nothing written"
    return admin_case(name) if name.startswith("admin:") else None


def test_every_unsafe_route_has_a_case():
    missing = sorted(f"{m} {n}" for n, m in unsafe_routes() if case_for(n, m) is None)
    assert missing == [], f"unsafe routes with no case in this walk: {missing}"
    registered = {model._meta.label_lower for model in admin.site._registry}
    assert registered - set(ADMIN_BY_LABEL) == set(), "admin models with no add/change/delete case"
    assert all(isinstance(a, RecordedAdmin) for a in admin.site._registry.values())


def _send(client, method, write: Write):
    if write.api and not write.as_multipart:
        return client.generic(method, write.url, **_json(write.data))
    if method == "POST" and write.api:  # a file upload: the API reads JSON unless told
        return client.post(write.url, write.data or {}, format="multipart")
    if method == "POST":
        return client.post(write.url, write.data or {})
    return client.generic(method, write.url)


def _json(data):
    import json

    if data is None:
        return {}
    return {"data": json.dumps(data, default=str), "content_type": "application/json"}


def _client(w, actor, api):
    client = APIClient() if api else Client()
    if w.people.get(actor) is not None:
        client.force_login(w.people[actor])
    return client


def _matches(event, expected: dict) -> bool:
    recorded = (
        {**(event.before or {}), **(event.after or {})}
        if isinstance(event.after or {}, dict)
        else {}
    )
    return all(
        key in recorded and (value is None or recorded[key] == value)
        for key, value in expected.items()
    )


def test_every_unsafe_route_leaves_an_event(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    w = World()
    problems = []
    for name, method in sorted(unsafe_routes()):
        found = case_for(name, method)
        if found is None:
            problems.append(f"{method} {name}: no case")
            continue
        if found == "nothing written":
            url = _url(name, w)
            write = Write("ADM" if name.startswith("admin:") else "QA", url, {}, api=False)
            expect_status = None
        else:
            try:
                with transaction.atomic():
                    write = found(w)
            except Exception as error:  # a broken case is reported with the others
                problems.append(f"{method} {name}: the case could not be set up: {error!r}")
                continue
            expect_status = write.status
        actor = w.people.get(write.event_actor or write.actor)
        client = _client(w, write.actor, write.api)
        last = Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        with CaptureQueriesContext(connection) as queries:
            response = _send(client, method, write)
        label = f"{method} {name}"
        written = domain_writes(queries.captured_queries)
        events = list(Event.objects.filter(pk__gt=last))
        if expect_status is not None and response.status_code != expect_status:
            body = getattr(response, "content", b"")[:300]
            problems.append(
                f"{label}: status {response.status_code}, expected {expect_status} {body!r}"
            )
            continue
        if written and not events:
            problems.append(f"{label}: wrote {sorted(written)} and no Event")
            continue
        if write.obj is None:
            if written:
                problems.append(f"{label}: expected no change, wrote {sorted(written)}")
            continue
        object_type, object_id = write.obj
        named = [
            e
            for e in events
            if (not object_type or e.object_type == object_type)
            and (object_id is None or e.object_id == str(object_id))
            and write.verb in e.verb
        ]
        if not named:
            seen = [(e.verb, e.object_type, e.object_id) for e in events]
            problems.append(f"{label}: no Event {write.verb!r} on {write.obj}; saw {seen}")
            continue
        if any(e.actor_id != getattr(actor, "pk", None) for e in named):
            problems.append(f"{label}: Event not by {write.actor}")
        if write.change and not any(_matches(e, write.change) for e in named):
            problems.append(
                f"{label}: Event does not say {write.change}: "
                f"{[(e.before, e.after) for e in named]}"
            )
    assert problems == [], "\n".join(problems)


def _url(name: str, w) -> str:
    if name == "admin:view_on_site":
        from django.contrib.contenttypes.models import ContentType

        return reverse(name, args=[ContentType.objects.get_for_model(Team).pk, w.ids["team"]])
    if name == "admin:app_list":
        return reverse(name, args=["audits"])
    if name.startswith("admin:"):
        match = re.fullmatch(r"admin:(\w+?)_(\w+)_(changelist|history)", name)
        if match:
            app, model, view = match.groups()
            from django.apps import apps

            model_class = apps.get_model(app, model)
            if view == "changelist":
                return reverse(name)
            first = model_class._default_manager.order_by("pk").first()
            return reverse(name, args=[first.pk if first else 1])
        return reverse(name)
    url = url_for(name, w.ids)
    assert url is not None, name
    return url


# --- management commands --------------------------------------------------------------------

COMMANDS = {"import_cases", "purge_retention", "seed_demo"}
# Django's own schema commands, wrapped only to connect as the database owner role: they
# change the schema (or empty a test database), not the records an Event describes.
SCHEMA_COMMANDS = {"migrate", "flush"}
# Commands that only read (a pack checked against its manifest: tests/test_packs.py).
READ_ONLY_COMMANDS = {"check_pack", "backup_verify"}
# Backup and restore: each leaves its Event ("backup.taken" in the source database,
# "backup.restored" in the restored one), asserted by the drill, tests/test_backup_restore.py.
BACKUP_COMMANDS = {"backup", "restore"}


def test_every_management_command_has_a_case():
    found = {name for _, name, _ in pkgutil.iter_modules(command_package.__path__)}
    assert found == COMMANDS | SCHEMA_COMMANDS | READ_ONLY_COMMANDS | BACKUP_COMMANDS


def test_import_and_purge_commands_leave_events(db, tmp_path):
    team = Team.objects.create(name="Commands", service_area="cp")
    register = tmp_path / "cases.csv"
    register.write_text(
        "case_ref,team,case_type,opened_on,closed_on,worker_ref,manager_ref,birth_year\n"
        f"W600001,{team.name},cin,2026-01-05,,,,2015\n"
    )
    importer = User.objects.create_superuser("importer_ida", password="a-long-pass-phrase-5")
    with CaptureQueriesContext(connection) as queries:
        call_command(
            "import_cases",
            str(register),
            "--kind",
            "cases",
            "--as",
            "importer_ida",
            verbosity=0,
            stdout=io.StringIO(),
        )
    assert domain_writes(queries.captured_queries)
    imported = Event.objects.filter(verb__contains="import").last()
    assert imported is not None
    assert imported.actor == importer
    assert Case.objects.filter(case_ref="W600001").exists()

    with CaptureQueriesContext(connection) as queries:
        call_command("purge_retention", stdout=io.StringIO())
    purged = Event.objects.filter(verb="retention.purged").last()
    assert purged is not None


def test_seed_demo_leaves_an_event_and_a_second_run_writes_nothing(db):
    call_command("seed_demo", cases=20, history=False, stdout=io.StringIO())
    seeded = Event.objects.get(verb="demo.seeded")
    assert seeded.after["cases"] == 20
    with CaptureQueriesContext(connection) as queries:
        call_command("seed_demo", cases=20, history=False, stdout=io.StringIO())
    assert domain_writes(queries.captured_queries) == set()


@pytest.mark.parametrize(
    "sql",
    [
        'UPDATE "audits_case" SET "legal_hold" = true',
        'WITH saved AS (UPDATE "audits_audit" SET "answers" = 1 RETURNING id) INSERT INTO "x"',
        'DELETE FROM "audits_team" WHERE id = 1',
    ],
)
def test_the_write_detector_sees_writes(sql):
    assert domain_writes([{"sql": sql}]) - {"audits_event"}
