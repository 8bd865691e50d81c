"""Issue 16 items 3-5 on the pages: the banner at the top after every action (reached by a
redirect, never left on a POST address), breadcrumbs, a menu for every role, a 404 with the
menu, a favicon; drawing asks first, extending asks why, buttons offer only what can
succeed, an override past capacity asks to confirm; the planner on the cycle's page."""

import re

import pytest
from django.test import Client

from audits.models import Assignment, Cycle, Event, Frame, SampledCase, Staff
from tests.browser import scenarios


@pytest.fixture
def lead(db):
    scenarios.demo_council()
    client = Client()
    client.force_login(scenarios.person("qa.lead"))
    return client


def _client(username: str) -> Client:
    client = Client()
    client.force_login(scenarios.person(username))
    return client


def _menu(content: bytes) -> list[str]:
    nav = re.search(rb'<nav aria-label="Main">(.*?)</nav>', content, re.S).group(1).decode()
    return re.findall(r'<a href="[^"]*"[^>]*>([^<]+)</a>', nav)


def _crumbs(content: bytes) -> list[str]:
    found = re.search(
        rb'<nav class="breadcrumbs" aria-label="Breadcrumb">(.*?)</nav>', content, re.S
    )
    return re.findall(r">([^<]+)</a>", found.group(1).decode()) if found else []


# --- Feedback where the eye is --------------------------------------------------------------
def test_after_assigning_the_banner_is_at_the_top_of_the_page_not_a_section(lead):
    cycle = scenarios.planned_cycle(n=12)
    lead.post(f"/cycles/{cycle.pk}/draw/", {"confirm": "yes"})
    response = lead.post(f"/cycles/{cycle.pk}/assign/", follow=True)
    assert response.redirect_chain == [(f"/cycles/{cycle.pk}/", 302)]  # no #fragment
    main = response.content.decode().split('<main id="main" tabindex="-1">', 1)[1]
    banner = main.index('class="notification-banner notification-banner-success"')
    assert banner < main.index("<h1>"), "the banner comes before the page's heading"
    assert 'role="alert"' in main[: main.index("<h1>")]
    assert "cases assigned" in main[banner : main.index("<h1>")]


def test_breadcrumbs_lead_home_from_every_page_below_it(lead):
    cycle = scenarios.planned_cycle(n=12)
    assert _crumbs(lead.get("/").content) == []
    assert _crumbs(lead.get("/cycles/").content) == ["Home"]
    assert _crumbs(lead.get(f"/cycles/{cycle.pk}/").content) == ["Home", "Cycles"]
    assert _crumbs(lead.get(f"/cycles/{cycle.pk}/draw/").content) == [
        "Home",
        "Cycles",
        cycle.name,
    ]
    assert _crumbs(lead.get("/moderation/").content) == ["Home"]


@pytest.mark.parametrize(
    ("username", "menu"),
    [
        ("internal.audit", ["Actions", "Responses", "Programme", "Assurance"]),
        (
            "admin",
            [
                "Actions",
                "Responses",
                "Escalations",
                "Programme",
                "Assurance",
                "External access",
                "Administration",
            ],
        ),
    ],
)
def test_every_role_has_a_link_to_every_list_it_may_read(lead, username, menu):
    client = _client(username)
    shown = _menu(client.get("/").content)
    assert shown == menu
    # Each link opens (no menu entry answers 404).
    nav = re.search(rb'aria-label="Main">(.*?)</nav>', client.get("/").content, re.S).group(1)
    for url in re.findall(rb'href="([^"]+)"', nav):
        assert client.get(url.decode()).status_code in (200, 302), url


def test_the_404_page_has_the_menu_and_the_way_home(lead):
    response = lead.get("/no/such/page/")
    assert response.status_code == 404
    assert "Cycles" in _menu(response.content)
    assert b"Page not found" in response.content
    assert _crumbs(response.content) == ["Home"]


def test_the_favicon_is_linked_and_favicon_ico_is_no_404(lead):
    page = lead.get("/").content.decode()
    icon = re.search(r'<link rel="icon" href="([^"]+)"', page).group(1)
    assert icon.endswith("favicon.svg")
    response = Client().get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == icon


