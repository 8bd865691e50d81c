"""An AccessLog row for every read of case data (issue 12, finding 9 / point 7).

Every route of the URLconf that answers GET is named below as showing case data or not;
a new route in neither list fails the suite. Each route that shows case data is read once,
as a person allowed to see it, and must leave exactly one AccessLog row naming that person,
the kind of record and its id (or, for a list, the ids shown and the filter used).
"""

from django.contrib import admin
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from audits.models import AccessLog, Case, Reconciliation, Staff
from tests.test_access_matrix import url_for
from tests.test_every_write_has_an_event import World, _routes

# route -> (who reads it, the kind of record its AccessLog row names)
CASE_DATA = {
    "api:case-list": ("QA", "case"),
    "api:case-detail": ("QA", "case"),
    "api:audit-list": ("QA", "audit"),
    "api:audit-detail": ("AUD", "audit"),
    "api:audit-history": ("QA", "audit"),
    "api:audit-comparison": ("QA", "audit"),
    "api:reconciliation-list": ("QA", "reconciliation"),
    "api:reconciliation-detail": ("IA", "reconciliation"),
    "api:conflict-list": ("QA", "conflict"),
    "api:conflict-detail": ("QA", "conflict"),
    "api:cycle-sample-list": ("QA", "cycle"),
    "api:cycle-assignments": ("QA", "cycle"),
    "api:cycle-verification": ("IA", "cycle"),
    "api:cycle-frame-csv": ("IA", "cycle"),
    "api:cycle-sample-csv": ("IA", "cycle"),
    "api:escalation-list": ("QA", "escalation"),
    "api:escalation-detail": ("QA", "escalation"),
    "api:action-list": ("QA", "action"),
    "api:action-detail": ("TM", "action"),
    "api:evidence-detail": ("TM", "evidence"),
    "api:evidence-download": ("TM", "evidence"),
    "api:report-detail": ("IA", "reportjob"),
    "api:report-pdf": ("IA", "reportjob"),
    "api:report-data-json": ("IA", "reportjob"),
    "api:report-audits-csv": ("IA", "reportjob"),
    # The pack holds every audit of the cycle.
    "api:pack-download": ("IA", "packjob"),
    "web:my-audits": ("AUD", "audit"),
    "web:audit": ("AUD", "audit"),
    "web:raise-concern": ("AUD", "audit"),
    "web:check-answers": ("AUD", "audit"),
    "web:audit-evidence": ("AUD", "audit"),
    "web:action-evidence": ("TM", "action"),
    "web:evidence-download": ("TM", "evidence"),
    "web:cycle": ("QA", "cycle"),
    "web:cycle-sample": ("QA", "cycle"),
    "web:cycle-assignment": ("QA", "cycle"),
    "web:moderation": ("QA", "audit"),
    "web:moderate": ("QA", "audit"),
    "web:reconcile": ("QA", "reconciliation"),
    "web:actions": ("QA", "action"),
    "web:action-new": ("QA", "audit"),
    "web:escalations": ("QA", "escalation"),
    "web:dashboard": ("QA", "cycle"),
    "web:assurance-report": ("IA", "report"),
    "web:sampling-record": ("IA", "cycle"),
    "web:recheck": ("IA", "cycle"),
    "api:finding-list": ("PW", "audit"),
    "api:finding-detail": ("PW", "audit"),
    "api:practitioner-response-list": ("QA", "practitionerresponse"),
    "api:practitioner-response-detail": ("QA", "practitionerresponse"),
    "web:my-findings": ("PW", "audit"),
    "web:finding": ("PW", "audit"),
    "web:responses": ("QA", "practitionerresponse"),
    "web:my-actions": ("PW", "action"),
    "web:action": ("TM", "action"),
    "web:external-review": ("EXT", "externalaccess"),
    "web:external-audit": ("EXT", "audit"),
    "api:external-access-list": ("ADM", "externalaccess"),
    "api:external-access-detail": ("ADM", "externalaccess"),
}
# Served without case data: names, settings, figures without cases, the forms' chrome.
NO_CASE_DATA = {
    "api:api-root",
    "api:assurance-summaries",
    "api:assurance-series",
    "api:team-list",
    "api:team-detail",
    "api:staff-list",
    "api:staff-detail",
    "api:template-list",
    "api:template-detail",
    "api:template-export",
    "api:cycle-list",
    "api:cycle-detail",
    "api:cycle-plan",
    "api:cycle-verify-script",
    "api:improvement-item-list",
    "api:improvement-item-detail",
    "api:report-list",
    # An import job: counts and the row errors of a file its reader uploaded themselves.
    "api:import-job-list",
    "api:import-job-detail",
    "api:report-changed",
    "api:report-recompute",
    "web:keepalive",
    "web:cycles",
    "web:cycle-new",
    # Asking to confirm a draw: counts per stratum and the plan, no case.
    "web:cycle-draw",
    "web:cycle-reports",
    "web:report-job",
    # A pack's job and the list of a cycle's packs: statuses and fingerprints, no case.
    "api:pack-list",
    "api:pack-detail",
    "web:cycle-pack",
    "web:pack-job",
    # The import pages: the form, and a job's counts and row errors (the reader's own file).
    "web:register-import",
    "web:import-job",
    "web:assurance",
    "home",
    "health",
    "login",
    "logout",
    "sso-start",
    "sso-callback",
    "schema",
    "api-docs",
    "admin:auth_user_password_change",
    "admin:password_change",
    # POST only (405 to a GET):
    "web:action-advance",
    "web:cycle-assign",
    "web:cycle-plan",
    "web:cycle-extend",
    "web:cycle-override",
    "web:cycle-replace",
    "web:cycle-unavailable",
    "web:escalation-acknowledge",
    "web:cycle-close",
    "web:cycle-window",
    "web:notification-read",
    "web:notifications-read",
    "web:notification-preferences",
    # One's own notifications: what needs attention and a link, never case details.
    "api:notification-list",
    "web:notifications",
    "web:evidence-delete",
    "api:evidence-upload",
    "web:action-note",
    # The audit programme: teams, themes and dates, never a case.
    "api:programme-entry-list",
    "api:programme-entry-detail",
    "api:programme-entry-calendar",
    "web:programme",
    "web:programme-entry-new",
    "web:programme-entry-change",
    # External access: the reviewer's own grants (a cycle's name and dates), the
    # administrator's list of grants (names, organisations, dates) and the form.
    "web:external",
    "web:external-accesses",
    "web:external-access-new",
    "web:external-access-revoke",
}
# The administration: pages of these models show case data, the others do not.
ADMIN_CASE_MODELS = {"audits.case", "audits.conflict", "audits.event", "audits.accesslog"}
ADMIN_OTHER_MODELS = {
    "audits.team",
    "audits.staff",
    "audits.apitoken",
    "audits.retentionpolicy",
    "auth.user",
    "auth.group",
    "axes.accessattempt",
    "axes.accesslog",
    "axes.accessfailurelog",
    "audits.opinionsettings",
    "audits.programmeentry",
    "audits.programmeoccurrence",
    "audits.groupmapping",
    "audits.singlesignonidentity",
}
ADMIN_MODEL_PAGE = ("changelist", "change", "history", "delete")


