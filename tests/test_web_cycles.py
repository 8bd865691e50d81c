"""The manager's cycle pages: a new cycle, its frame and plan, the draw (seed, frame hash,
the sample), assignment (loads, unassignable cases, overrides with a reason), replacing a
case; and bad input that never gives a 500."""

from datetime import date, timedelta

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


def test_a_new_cycle_from_the_form(lead):
    today = date.today()
    response = lead.post(
        "/cycles/new/",
        {
            "name": "Summer audit",
            "period_start": (today - timedelta(days=30)).isoformat(),
            "period_end": today.isoformat(),
            "stratify_by": "case_type",
            "case_types": ["cp", "cla"],
            "n": "10",
            "minimum": "2",
            "allocation": "proportional",
        },
    )
    cycle = Cycle.objects.get(name="Summer audit")
    assert response["Location"] == f"/cycles/{cycle.pk}/"
    assert cycle.case_types == ["cp", "cla"]
    assert cycle.plan["n"] == 10
    assert cycle.created_by.username == "qa.lead"
    assert Event.objects.filter(verb="created", object_type="cycle").exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": ""}, "name"),
        ({"period_start": "not a date"}, "period_start"),
        ({"n": "lots"}, "n"),
        ({"n": ""}, "n"),
        ({"case_types": ["dragons"]}, "case_types"),
        ({"teams": ["No Such Team"]}, "teams"),
        ({"minimum": "-3"}, "minimum"),
        ({"stratify_by": "planets"}, "stratify_by"),
    ],
)
def test_a_bad_new_cycle_shows_an_error_summary(lead, data, field):
    today = date.today().isoformat()
    form = {
        "name": "Bad",
        "period_start": today,
        "period_end": today,
        "stratify_by": "none",
        "n": "5",
        "minimum": "0",
        "allocation": "proportional",
        **data,
    }
    response = lead.post("/cycles/new/", form)
    assert response.status_code == 400
    assert f'href="#{field}"'.encode() in response.content
    assert not Cycle.objects.filter(name="Bad").exists()


def test_the_plan_shows_sizes_per_stratum_before_the_draw(lead):
    cycle = scenarios.planned_cycle(n=12)
    page = lead.get(f"/cycles/{cycle.pk}/").content.decode()
    assert "Cases a draw would take now: 12 in all" in page
    assert "You chose a fixed sample of 12 cases." in page
    assert "Draw the sample" in page
    assert "cla" in page
    assert "Cases in frame" in page


def test_drawing_shows_the_seed_the_frame_hash_and_the_sample(lead):
    cycle = scenarios.planned_cycle(n=12)
    response = lead.post(
        f"/cycles/{cycle.pk}/draw/", {"witness_input": "public-draw-42", "confirm": "yes"}
    )
    assert response["Location"] == f"/cycles/{cycle.pk}/"
    page = lead.get(f"/cycles/{cycle.pk}/").content.decode()
    cycle.refresh_from_db()
    assert cycle.frame.witness_input == "public-draw-42"
    for shown in ("public-draw-42", cycle.frame.seed, cycle.frame.server_random):
        assert shown in page
    assert cycle.frame.frame_hash in page
    assert f'href="/cycles/{cycle.pk}/sample/"' in page  # the sample has its own page
    sample_page = lead.get(f"/cycles/{cycle.pk}/sample/").content.decode()
    for item in SampledCase.objects.filter(cycle=cycle):
        assert item.case.case_ref in sample_page
    again = lead.post(f"/cycles/{cycle.pk}/draw/", {"confirm": "yes"}, follow=True)
    assert b"cannot be redrawn" in again.content


def test_assigning_shows_the_load_per_auditor(lead):
    cycle = scenarios.planned_cycle(n=12)
    lead.post(f"/cycles/{cycle.pk}/draw/", {"confirm": "yes"})
    response = lead.post(f"/cycles/{cycle.pk}/assign/", follow=True)
    assert b"cases assigned" in response.content
    assert Assignment.objects.filter(sampled_case__cycle=cycle).count() >= 12
    assert f'href="/cycles/{cycle.pk}/assignment/"' in response.content.decode()
    page = lead.get(f"/cycles/{cycle.pk}/assignment/").content.decode()
    assert "Load per auditor" in page
    auditor = Assignment.objects.filter(sampled_case__cycle=cycle).first().auditor
    assert auditor.name in page


def _blocked_auditor(sampled: SampledCase) -> Staff:
    # The case's own team manager (also a peer auditor) is never independent of it.
    return Staff.objects.get(managed_teams=sampled.case.team, user__username__startswith="manager")


def test_an_override_needs_a_reason_and_is_recorded_with_it(lead):
    cycle = scenarios.assigned_cycle(n=12)
    sampled = (
        SampledCase.objects.filter(cycle=cycle)
        .exclude(assignments__audit__status__in=["in_progress", "submitted", "final"])
        .first()
    )
    blocked = _blocked_auditor(sampled)
    form = {"sampled_case": sampled.pk, "auditor": blocked.pk, "role": "primary", "reason": ""}
    refused = lead.post(f"/cycles/{cycle.pk}/override/", form)
    assert refused.status_code == 400
    assert b'href="#override_reason"' in refused.content
    form["reason"] = "Only manager trained in disabled children's work"
    accepted = lead.post(f"/cycles/{cycle.pk}/override/", form, follow=True)
    # Back to the top of the page the form is on, the banner in view.
    assert accepted.redirect_chain == [(f"/cycles/{cycle.pk}/assignment/", 302)]
    assert b"overridden" in accepted.content
    item = Assignment.objects.get(sampled_case=sampled, role="primary")
    assert item.auditor == blocked
    assert item.override_reason.startswith("Only manager")
    assert "R1" in item.override_rules or "R3" in item.override_rules
    assert b"Assignments chosen by a manager" in accepted.content