# --- Irreversible steps ask first ----------------------------------------------------------
def test_drawing_shows_the_frame_the_plan_and_what_cannot_be_undone_then_asks(lead):
    cycle = scenarios.planned_cycle(n=12)
    cycle_page = lead.get(f"/cycles/{cycle.pk}/").content.decode()
    assert f'href="/cycles/{cycle.pk}/draw/"' in cycle_page  # a link to the question
    assert f'action="/cycles/{cycle.pk}/draw/"' not in cycle_page

    asked = lead.get(f"/cycles/{cycle.pk}/draw/").content.decode()
    assert "Case files in the frame" in asked
    assert "What cannot be undone" in asked
    assert "You chose a fixed sample of 12 cases." in asked
    assert 'id="draw-plan-table"' in asked
    assert "Draw 12 cases now" in asked

    unconfirmed = lead.post(f"/cycles/{cycle.pk}/draw/", {"witness_input": "1 2 3"})
    assert unconfirmed.status_code == 400
    assert b'href="#draw_confirm"' in unconfirmed.content
    assert b'value="1 2 3"' in unconfirmed.content  # what was typed is kept
    assert not Frame.objects.filter(cycle=cycle).exists()

    drawn = lead.post(f"/cycles/{cycle.pk}/draw/", {"confirm": "yes"}, follow=True)
    assert drawn.redirect_chain == [(f"/cycles/{cycle.pk}/", 302)]
    assert b"Sample drawn: 12 cases from" in drawn.content
    assert Event.objects.filter(object_id=str(cycle.pk), verb__contains="draw").exists()
    again = lead.get(f"/cycles/{cycle.pk}/draw/", follow=True)
    assert again.redirect_chain == [(f"/cycles/{cycle.pk}/", 302)]
    assert b"already drawn" in again.content


def test_extending_the_sample_asks_why_and_keeps_the_reason(lead):
    cycle = scenarios.assigned_cycle(n=12)
    stratum, size = next(iter(cycle.frame.allocation.items()))
    count = SampledCase.objects.filter(cycle=cycle).count()
    refused = lead.post(f"/cycles/{cycle.pk}/extend/", {f"size-{stratum}": str(size + 1)})
    assert refused.status_code == 400
    assert b'href="#extend-reason"' in refused.content
    assert SampledCase.objects.filter(cycle=cycle).count() == count
    assert not Event.objects.filter(verb="sample.extended").exists()


def test_after_assignment_the_button_no_longer_offers_what_cannot_succeed(lead):
    cycle = scenarios.assigned_cycle(n=40)
    unassignable = [
        row for row in cycle.assignment_summary["unassignable"] if row["role"] == "primary"
    ]
    page = lead.get(f"/cycles/{cycle.pk}/").content.decode()
    assert 'id="assign-button"' not in page, "nothing left that assignment has not tried"
    if unassignable:  # those go to "Choose the auditor for a case"
        assert unassignable[0]["case_ref"] in page


def test_an_override_past_capacity_warns_and_asks_to_confirm(lead):
    cycle = scenarios.assigned_cycle(n=12)
    busy = (
        Staff.objects.filter(assignments__sampled_case__cycle=cycle)
        .filter(user__username__startswith="auditor.")
        .first()
    )
    load = Assignment.objects.filter(sampled_case__cycle=cycle, auditor=busy).count()
    Staff.objects.filter(pk=busy.pk).update(capacity=load)
    other = (
        SampledCase.objects.filter(cycle=cycle, status="selected")
        .exclude(assignments__auditor=busy)
        .first()
    )
    form = {"sampled_case": other.pk, "auditor": busy.pk, "role": "primary", "reason": "x"}
    warned = lead.post(f"/cycles/{cycle.pk}/override/", form)
    assert warned.status_code == 400
    text = warned.content.decode()
    assert f"{busy.name} already has {load} audit" in text
    assert f"in this cycle and a capacity of {load}. Assigning this case makes {load + 1}" in text
    assert 'name="over_capacity"' in text
    assert Assignment.objects.filter(sampled_case__cycle=cycle, auditor=busy).count() == load

    confirmed = lead.post(
        f"/cycles/{cycle.pk}/override/", form | {"over_capacity": "yes"}, follow=True
    )
    assert confirmed.redirect_chain == [(f"/cycles/{cycle.pk}/assignment/", 302)]
    assert Assignment.objects.filter(sampled_case__cycle=cycle, auditor=busy).count() == load + 1
    event = Event.objects.filter(verb__startswith="assignment.").latest("pk")
    assert event.after["load"] == load + 1
    assert event.after["capacity"] == load


def test_the_api_override_past_capacity_needs_over_capacity(lead):
    from rest_framework.test import APIClient

    cycle = scenarios.assigned_cycle(n=12)
    busy = Staff.objects.filter(assignments__sampled_case__cycle=cycle).first()
    load = Assignment.objects.filter(sampled_case__cycle=cycle, auditor=busy).count()
    Staff.objects.filter(pk=busy.pk).update(capacity=load)
    other = (
        SampledCase.objects.filter(cycle=cycle, status="selected")
        .exclude(assignments__auditor=busy)
        .first()
    )
    api = APIClient()
    api.force_authenticate(scenarios.person("qa.lead"))
    body = {"sampled_case": other.pk, "auditor": busy.staff_ref, "reason": "cover"}
    url = f"/api/v1/cycles/{cycle.pk}/override/"
    refused = api.post(url, body, format="json")
    assert refused.status_code == 400
    assert "over_capacity" in refused.json()
    assert api.post(url, body | {"over_capacity": True}, format="json").status_code == 201


