"""The access matrix: every route x method x role has an expected status in one table, and
a route without a row fails the suite.

People (demo council; team managers also hold the auditor role but audit nothing here, and
the practitioner role: TM managed case A's team when it was audited):
AUD is the first auditor of case A (submitted), AUD2 its blind second auditor (not yet
submitted), TM manages A's team, OM manages another team, QA is the QA lead, IA internal
audit, ADM an administrator, OUT a user with no role, ANON nobody. Practitioners (that role
only): PW the worker of a final audit's case when it was audited (who responded to it and owns
an action on it), PO the worker of another case. EXT an external reviewer (no role) with open
read access to the cycle's whole sample: everywhere but the external pages they are answered
as OUT is (``table()`` copies OUT's answer where a row names none for EXT).

"ok" means served (2xx; for a write, 400 or 409 on an empty body also counts). Writes are
sent only where the table expects a refusal, so nothing changes while it is checked.
"""

from datetime import date, timedelta

from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from audits.models import (
    Allocation,
    Assignment,
    Audit,
    Conflict,
    ImprovementItem,
    Notification,
    ReportJob,
    Staff,
    Team,
)
from audits.services import escalations, responses
from audits.services.actions import action_create
from audits.services.evidence import evidence_attach
from audits.services.external_access import external_access_grant
from audits.services.import_jobs import import_job_start
from audits.services.packs import pack_request
from audits.services.programme import programme_entry_create
from tests.builders import disagreeing_double_audit, finished_cycle
from worker.compile import report_compile
from worker.pack import pack_build

ROLES = ("ANON", "OUT", "AUD", "AUD2", "TM", "OM", "QA", "IA", "ADM", "PW", "PO", "EXT")
SIGNED_IN = ROLES[1:]
WITH_ROLE = tuple(role for role in ROLES[2:] if role != "EXT")
OK = "ok"


def allow(ok=(), otherwise=404, **special):
    """Expected status per role: ``ok`` roles served, ANON refused (401 for the API),
    named roles as given, everyone else ``otherwise``."""
    table = {role: OK if role in ok else otherwise for role in ROLES}
    table["ANON"] = special.pop("ANON", 401)
    table.update(special)
    return table


def deny(**statuses):
    """A write checked only for refusals: roles not named are allowed and not sent. The
    practitioners write nothing but their responses and their own actions: 403 unless
    named."""
    return {"ANON": 401, "PW": 403, "PO": 403, **statuses}


READ_ALL = allow(WITH_ROLE)
MANAGERS = ("TM", "OM", "QA")
REPORT_READERS = ("QA", "IA", "ADM")
# Auditors see their audits, never the cycle and its sample (issue 12, finding 5).
CYCLE_READERS = ("QA", "IA", "ADM")
NOT_MANAGER = {"AUD": 403, "AUD2": 403, "IA": 403, "ADM": 403, "OUT": 403}
NOT_ADMIN = dict.fromkeys(("OUT", "AUD", "AUD2", "TM", "OM", "QA", "IA"), 403)
# Owners (PW) update their own actions; PO sees none of them.
ACTION_WRITE = deny(AUD=404, AUD2=404, OM=404, IA=403, OUT=403, PW=404, PO=404)
CYCLE_WRITE = deny(**NOT_MANAGER, TM=404, OM=404)
ACTION_READERS = ("TM", "QA", "IA", "ADM")
# The programme: every manager, internal audit and administrators read it; the QA lead and
# administrators write it, anyone else is refused (403) before the body is read.
PROGRAMME_READERS = (*MANAGERS, "IA", "ADM")
PROGRAMME_WRITE = deny(**dict.fromkeys(("OUT", "AUD", "AUD2", "TM", "OM", "IA"), 403))
NOT_PROGRAMME_WRITER = dict.fromkeys(("OUT", "AUD", "AUD2", "TM", "OM", "IA", "PW", "PO"), 404)