def readable_routes() -> set[str]:
    names = set()
    for name, view in _routes():
        actions = getattr(view, "actions", None)
        view_class = getattr(view, "cls", None) or getattr(view, "view_class", None)
        if actions is not None:
            if "get" in actions:
                names.add(name)
        elif view_class is None or hasattr(view_class, "get"):
            names.add(name)
    return names


def _admin_model_page(name: str):
    for label in ADMIN_CASE_MODELS | ADMIN_OTHER_MODELS:
        app, model = label.split(".")
        for page in (*ADMIN_MODEL_PAGE, "add"):
            if name == f"admin:{app}_{model}_{page}":
                return label, page
    return None


def test_every_readable_route_is_named_as_showing_case_data_or_not():
    unnamed = []
    for name in sorted(readable_routes()):
        if name in CASE_DATA or name in NO_CASE_DATA:
            continue
        if name.startswith("admin:") and (
            _admin_model_page(name) or name.split("_")[-1] not in ADMIN_MODEL_PAGE
        ):
            continue  # admin model pages below; the site's own pages show no record
        unnamed.append(name)
    assert unnamed == [], f"routes not named as showing case data or not: {unnamed}"
    registered = {model._meta.label_lower for model in admin.site._registry}
    assert registered == ADMIN_CASE_MODELS | ADMIN_OTHER_MODELS


def _client(person, api: bool):
    client = APIClient() if api else Client()
    client.force_login(person)
    return client