@pytest.mark.parametrize(
    "form",
    [
        {},
        {"sampled_case": "x", "auditor": "y"},
        {"sampled_case": "999999", "auditor": "1"},
        {"sampled_case": "1", "auditor": "1", "role": "boss"},
    ],
)
def test_a_bad_override_is_a_400_not_a_500(lead, form):
    cycle = scenarios.assigned_cycle(n=12)
    assert lead.post(f"/cycles/{cycle.pk}/override/", form).status_code == 400


def test_replacing_a_case_takes_the_next_rank(lead):
    cycle = scenarios.planned_cycle(n=12)
    lead.post(f"/cycles/{cycle.pk}/draw/", {"confirm": "yes"})
    sampled = SampledCase.objects.filter(cycle=cycle).first()
    refused = lead.post(f"/cycles/{cycle.pk}/replace/", {"sampled": sampled.pk})
    assert refused.status_code == 400
    assert f'<a href="#replace-reason-{sampled.pk}">Say why the case is replaced</a>' in (
        refused.content.decode()
    )
    assert "<title>Error: The sample: " in refused.content.decode()  # its own page again
    replaced = lead.post(
        f"/cycles/{cycle.pk}/replace/", {"sampled": sampled.pk, "reason": "Case closed"}
    )
    assert replaced["Location"] == f"/cycles/{cycle.pk}/sample/"
    sampled.refresh_from_db()
    assert sampled.status == "replaced"
    assert sampled.replaced_by.stratum == sampled.stratum
    assert lead.post(f"/cycles/{cycle.pk}/replace/", {"sampled": "x"}).status_code == 404


def test_the_cycles_list_links_each_cycle(lead):
    cycle = scenarios.planned_cycle()
    page = lead.get("/cycles/").content.decode()
    assert f"/cycles/{cycle.pk}/" in page
    assert cycle.name in page


def test_draw_asks_first_and_assign_is_post_only(lead):
    cycle = scenarios.planned_cycle()
    asked = lead.get(f"/cycles/{cycle.pk}/draw/")
    assert asked.status_code == 200
    assert b"What cannot be undone" in asked.content
    assert not Frame.objects.filter(cycle=cycle).exists()
    assert lead.get(f"/cycles/{cycle.pk}/assign/").status_code == 405


def test_new_cycle_errors_are_in_plain_words(lead):
    response = lead.post("/cycles/new/", {"name": "Plain", "stratify_by": "none", "n": "many"})
    page = response.content.decode()
    assert "Enter the start of the period" in page
    assert "The sample size must be a whole number, like 60" in page
    assert "may not be null" not in page


def test_a_new_cycle_left_without_a_minimum_gets_two_per_stratum(lead):
    page = lead.get("/cycles/new/")
    assert b'name="minimum" id="minimum" value="2"' in page.content
    today = date.today()
    lead.post(
        "/cycles/new/",
        {
            "name": "No minimum given",
            "period_start": (today - timedelta(days=30)).isoformat(),
            "period_end": today.isoformat(),
            "stratify_by": "case_type",
            "case_types": ["cp"],
            "n": "10",
            "minimum": "",
            "allocation": "proportional",
        },
    )
    assert Cycle.objects.get(name="No minimum given").plan["minimum"] == 2


def test_the_sample_and_assignment_pages_shrug_off_odd_parameters(lead):
    """Typed or tampered GET parameters give the first page or an empty list, never a 500."""
    cycle = scenarios.assigned_cycle(n=12)
    for path in (
        "sample/?sample_page=abc&sample_sort=evil&sample_status=gone&sample_stratum=x",
        f"sample/?sample_q={'C' * 500}&sample_page=-3",
        "sample/?sample_q=%25%27%22%3C",
        "assignment/?loads_page=999999&unassignable_page=x&overrides_page=0",
        f"assignment/?unassignable_q={'%' * 80}",
    ):
        response = lead.get(f"/cycles/{cycle.pk}/{path}")
        assert response.status_code == 200, path


def test_the_hub_links_its_sub_pages_and_they_link_back(lead):
    cycle = scenarios.assigned_cycle(n=12)
    hub = lead.get(f"/cycles/{cycle.pk}/").content.decode()
    for sub_page in ("sample", "assignment"):
        assert f'href="/cycles/{cycle.pk}/{sub_page}/"' in hub
        page = lead.get(f"/cycles/{cycle.pk}/{sub_page}/").content.decode()
        # Breadcrumbs: Home, Cycles, the cycle; the steps mark the page shown.
        crumbs = page[page.index('aria-label="Breadcrumb"') :]
        crumbs = crumbs[: crumbs.index("</nav>")]
        assert 'href="/cycles/"' in crumbs
        assert f'href="/cycles/{cycle.pk}/">{cycle.name}</a>' in crumbs
        assert f'id="step-{sub_page}" aria-current="page"' in page


def test_a_sub_page_of_a_cycle_not_drawn_says_to_draw_it_first(lead):
    cycle = scenarios.planned_cycle(n=12)
    assert b'id="sample-not-drawn"' in lead.get(f"/cycles/{cycle.pk}/sample/").content
    assert b'id="assignment-not-drawn"' in lead.get(f"/cycles/{cycle.pk}/assignment/").content