API = {
    "api-root": {"GET": allow(SIGNED_IN)},
    "token-issue": {"POST": dict.fromkeys(ROLES, OK)},
    "token-revoke": {"POST": deny(PW=OK, PO=OK)},
    "assurance-summaries": {"GET": allow((*MANAGERS, "IA", "ADM"))},
    "assurance-series": {"GET": allow((*MANAGERS, "IA", "ADM"))},
    "team-list": {"GET": READ_ALL, "POST": deny(**NOT_ADMIN)},
    "team-detail": {
        "GET": READ_ALL,
        "PUT": deny(**NOT_ADMIN),
        "PATCH": deny(**NOT_ADMIN),
        "DELETE": deny(**NOT_ADMIN),
    },
    "staff-list": {"GET": READ_ALL, "POST": deny(**NOT_ADMIN)},
    "staff-detail": {
        "GET": allow(("AUD", "TM", "OM", "QA", "IA", "ADM")),
        "PATCH": deny(**NOT_ADMIN),
        "PUT": deny(**NOT_ADMIN),
        "DELETE": deny(**NOT_ADMIN),
    },
    "conflict-list": {"GET": READ_ALL, "POST": deny(IA=403, OUT=403, ADM=403)},
    "conflict-detail": {
        "GET": allow(("TM", "QA", "IA", "ADM")),
        "PATCH": deny(IA=403, OUT=403, ADM=403, AUD=404, AUD2=404, OM=404),
        "PUT": deny(IA=403, OUT=403, ADM=403, AUD=404, AUD2=404, OM=404),
        "DELETE": deny(IA=403, OUT=403, ADM=403, AUD=404, AUD2=404, OM=404),
    },
    "case-list": {"GET": READ_ALL},
    "case-detail": {"GET": allow(("AUD", "AUD2", "TM", "QA", "IA", "ADM"))},
    "case-import-register": {"POST": deny(AUD=403, AUD2=403, IA=403, OUT=403)},
    "case-follow-up": {"POST": deny(AUD=403, AUD2=403, IA=403, ADM=403, OUT=403, OM=404)},
    "cycle-list": {"GET": READ_ALL, "POST": deny(**NOT_MANAGER)},
    "cycle-detail": {
        "GET": allow(CYCLE_READERS),
        "PUT": CYCLE_WRITE,
        "PATCH": CYCLE_WRITE,
        "DELETE": CYCLE_WRITE,
    },
    "cycle-plan": {"GET": allow(CYCLE_READERS)},
    "cycle-sample-list": {"GET": allow(CYCLE_READERS)},
    "cycle-verification": {"GET": allow(CYCLE_READERS)},
    "cycle-verify-script": {"GET": allow(CYCLE_READERS)},
    "cycle-assignments": {"GET": allow(CYCLE_READERS)},
    "cycle-frame-csv": {"GET": allow(REPORT_READERS)},
    "cycle-sample-csv": {"GET": allow(REPORT_READERS)},
    "cycle-draw": {"POST": CYCLE_WRITE},
    "cycle-assign": {"POST": CYCLE_WRITE},
    "cycle-extend": {"POST": CYCLE_WRITE},
    "cycle-override": {"POST": CYCLE_WRITE},
    "cycle-unavailable": {"POST": CYCLE_WRITE},
    "cycle-close": {"POST": CYCLE_WRITE},
    "sampled-case-replace": {"POST": CYCLE_WRITE},
    "template-list": {"GET": READ_ALL, "POST": deny(**NOT_ADMIN)},
    "template-detail": {
        "GET": READ_ALL,
        "PUT": deny(**NOT_ADMIN),
        "PATCH": deny(**NOT_ADMIN),
        "DELETE": deny(**NOT_ADMIN),
    },
    "template-export": {"GET": READ_ALL},
    "template-publish": {"POST": deny(**NOT_ADMIN)},
    "template-import-template": {"POST": deny(**NOT_ADMIN)},
    "audit-list": {"GET": READ_ALL},
    "audit-detail": {
        "GET": allow(("AUD", "QA", "IA", "ADM")),
        "PATCH": deny(AUD2=404, TM=404, OM=404, QA=403, IA=403, ADM=403, OUT=403),
    },
    "audit-history": {"GET": allow(("AUD", "QA", "IA", "ADM"))},
    # Blind: AUD2 has not submitted, so case A's pair cannot be compared yet, by anyone.
    "audit-comparison": {"GET": allow((), AUD=409, QA=409, IA=409, ADM=409)},
    "reconciliation-list": {"GET": READ_ALL},
    "reconciliation-detail": {"GET": allow(("QA", "IA", "ADM"))},
    "reconciliation-agree": {
        "POST": deny(AUD=403, AUD2=403, IA=403, ADM=403, OUT=403, TM=404, OM=404)
    },
    "audit-submit": {"POST": deny(AUD2=404, TM=404, OM=404, QA=403, IA=403, ADM=403, OUT=403)},
    "audit-moderation": {"POST": deny(AUD=403, AUD2=403, IA=403, ADM=403, OUT=403, TM=404, OM=404)},
    "audit-escalations": {"POST": deny(AUD2=404, TM=404, OM=404, IA=403, ADM=403, OUT=403)},
    "escalation-list": {"GET": READ_ALL},
    # The case's team manager is told of a concern at once and acknowledges it.
    "escalation-detail": {"GET": allow(("AUD", "TM", "QA", "IA", "ADM"))},
    "escalation-acknowledge": {"POST": deny(AUD=403, AUD2=403, IA=403, OUT=403, OM=404)},
    "action-list": {"GET": READ_ALL, "POST": deny(IA=403, OUT=403, PW=OK, PO=OK)},
    "action-detail": {
        "GET": allow(("TM", "QA", "IA", "ADM")),
        "PATCH": ACTION_WRITE,
        "PUT": ACTION_WRITE,
        "DELETE": ACTION_WRITE,
    },
    "action-notes": {"POST": ACTION_WRITE},
    # The final findings of audits of one's own cases, and one's response to them.
    "finding-list": {"GET": allow(("PW", "PO", "TM", "OM"))},
    "finding-detail": {"GET": allow(("PW", "TM"))},
    "finding-response": {
        "POST": deny(
            **dict.fromkeys(("OUT", "AUD", "AUD2", "QA", "IA", "ADM"), 403),
            PO=404,
            OM=404,
            PW=OK,
            TM=OK,
        )
    },
    "practitioner-response-list": {"GET": READ_ALL},
    "practitioner-response-detail": {"GET": allow(("QA", "IA", "ADM", "PW"))},
    "improvement-item-list": {"GET": READ_ALL, "POST": deny(AUD=403, AUD2=403, IA=403, OUT=403)},
    "improvement-item-detail": {
        "GET": READ_ALL,
        "PATCH": deny(AUD=403, AUD2=403, IA=403, OUT=403),
        "PUT": deny(AUD=403, AUD2=403, IA=403, OUT=403),
        "DELETE": deny(AUD=403, AUD2=403, IA=403, OUT=403),
    },
    "report-list": {
        "GET": allow((*MANAGERS, "IA", "ADM")),
        "POST": deny(AUD=403, AUD2=403, IA=403, ADM=403, OUT=403),
    },
    "report-detail": {"GET": allow(REPORT_READERS)},
    "report-pdf": {"GET": allow(REPORT_READERS)},
    "report-data-json": {"GET": allow(REPORT_READERS)},
    "report-audits-csv": {"GET": allow(REPORT_READERS)},
    "report-recompute": {"GET": allow(REPORT_READERS)},
    "report-changed": {"GET": allow(REPORT_READERS)},
    # Inspection packs: the cycle's managers, internal audit and administrators.
    "cycle-pack": {
        "POST": deny(**dict.fromkeys(("OUT", "AUD", "AUD2", "TM", "OM", "PW", "PO"), 404))
    },
    "pack-list": {"GET": allow((*MANAGERS, "IA", "ADM"))},
    "pack-detail": {"GET": allow(REPORT_READERS)},
    "pack-download": {"GET": allow(REPORT_READERS)},
    # One's own notifications only: AUD's is nobody else's to read or mark.
    "notification-list": {"GET": READ_ALL},
    "notification-read": {
        "POST": deny(
            OUT=403, **dict.fromkeys(("AUD2", "TM", "OM", "QA", "IA", "ADM", "PW", "PO"), 404)
        )
    },
    # Evidence (here on the world's action): whoever sees the action; the uploader deletes.
    # The action or audit is named in the body: one the person cannot see is a field error.
    "evidence-upload": {"POST": deny(PW=400, PO=400)},
    # Register imports: the manager who uploaded (QA) and administrators.
    "import-job-list": {"GET": allow((*MANAGERS, "ADM"))},
    "import-job-detail": {"GET": allow(("QA", "ADM"))},
    "evidence-detail": {
        "GET": allow(ACTION_READERS),
        "DELETE": deny(AUD=404, AUD2=404, OM=404, OUT=404, PW=404, PO=404, TM=403, IA=403, ADM=403),
    },
    "evidence-download": {"GET": allow(ACTION_READERS)},
    "programme-entry-list": {"GET": allow(PROGRAMME_READERS), "POST": PROGRAMME_WRITE},
    "programme-entry-detail": {"GET": allow(PROGRAMME_READERS), "DELETE": PROGRAMME_WRITE},
    "programme-entry-calendar": {"GET": allow(PROGRAMME_READERS)},
    "programme-entry-move": {"POST": PROGRAMME_WRITE},
    "programme-entry-skip": {"POST": PROGRAMME_WRITE},
    # External access: administrators give, change and withdraw it; nobody else sees it.
    "external-access-list": {"GET": allow(("ADM",)), "POST": deny(**NOT_ADMIN)},
    "external-access-detail": {"GET": allow(("ADM",)), "PATCH": deny(**NOT_ADMIN)},
    "external-access-revoke": {"POST": deny(**NOT_ADMIN)},
}

