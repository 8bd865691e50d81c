"""Every page opens for the roles whose job it is and answers 404 to everyone else, with
no-store caching; signing in, signing out and the session keep-alive."""

import pytest
from django.test import Client

from audits.models import Escalation, ReportJob
from tests.browser import scenarios


@pytest.fixture
def world(db):
    cycle = scenarios.assigned_cycle()
    reported, report = scenarios.reported_cycle()
    audit = scenarios.first_audit(cycle)
    other_auditor = (
        scenarios.person("auditor.1")
        if audit.assignment.auditor.user.username != "auditor.1"
        else scenarios.person("auditor.2")
    )
    bystander = scenarios.team_manager("Front Door")
    return {
        "team_manager": bystander,
        "cycle": cycle,
        "reported": reported,
        "report": report,
        "job": ReportJob.objects.get(report=report),
        "audit": audit,
        "auditor": audit.assignment.auditor.user,
        "other_auditor": other_auditor,
        "escalation": Escalation.objects.first(),
    }


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


LEAD, INTERNAL, ADMIN = "qa.lead", "internal.audit", "admin"
# A team manager who audits nothing in either cycle: both cover every team, so only the QA
# lead (who manages every team) and the cycle's creator run them.
TEAM_MANAGER = "team_manager"

# (page, who may open it, who gets 404). "auditor" is the audit's own auditor, "other" a
# different auditor, "outsider" a signed-in person with no role.
PAGES = [
    ("/", [LEAD, INTERNAL, "auditor", "outsider"], []),
    ("/audits/", ["auditor", "other"], [LEAD, INTERNAL, "outsider"]),
    ("/audits/{audit}/", ["auditor", LEAD, INTERNAL], ["other", "outsider", TEAM_MANAGER]),
    ("/audits/{audit}/concern/", ["auditor", LEAD], [INTERNAL, "other", "outsider"]),
    ("/cycles/", [LEAD, TEAM_MANAGER], ["auditor", INTERNAL, "outsider"]),
    ("/cycles/new/", [LEAD], ["auditor", INTERNAL, "outsider"]),
    ("/cycles/{cycle}/", [LEAD], ["auditor", INTERNAL, "outsider", TEAM_MANAGER]),
    ("/cycles/{reported}/reports/", [LEAD, INTERNAL], ["auditor", "outsider", TEAM_MANAGER]),
    ("/reports/{job}/", [LEAD, INTERNAL], ["auditor", "outsider", TEAM_MANAGER]),
    ("/moderation/", [LEAD], ["auditor", INTERNAL, "outsider"]),
    ("/actions/", [LEAD, INTERNAL], ["auditor", "outsider"]),
    ("/actions/new/", [LEAD, TEAM_MANAGER], ["auditor", INTERNAL, ADMIN, "outsider"]),
    ("/actions/new/?audit={audit}", [LEAD], ["auditor", INTERNAL, "outsider", TEAM_MANAGER]),
    ("/escalations/", [LEAD], ["auditor", INTERNAL, "outsider"]),
    ("/dashboard/", [LEAD], ["auditor", INTERNAL, "outsider"]),
    ("/assurance/", [INTERNAL, ADMIN], [LEAD, "auditor", "outsider"]),
    ("/assurance/reports/{report}/", [INTERNAL, ADMIN], [LEAD, "auditor", "outsider"]),
    ("/assurance/cycles/{reported}/sampling/", [INTERNAL], [LEAD, "auditor", "outsider"]),
    ("/assurance/cycles/{reported}/recheck/", [INTERNAL], [LEAD, "auditor", "outsider"]),
]


def _user(world, who):
    if who == "auditor":
        return world["auditor"]
    if who == "other":
        return world["other_auditor"]
    if who == "outsider":
        return scenarios.outsider()
    if who == TEAM_MANAGER:
        return world[TEAM_MANAGER]
    return scenarios.person(who)