# --- The planner ---------------------------------------------------------------------------
def test_the_planner_sets_an_estimation_plan_and_says_why(lead):
    cycle = scenarios.planned_cycle(n=12)
    form = {"method": "estimation", "margin": "10", "confidence": "95", "p": "50"}
    response = lead.post(
        f"/cycles/{cycle.pk}/plan/",
        form | {"allocation": "equal", "minimum": "1"},
        follow=True,
    )
    assert response.redirect_chain == [(f"/cycles/{cycle.pk}/", 302)]
    cycle.refresh_from_db()
    assert cycle.plan["method"] == "estimation"
    assert cycle.plan["margin"] == pytest.approx(0.1)
    page = response.content.decode()
    assert "Plan saved." in page
    assert "to within 10% either way, 95% of the time" in page
    assert "shared equally between the strata" in page
    event = Event.objects.get(verb="plan.changed", object_id=str(cycle.pk))
    assert event.before["method"] == "fixed"
    assert event.after["method"] == "estimation"


def test_the_planner_attribute_test_gives_the_aicpa_size(lead):
    cycle = scenarios.planned_cycle(n=12)
    form = {"method": "attribute", "confidence": "95", "tolerable_rate": "10"}
    lead.post(
        f"/cycles/{cycle.pk}/plan/",
        form | {"expected_rate": "0", "allocation": "proportional", "minimum": "0"},
    )
    page = lead.get(f"/cycles/{cycle.pk}/").content.decode()
    # 95% confidence, 10% tolerable, none expected: 29 cases (fewer on a finite frame).
    n = int(re.search(r"(\d+) cases show, with 95% confidence", page).group(1))
    assert 1 <= n <= 29
    assert "fewer than 10% of cases fall short" in page


def test_the_planner_says_every_mistake_at_once_and_keeps_the_plan(lead):
    cycle = scenarios.planned_cycle(n=12)
    response = lead.post(
        f"/cycles/{cycle.pk}/plan/",
        {"method": "attribute", "tolerable_rate": "5", "expected_rate": "8"}
        | {"allocation": "neyman", "minimum": "many"},
    )
    assert response.status_code == 400
    assert b'href="#plan_minimum"' in response.content
    cycle.refresh_from_db()
    assert cycle.plan["method"] == "fixed"
    assert not Event.objects.filter(verb="plan.changed").exists()


def test_the_plan_cannot_change_after_the_draw(lead):
    cycle = scenarios.assigned_cycle(n=12)
    before = Cycle.objects.get(pk=cycle.pk).plan
    response = lead.post(
        f"/cycles/{cycle.pk}/plan/",
        {"method": "fixed", "n": "20", "allocation": "equal", "minimum": "1"},
        follow=True,
    )
    assert response.redirect_chain == [(f"/cycles/{cycle.pk}/", 302)]
    assert b"cannot be changed once its sample is drawn" in response.content
    assert Cycle.objects.get(pk=cycle.pk).plan == before
    assert b'id="plan-form"' not in response.content


# --- The dashboard -------------------------------------------------------------------------
def test_the_dashboard_opens_on_the_newest_cycle_with_completed_audits(db):
    older, _report = scenarios.reported_cycle()
    newest = scenarios.assigned_cycle(name="Newest, nothing submitted", n=12)
    client = _client("qa.lead")
    page = client.get("/dashboard/").content.decode()
    assert f'<option value="{older.pk}" selected>' in page
    # The newest cycle, chosen: an empty state that says what to do next, no empty axes.
    empty = client.get("/dashboard/", {"cycle": newest.pk}).content.decode()
    assert f"No audit of {newest.name} is complete yet" in empty
    assert "audits are with auditors" in empty
    assert "<svg" not in empty
    assert "No assurance" not in empty


def test_every_chart_has_a_table_and_a_csv_of_it(db):
    cycle, _report = scenarios.reported_cycle()
    client = _client("qa.lead")
    page = client.get("/dashboard/", {"cycle": cycle.pk}).content.decode()
    assert page.count("<svg") == page.count("Download the table (CSV)")
    for name in ("grades", "teams", "trend", "themes"):
        response = client.get("/dashboard/", {"cycle": cycle.pk, "download": name})
        assert response.status_code == 200, name
        assert response["Content-Type"].startswith("text/csv")
        assert "attachment" in response["Content-Disposition"]
        assert len(response.content.decode().splitlines()) >= 1
    grades = client.get("/dashboard/", {"cycle": cycle.pk, "download": "grades"})
    assert grades.content.decode().splitlines()[0] == "Grade,Completed first audits"
    assert client.get("/dashboard/", {"cycle": cycle.pk, "download": "x"}).status_code == 404


def test_the_dashboard_and_an_audit_print(db):
    cycle, _report = scenarios.reported_cycle()
    client = _client("qa.lead")
    page = client.get("/dashboard/", {"cycle": cycle.pk}).content.decode()
    assert 'media="print"' in page
    assert "data-print" in page