PAGE = {"ANON": 302}
NOT_CYCLE_MANAGER = dict.fromkeys(("OUT", "AUD", "AUD2", "TM", "OM", "IA", "ADM"), 404) | PAGE
WEB = {
    "keepalive": {"GET": allow(SIGNED_IN, ANON=401)},
    "my-audits": {"GET": allow(("AUD", "AUD2", "TM", "OM"), **PAGE)},
    "audit": {"GET": allow(("AUD", "QA", "IA", "ADM"), **PAGE)},
    "raise-concern": {"GET": allow(("AUD", "QA"), **PAGE)},
    # Checking the answers and submitting is the audit's own auditor's.
    "check-answers": {"GET": allow(("AUD",), **PAGE)},
    "cycles": {"GET": allow(MANAGERS, **PAGE)},
    "cycle-new": {"GET": allow(MANAGERS, **PAGE)},
    "cycle": {"GET": allow(("QA",), **PAGE)},
    "cycle-sample": {"GET": allow(("QA",), **PAGE)},
    "cycle-assignment": {"GET": allow(("QA",), **PAGE)},
    "cycle-draw": {"GET": NOT_CYCLE_MANAGER, "POST": NOT_CYCLE_MANAGER},
    "cycle-plan": {"POST": NOT_CYCLE_MANAGER},
    "cycle-assign": {"POST": NOT_CYCLE_MANAGER},
    "cycle-override": {"POST": NOT_CYCLE_MANAGER},
    "cycle-replace": {"POST": NOT_CYCLE_MANAGER},
    "cycle-extend": {"POST": NOT_CYCLE_MANAGER},
    "cycle-unavailable": {"POST": NOT_CYCLE_MANAGER},
    "cycle-close": {"POST": NOT_CYCLE_MANAGER},
    "cycle-window": {"POST": NOT_CYCLE_MANAGER},
    "cycle-reports": {"GET": allow(REPORT_READERS, **PAGE)},
    "report-job": {"GET": allow(REPORT_READERS, **PAGE)},
    "cycle-pack": {
        "GET": allow(REPORT_READERS, **PAGE),
        "POST": dict.fromkeys(("OUT", "AUD", "AUD2", "TM", "OM", "PW", "PO"), 404) | PAGE,
    },
    "pack-job": {"GET": allow(REPORT_READERS, **PAGE)},
    "register-import": {"GET": allow((*MANAGERS, "ADM"), **PAGE)},
    # The job page: the manager who uploaded the file (QA) and administrators.
    "import-job": {"GET": allow(("QA", "ADM"), **PAGE)},
    "moderation": {"GET": allow(MANAGERS, **PAGE)},
    "moderate": {"GET": NOT_CYCLE_MANAGER},
    "reconcile": {"GET": NOT_CYCLE_MANAGER},
    "actions": {"GET": allow((*MANAGERS, "IA", "ADM"), **PAGE)},
    "action-new": {
        "GET": allow(MANAGERS, **PAGE),
        "POST": dict.fromkeys(("OUT", "AUD", "AUD2", "IA", "ADM"), 404) | PAGE,
    },
    "action-advance": {
        "POST": dict.fromkeys(("OUT", "AUD", "AUD2", "OM", "IA", "PW", "PO"), 404) | PAGE
    },
    "action-note": {
        "POST": dict.fromkeys(("OUT", "AUD", "AUD2", "OM", "IA", "PW", "PO"), 404) | PAGE
    },
    "my-actions": {"GET": allow(WITH_ROLE, **PAGE)},
    "action": {"GET": allow(("TM", "QA", "IA", "ADM"), **PAGE)},
    "my-findings": {"GET": allow(("PW", "PO", "TM", "OM"), **PAGE)},
    "finding": {"GET": allow(("PW", "TM"), **PAGE)},
    "responses": {"GET": allow((*MANAGERS, "IA", "ADM"), **PAGE)},
    "escalations": {"GET": allow((*MANAGERS, "ADM"), **PAGE)},
    "escalation-acknowledge": {
        "POST": dict.fromkeys(("OUT", "AUD", "AUD2", "OM", "IA"), 404) | PAGE
    },
    "dashboard": {"GET": allow(MANAGERS, **PAGE)},
    "assurance": {"GET": allow(("IA", "ADM"), **PAGE)},
    "assurance-report": {"GET": allow(("IA", "ADM"), **PAGE)},
    "sampling-record": {"GET": allow(("IA", "ADM"), **PAGE)},
    "recheck": {"GET": allow(("IA", "ADM"), **PAGE)},
    "notifications": {"GET": allow(WITH_ROLE, **PAGE)},
    "notification-read": {
        "POST": dict.fromkeys(("OUT", "AUD2", "TM", "OM", "QA", "IA", "ADM"), 404) | PAGE
    },
    "notifications-read": {"POST": {"OUT": 404, **PAGE}},
    "notification-preferences": {"POST": {"OUT": 404, **PAGE}},
    "audit-evidence": {
        "GET": allow(("AUD", "QA", "IA", "ADM"), **PAGE),
        "POST": dict.fromkeys(("OUT", "AUD2", "TM", "OM"), 404)
        | dict.fromkeys(("QA", "IA", "ADM"), 403)
        | {"AUD": 409}
        | PAGE,
    },
    "action-evidence": {
        "GET": allow(ACTION_READERS, **PAGE),
        "POST": dict.fromkeys(("OUT", "AUD", "AUD2", "OM"), 404) | {"IA": 403} | PAGE,
    },
    "evidence-download": {"GET": allow(ACTION_READERS, **PAGE)},
    "evidence-delete": {
        "POST": dict.fromkeys(("OUT", "AUD", "AUD2", "OM"), 404)
        | dict.fromkeys(("TM", "IA", "ADM"), 403)
        | PAGE
    },
    "programme": {"GET": allow(PROGRAMME_READERS, **PAGE)},
    "programme-entry-new": {
        "GET": allow(("QA", "ADM"), **PAGE),
        "POST": NOT_PROGRAMME_WRITER | PAGE,
    },
    "programme-entry-change": {
        "GET": allow(("QA", "ADM"), **PAGE),
        "POST": NOT_PROGRAMME_WRITER | PAGE,
    },
    # The external reviewer's pages: their grant only, read-only (a POST is 405 for anyone).
    "external": {"GET": allow(("EXT",), **PAGE), "POST": dict.fromkeys(ROLES, 405)},
    "external-review": {"GET": allow(("EXT",), **PAGE), "POST": dict.fromkeys(ROLES, 405)},
    "external-audit": {"GET": allow(("EXT",), **PAGE), "POST": dict.fromkeys(ROLES, 405)},
    "external-accesses": {"GET": allow(("ADM",), **PAGE)},
    "external-access-new": {
        "GET": allow(("ADM",), **PAGE),
        "POST": dict.fromkeys(set(SIGNED_IN) - {"ADM"}, 404) | PAGE,
    },
    "external-access-revoke": {
        "GET": dict.fromkeys(ROLES, 405),
        "POST": dict.fromkeys(set(SIGNED_IN) - {"ADM"}, 404) | PAGE,
    },
}
OPEN = {  # outside any scope by design: no data
    "health": {"GET": dict.fromkeys(ROLES, OK)},
    "schema": {"GET": dict.fromkeys(ROLES, OK)},
    "api-docs": {"GET": dict.fromkeys(ROLES, OK)},
    "login": {"GET": {"ANON": OK, **dict.fromkeys(SIGNED_IN, 302)}},
    "logout": {},
    # Single sign-on's start and return: absent until OIDC_ISSUER is set (tests/test_sso.py,
    # tests/browser/test_sso.py sign in through them).
    "sso-start": {"GET": dict.fromkeys(ROLES, 404)},
    "sso-callback": {"GET": dict.fromkeys(ROLES, 404)},
    "home": {"GET": allow(SIGNED_IN, **PAGE)},
}