def _url(world, template):
    return template.format(
        audit=world["audit"].pk,
        cycle=world["cycle"].pk,
        reported=world["reported"].pk,
        job=world["job"].pk,
        report=world["report"].pk,
    )


def test_each_page_opens_for_its_roles_and_is_404_for_the_rest(world):
    # One pass over the table: building the world takes seconds, the requests do not.
    problems = []
    for template, allowed, denied in PAGES:
        url = _url(world, template)
        for who in allowed:
            response = client_for(_user(world, who)).get(url)
            if response.status_code != 200:
                problems.append(f"{url} as {who}: {response.status_code}, expected 200")
            elif response["Cache-Control"] != "no-store":
                problems.append(f"{url} as {who}: Cache-Control {response['Cache-Control']}")
        for who in denied:
            code = client_for(_user(world, who)).get(url).status_code
            if code != 404:
                problems.append(f"{url} as {who}: {code}, expected 404")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("template", [page for page, _, _ in PAGES])
def test_every_page_sends_a_stranger_to_sign_in(db, template):
    url = template.format(audit=1, cycle=1, reported=1, job=1, report=1)
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_objects_that_do_not_exist_are_404(world):
    lead = client_for(scenarios.person(LEAD))
    for url in (
        "/audits/999999/",
        "/cycles/999999/",
        "/reports/999999/",
        "/moderation/999999/",
        "/actions/new/?audit=999999",
    ):
        assert lead.get(url).status_code == 404, url
    internal = client_for(scenarios.person(INTERNAL))
    assert internal.get("/assurance/reports/999999/").status_code == 404


def test_the_404_page_is_the_sites_own(world, settings):
    settings.DEBUG = False
    response = client_for(scenarios.person("auditor.1")).get("/dashboard/")
    assert response.status_code == 404
    assert b"Page not found" in response.content


def test_home_shows_each_role_its_work(world):
    auditor_home = client_for(world["auditor"]).get("/").content.decode()
    assert "Your audits" in auditor_home
    assert "Audit cycles" not in auditor_home
    lead_home = client_for(scenarios.person(LEAD)).get("/").content.decode()
    assert "Audit cycles" in lead_home
    assert "to moderate" in lead_home
    internal_home = client_for(scenarios.person(INTERNAL)).get("/").content.decode()
    assert "Latest assurance opinions" in internal_home
    assert world["reported"].name in internal_home


def test_signing_in_and_out(world):
    client = Client()
    response = client.post(
        "/accounts/login/", {"username": "internal.audit", "password": scenarios.PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    response = client.post("/accounts/logout/", follow=True)
    assert b"You have signed out" in response.content
    assert client.get("/").status_code == 302


def test_a_wrong_password_shows_an_error_summary(world):
    response = Client().post("/accounts/login/", {"username": "qa.lead", "password": "wrong"})
    assert response.status_code == 200
    assert b"There is a problem" in response.content
    assert b'href="#id_username"' in response.content


def test_the_login_page_explains_a_timeout(db):
    response = Client().get("/accounts/login/?timeout=1")
    assert b"signed out because you had not done anything" in response.content


def test_keepalive_answers_whether_the_session_is_alive(world):
    assert Client().get("/session/keepalive/").status_code == 401
    assert client_for(world["auditor"]).get("/session/keepalive/").status_code == 204


def test_pages_carry_the_idle_limit_for_the_timeout_warning(world, settings):
    page = client_for(world["auditor"]).get("/audits/").content.decode()
    assert f'data-session-seconds="{settings.SESSION_IDLE_SECONDS}"' in page
    assert 'id="session-warning"' in page


def test_no_page_has_inline_script_or_style(world):
    lead = client_for(scenarios.person(LEAD))
    for url in ("/", f"/cycles/{world['cycle'].pk}/", "/dashboard/", "/actions/", "/actions/new/"):
        html = lead.get(url).content.decode()
        assert "<script>" not in html
        assert " style=" not in html
        assert " onclick=" not in html