def test_every_read_of_case_data_leaves_one_access_log_row(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    w = World()
    moderated = w.submitted_audit()
    problems = []
    for name, (actor, object_type) in sorted(CASE_DATA.items()):
        url = url_for(name, w.ids)
        if name == "web:moderate":
            url = f"/moderation/{moderated.pk}/"
        if name == "api:audit-comparison":  # a pair both submitted: the reconciliation's
            first = Reconciliation.objects.get(pk=w.ids["reconciliation"]).first_audit_id
            url = f"/api/v1/audits/{first}/comparison/"
        lists = name.endswith("-list") or name in (
            "api:cycle-sample-list",
            "api:cycle-assignments",
            "web:my-audits",
            "web:moderation",
            "web:actions",
            "web:escalations",
            "web:action-new",
            "web:dashboard",
            "web:my-findings",
            "web:responses",
            "web:my-actions",
            "web:external-review",
        )
        if name.startswith("api:") and name.endswith("-list"):
            url += "?limit=5"
        person = w.people[actor]
        last = AccessLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        response = _client(person, name.startswith("api:")).get(url)
        rows = list(AccessLog.objects.filter(pk__gt=last))
        if response.status_code != 200:
            problems.append(f"GET {name} as {actor}: status {response.status_code}")
            continue
        if len(rows) != 1:
            problems.append(f"GET {name}: {len(rows)} AccessLog rows, expected one")
            continue
        row = rows[0]
        if (row.user_id, row.object_type) != (person.pk, object_type):
            problems.append(f"GET {name}: row says {row.user_id} read {row.object_type}")
        if not lists and not row.object_id:
            problems.append(f"GET {name}: row names no record")
        if name.startswith("api:") and name.endswith("-list"):
            shown = [str(item["id"]) for item in response.json()["results"]]
            if (row.detail or {}).get("ids") != shown or "limit" not in row.detail["filter"]:
                problems.append(f"GET {name}: row says {row.detail}, the page showed {shown}")
    assert problems == [], "\n".join(problems)


def test_every_admin_page_of_case_data_is_logged_when_served(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    w = World()
    client = _client(w.people["ADM"], api=False)
    problems, served = [], set()
    for name in sorted(readable_routes()):
        found = _admin_model_page(name)
        if found is None or found[1] == "add":
            continue
        label, page = found
        model = next(m for m in admin.site._registry if m._meta.label_lower == label)
        first = model._default_manager.order_by("pk").first()
        if first is None and page != "changelist":
            continue
        args = [] if page == "changelist" else [first.pk]
        last = AccessLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        response = client.get(reverse(name, args=args))
        rows = list(AccessLog.objects.filter(pk__gt=last))
        logged = len(rows) == 1 and rows[0].user_id == w.people["ADM"].pk
        if label in ADMIN_CASE_MODELS and response.status_code == 200:
            served.add(name)
            if not logged:
                problems.append(f"GET {name}: {len(rows)} AccessLog rows")
        elif rows:
            problems.append(f"GET {name} ({response.status_code}): logged {rows}")
    assert problems == [], "\n".join(problems)
    assert {"admin:audits_case_changelist", "admin:audits_case_change"} <= served


def test_reads_refused_or_changes_made_are_not_logged_as_reads(db, people, client_for, teams):
    case = Case.objects.create(
        case_ref="C100001",
        team=teams["Child Protection One"],
        case_type="cin",
        opened_on="2025-01-01",
    )
    assert client_for(people["outsider_eve"]).get(f"/api/v1/cases/{case.pk}/").status_code == 404
    staff = Staff.objects.get(user=people["admin_ada"])
    response = client_for(people["admin_ada"]).patch(
        f"/api/v1/staff/{staff.pk}/", {"capacity": 3}, format="json"
    )
    assert response.status_code == 200
    assert not AccessLog.objects.exists()


def test_a_filter_with_a_nul_is_logged_not_an_error(db, people):
    # PostgreSQL's JSON refuses \u0000: the row keeps the filter without it.
    client = Client()
    client.force_login(people["qa_lead_quinn"])
    assert client.get("/actions/?status=do%00ne").status_code == 200
    row = AccessLog.objects.get()
    assert (row.object_type, row.action) == ("action", "list")
    assert row.detail["filter"]["status"] == ["do\ufffdne"]