def named_routes() -> dict[str, str]:
    """name -> namespace for every route, Django admin and format-suffix twins aside."""
    found = {}

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.app_name == "admin":
                    continue
                walk(pattern.url_patterns, pattern.namespace or namespace)
            elif (
                isinstance(pattern, URLPattern)
                and pattern.name
                and "format" not in str(pattern.pattern)
            ):
                found[
                    pattern.name if namespace in (None, "") else f"{namespace}:{pattern.name}"
                ] = namespace

    walk(get_resolver().url_patterns, None)
    return found


def table() -> dict[str, dict]:
    rows = {
        **{f"api:{k}": v for k, v in API.items()},
        **{f"web:{k}": v for k, v in WEB.items()},
        **OPEN,
    }
    # The external reviewer holds no role: outside their own pages, OUT's answer is theirs.
    return {
        name: {
            method: by_role | {"EXT": by_role["OUT"]}
            if "OUT" in by_role and "EXT" not in by_role
            else by_role
            for method, by_role in methods.items()
        }
        for name, methods in rows.items()
    }


def test_every_route_has_a_row():
    missing = sorted(set(named_routes()) - set(table()))
    stale = sorted(set(table()) - set(named_routes()))
    assert missing == [], f"routes with no row in the access matrix: {missing}"
    assert stale == [], f"rows for routes that no longer exist: {stale}"


def build_world():
    cycle = finished_cycle(n=40, complete=0.5, peer_auditors=False)
    first = next(
        a
        for a in Assignment.objects.filter(
            sampled_case__cycle=cycle, role="primary"
        ).select_related("audit")
        if a.audit.status in ("submitted", "final")
        and a.sampled_case.assignments.filter(role="second", audit__status="assigned").exists()
    )
    second = first.sampled_case.assignments.get(role="second")
    case = first.sampled_case.case
    team_manager = Staff.objects.get(
        user__username=f"manager.{case.team.name.lower().replace(' ', '-')}"
    )
    other_team = Team.objects.exclude(pk=case.team_id).exclude(name="Quality Assurance").first()
    other_manager = Staff.objects.get(
        user__username=f"manager.{other_team.name.lower().replace(' ', '-')}"
    )
    people = {
        "ANON": None,
        "OUT": User.objects.create_user("outsider_eve"),
        "AUD": first.auditor.user,
        "AUD2": second.auditor.user,
        "TM": team_manager.user,
        "OM": other_manager.user,
        "QA": User.objects.get(username="qa.lead"),
        "IA": User.objects.get(username="internal.audit"),
        "ADM": User.objects.get(username="admin"),
    }
    lead = people["QA"]
    escalation = escalations.escalation_raise(
        audit=first.audit, actor=first.auditor.user, concern="x"
    )
    # A social worker of the team (a practitioner who is none of the people below).
    owner = Staff.objects.filter(team=case.team, staff_ref__startswith="SW").first()
    terms = {"owner": owner, "description": "Do it", "due_date": cycle.period_end}
    action = action_create(actor=lead, audit=first.audit, case=None, fields=terms)
    evidence = evidence_attach(
        actor=lead, action=action, upload=SimpleUploadedFile("plan.pdf", b"%PDF-1.7\n%%EOF\n")
    )
    job = ReportJob.objects.create(cycle=cycle, requested_by=lead, as_of=cycle.frame.drawn_at)
    report = report_compile(job.pk, "matrix")
    pack, _ = pack_request(cycle=cycle, actor=lead)
    pack_build(pack.pk, "matrix")
    register_file = SimpleUploadedFile("cases.csv", b"case_ref,team,case_type,opened_on\n")
    import_job = import_job_start(actor=lead, kind="cases", upload=register_file)
    # A conflict with case A, declared by someone with no login: TM's team's, not OM's.
    conflict = Conflict.objects.create(
        auditor=Staff.objects.filter(user__isnull=True).first(), case=case, reason="Knows them"
    )
    item = ImprovementItem.objects.create(reference="IP-1", title="Voice of the child")
    told = Notification.objects.create(
        recipient=people["AUD"], kind="assigned", text="New audits", link="/audits/"
    )
    # Another case's double audit, both halves submitted, apart: its reconciliation.
    reconciliation = disagreeing_double_audit(
        cycle, not_case=case.pk, not_auditors=(first.auditor.user, second.auditor.user)
    )
    final = Audit.objects.filter(
        assignment__sampled_case__cycle=cycle, status="final", assignment__role="primary"
    ).first()
    other_case = (
        Audit.objects.filter(assignment__sampled_case__cycle=cycle)
        .exclude(status="final")
        .exclude(assignment__sampled_case__case=final.assignment.sampled_case.case)
        .first()
        .assignment.sampled_case.case
    )
    for key, on in (("PW", final.assignment.sampled_case.case), ("PO", other_case)):
        user = User.objects.create_user(f"practitioner_{key.lower()}")
        user.groups.set([Group.objects.get(name="practitioner")])
        staff = Staff.objects.create(user=user, staff_ref=f"P-{key}", name=key, team=on.team)
        Allocation.objects.create(case=on, staff=staff, role="worker", from_date=on.opened_on)
        people[key] = user
    given = responses.response_record(actor=people["PW"], audit=final, verdict="agree")
    own = dict(terms, owner=Staff.objects.get(user=people["PW"]), due_date=cycle.period_end)
    own_action = action_create(actor=lead, audit=final, case=None, fields=own)
    entry = programme_entry_create(
        actor=lead, fields={"year": 2027, "kind": "random", "name": "Monthly", "month": 1}
    )
    people["EXT"] = User.objects.create_user("inspector_ian", first_name="Ian")
    external = external_access_grant(
        actor=people["ADM"],
        person=people["EXT"],
        cycle=cycle,
        organisation="Ofsted",
        purpose="inspection",
        scope="sample",
        starts_on=date.today(),
        ends_on=date.today() + timedelta(days=6),
    )
    ids = {
        "programme-entry": entry.pk,
        "external-access": external.pk,
        "team": case.team_id,
        "staff": first.auditor_id,
        "conflict": conflict.pk,
        "case": case.pk,
        "cycle": cycle.pk,
        "sampled-case": first.sampled_case_id,
        "template": first.audit.template_id,
        "audit": first.audit.pk,
        "escalation": escalation.pk,
        "action": action.pk,
        "improvement-item": item.pk,
        "report": job.pk,
        "report_id": report.pk,
        "pack": pack.pk,
        "notification": told.pk,
        "reconciliation": reconciliation.pk,
        "evidence": evidence.pk,
        "import-job": import_job.pk,
        "finding": final.pk,
        "practitioner-response": given.pk,
        "own-action": own_action.pk,
    }
    return people, ids


def url_for(name: str, ids: dict) -> str | None:
    from django.urls import NoReverseMatch, reverse

    short = name.split(":")[-1]
    if name == "web:finding":
        return reverse(name, kwargs={"audit_id": ids["finding"]})
    for kwargs in (
        {},
        {"pk": ids.get(short.rsplit("-", 1)[0]) or ids.get(short.split("-")[0])},
        {"pk": ids.get("-".join(short.split("-")[:2]))},
        {"audit_id": ids["audit"]},
        {"cycle_id": ids["cycle"]},
        {"job_id": ids["report"]},
        {"pack_id": ids.get("pack")},
        {"import_job_id": ids["import-job"]},
        {"action_id": ids["action"]},
        {"report_id": ids["report_id"]},
        {"escalation_id": ids["escalation"]},
        {"notification_id": ids["notification"]},
        {"reconciliation_id": ids["reconciliation"]},
        {"access_id": ids["external-access"]},
    ):
        if any(value is None for value in kwargs.values()):
            continue
        try:
            return reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            continue
    return None


def served(status: int, method: str) -> bool:
    return 200 <= status < 300 or (method != "GET" and status in (400, 409))


FILE_UPLOADS = {"api:evidence-upload", "api:case-import-register"}


def test_every_role_gets_exactly_what_the_table_says(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    people, ids = build_world()
    problems = []
    for name, methods in sorted(table().items()):
        if name == "logout":
            continue
        url = url_for(name, ids)
        assert url is not None, f"cannot build a URL for {name}"
        for method, expected_by_role in methods.items():
            for role, expected in expected_by_role.items():
                client = (APIClient if name.startswith("api:") else Client)()
                if people[role] is not None:
                    client.force_login(people[role])
                # The API reads JSON; the routes that take a file read multipart, as sent.
                extra = {"format": "multipart"} if name in FILE_UPLOADS else {}
                response = getattr(client, method.lower())(
                    url, {} if method != "GET" else None, **extra
                )
                status = response.status_code
                good = served(status, method) if expected == OK else status == expected
                if not good:
                    problems.append(f"{method} {name} as {role}: expected {expected}, got {status}")
    print("\n".join(problems))
    assert problems == [], "\n".join(problems)


def test_every_list_costs_a_few_queries_however_many_rows(db, django_assert_max_num_queries):
    people, ids = build_world()
    client = APIClient()
    client.force_login(people["ADM"])
    lists = sorted(
        name for name in API if name.endswith("-list") and API[name].get("GET", {}).get("ADM") == OK
    )
    for name in lists:
        url = url_for(f"api:{name}", ids) + "?limit=500"
        with django_assert_max_num_queries(12, info=name):
            response = client.get(url)
        assert response.status_code == 200, name
    # The register is large enough that one query per row would show.
    assert client.get("/api/v1/cases/?limit=500").json()["count"] >= 300
