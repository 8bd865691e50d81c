"""A manager's tools on the pages that the API already had: extending a drawn sample from
the cycle page, marking an auditor unavailable, and agreeing a new action. Each goes
through the same service as the API; bad input shows an error summary, a state conflict
a 409 with the reason, and anyone outside the cycle or the audit gets 404."""

import html
import re
from collections import Counter
from datetime import date, timedelta

import pytest
from django.test import Client

from audits.core.display import stratum_words
from audits.models import Action, Assignment, Audit, Cycle, Event, SampledCase, Staff
from audits.selectors.frames import team_names_by_label
from tests.browser import scenarios


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def lead(db):
    scenarios.demo_council()
    return client_for(scenarios.person("qa.lead"))


@pytest.fixture
def outsiders(lead):
    """People with no say over the QA lead's cycles: a team manager who runs none of them,
    an auditor, internal audit and a signed-in person with no role."""
    return {
        "team_manager_tara": client_for(scenarios.team_manager("Front Door")),
        "auditor_one": client_for(scenarios.person("auditor.1")),
        "internal_ian": client_for(scenarios.person("internal.audit")),
        "outsider_eve": client_for(scenarios.outsider()),
    }


def _roomy_stratum(cycle: Cycle) -> tuple[str, int]:
    """A stratum with at least two undrawn cases, and how many are drawn in it now."""
    drawn = Counter(
        SampledCase.objects.filter(cycle=cycle, status="selected", is_follow_up=False).values_list(
            "stratum", flat=True
        )
    )
    sizes = cycle.frame.strata_sizes
    stratum = next(s for s in sorted(sizes) if sizes[s] >= drawn[s] + 2 and drawn[s] >= 1)
    return stratum, drawn[stratum]


# --- Extending the sample -------------------------------------------------------------------
def test_extending_a_stratum_takes_the_next_ranks_and_keeps_the_drawn_ones(lead):
    cycle = scenarios.assigned_cycle(n=12)
    stratum, now = _roomy_stratum(cycle)
    before = set(SampledCase.objects.filter(cycle=cycle).values_list("case_id", "rank"))
    page = lead.get(f"/cycles/{cycle.pk}/").content.decode()
    assert 'id="extend"' in page
    words = stratum_words(stratum, team_names_by_label())
    assert f'<label for="extend-{stratum}">{html.escape(words)}</label>' in page

    response = lead.post(
        f"/cycles/{cycle.pk}/extend/",
        {f"size-{stratum}": str(now + 2), "reason": "Too few to say anything"},
    )

    assert response["Location"] == f"/cycles/{cycle.pk}/"
    added = SampledCase.objects.filter(cycle=cycle, stratum=stratum, rank__gt=now)
    assert sorted(added.values_list("rank", flat=True)) == [now + 1, now + 2]
    assert before <= set(SampledCase.objects.filter(cycle=cycle).values_list("case_id", "rank"))
    extended = Event.objects.get(verb="sample.extended", object_id=str(cycle.pk))
    assert extended.reason == "Too few to say anything"
    shown = lead.get(f"/cycles/{cycle.pk}/").content.decode()
    assert "2 cases added to the sample" in shown
    assert "Assign them to auditors below" in shown
    assert "Assign 2 cases to auditors" in shown


def test_a_size_below_the_drawn_number_is_shown_against_its_stratum(lead):
    cycle = scenarios.assigned_cycle(n=12)
    stratum, now = _roomy_stratum(cycle)
    count = SampledCase.objects.filter(cycle=cycle).count()

    response = lead.post(f"/cycles/{cycle.pk}/extend/", {f"size-{stratum}": "0"})

    assert response.status_code == 400
    page = response.content.decode()
    assert "<title>Error: " in page
    assert f'href="#extend-{stratum}"' in page
    assert f"must be a whole number of at least {now}" in page
    assert 'value="0"' in page  # what was typed is kept
    assert SampledCase.objects.filter(cycle=cycle).count() == count


@pytest.mark.parametrize(
    ("typed", "target", "words"),
    [
        ({}, "extend-sizes", "Enter a new size for at least one stratum"),
        ({"size-{stratum}": "lots"}, "extend-{stratum}", "must be a whole number, like 10"),
        ({"size-{stratum}": "-4"}, "extend-{stratum}", "must be 0 or more"),
        ({"size-{stratum}": "9999999"}, "extend-{stratum}", "must be 100,000 or fewer"),
        ({"size-atlantis": "3"}, "extend", "No such stratum"),
    ],
)
def test_bad_sizes_are_a_400_with_an_error_summary(lead, typed, target, words):
    cycle = scenarios.assigned_cycle(n=12)
    stratum, _ = _roomy_stratum(cycle)
    form = {key.format(stratum=stratum): value for key, value in typed.items()}
    count = SampledCase.objects.filter(cycle=cycle).count()
    response = lead.post(f"/cycles/{cycle.pk}/extend/", form)
    assert response.status_code == 400
    assert f'href="#{target.format(stratum=stratum)}"'.encode() in response.content
    assert words.encode() in response.content
    assert SampledCase.objects.filter(cycle=cycle).count() == count


def test_extending_a_closed_or_undrawn_cycle_is_a_409_that_says_why(lead):
    closed = scenarios.assigned_cycle(n=12)
    stratum, now = _roomy_stratum(closed)
    Cycle.objects.filter(pk=closed.pk).update(status="closed")
    count = SampledCase.objects.filter(cycle=closed).count()
    response = lead.post(
        f"/cycles/{closed.pk}/extend/", {f"size-{stratum}": str(now + 1)}, follow=True
    )
    # Back on the cycle's page (not left on the POST address), the banner saying why.
    assert response.redirect_chain == [(f"/cycles/{closed.pk}/", 302)]
    assert b"The sample cannot change while the cycle is closed." in response.content
    assert SampledCase.objects.filter(cycle=closed).count() == count
    assert b'id="extend"' not in response.content  # no form to try again with

    planned = scenarios.planned_cycle(name="Not drawn yet")
    response = lead.post(f"/cycles/{planned.pk}/extend/", {"size-cp": "3"}, follow=True)
    assert response.redirect_chain == [(f"/cycles/{planned.pk}/", 302)]
    assert b"has not been drawn yet" in response.content


def test_only_the_cycles_managers_can_extend_it(lead, outsiders):
    cycle = scenarios.assigned_cycle(n=12)
    stratum, now = _roomy_stratum(cycle)
    count = SampledCase.objects.filter(cycle=cycle).count()
    for who, client in outsiders.items():
        response = client.post(f"/cycles/{cycle.pk}/extend/", {f"size-{stratum}": str(now + 1)})
        assert response.status_code == 404, who
    assert SampledCase.objects.filter(cycle=cycle).count() == count
    assert lead.get(f"/cycles/{cycle.pk}/extend/").status_code == 405
    assert lead.post("/cycles/999999/extend/", {}).status_code == 404


# --- An auditor is unavailable --------------------------------------------------------------
def _busiest_qa_auditor(cycle: Cycle) -> Staff:
    loads = Counter(
        Assignment.objects.filter(
            sampled_case__cycle=cycle, auditor__user__username__startswith="auditor."
        ).values_list("auditor_id", flat=True)
    )
    return Staff.objects.get(pk=loads.most_common(1)[0][0])


def test_marking_an_auditor_unavailable_moves_only_their_unstarted_audits(lead):
    cycle = scenarios.assigned_cycle(n=40)
    away = _busiest_qa_auditor(cycle)
    theirs = list(Assignment.objects.filter(sampled_case__cycle=cycle, auditor=away))
    assert len(theirs) >= 2
    started = theirs[0]
    Audit.objects.filter(assignment=started).update(status="in_progress")
    page = lead.get(f"/cycles/{cycle.pk}/assignment/").content.decode()
    assert f'<option value="{away.pk}">{away.name}' in page

    response = lead.post(f"/cycles/{cycle.pk}/unavailable/", {"auditor": away.pk}, follow=True)

    # Back to the top of the assignment's page, where the form is, with the banner.
    assert response.redirect_chain[-1][0] == f"/cycles/{cycle.pk}/assignment/"
    kept = set(Assignment.objects.filter(sampled_case__cycle=cycle, auditor=away))
    assert started in kept
    page = response.content.decode()
    moved = len(theirs) - len(kept)
    assert moved >= 1
    audits = "audit" if moved == 1 else "audits"
    assert f"{away.name} is marked unavailable. {moved} {audits} moved: " in page
    assert f"1 started audit stays with {away.name}." in page
    for item in Assignment.objects.filter(pk__in=[a.pk for a in theirs]).exclude(auditor=away):
        assert f"{item.sampled_case.case.case_ref} to {item.auditor.name}" in page
    assert Event.objects.filter(verb="cycle.auditor_unavailable").count() == 1


def test_audits_nobody_else_can_take_stay_and_the_blocking_rules_are_shown(lead):
    cycle = scenarios.assigned_cycle(n=12)
    away = _busiest_qa_auditor(cycle)
    (theirs,) = Assignment.objects.filter(sampled_case__cycle=cycle, auditor=away)
    team = theirs.sampled_case.case.team
    # The only other auditor left with room manages the case's team: never independent.
    Staff.objects.exclude(pk=away.pk).exclude(managed_teams=team).update(capacity=0)
    assert Staff.objects.filter(managed_teams=team, capacity__gt=0).exists()

    response = lead.post(f"/cycles/{cycle.pk}/unavailable/", {"auditor": away.pk}, follow=True)

    page = response.content.decode()
    assert f"{away.name} is marked unavailable. 0 audits moved." in page
    case_ref = theirs.sampled_case.case.case_ref
    assert f"Case {case_ref} (first audit) could not be moved and stays with {away.name}" in page
    assert "1 auditor \N{EN DASH} auditor manages the case&#x27;s team" in page
    theirs.refresh_from_db()
    assert theirs.auditor == away


@pytest.mark.parametrize(
    ("form", "words"),
    [
        ({}, b"Choose the auditor who is unavailable"),
        ({"auditor": "nobody"}, b"Choose the auditor who is unavailable"),
        ({"auditor": "999999"}, b"Choose the auditor who is unavailable"),
    ],
)
def test_no_auditor_chosen_is_a_400_linking_to_the_field(lead, form, words):
    cycle = scenarios.assigned_cycle(n=12)
    response = lead.post(f"/cycles/{cycle.pk}/unavailable/", form)
    assert response.status_code == 400
    assert b'href="#unavailable_auditor"' in response.content
    assert words in response.content


def test_an_auditor_with_nothing_in_the_cycle_is_a_400(lead):
    cycle = scenarios.assigned_cycle(n=12)
    idle = Staff.objects.exclude(assignments__sampled_case__cycle=cycle).first()
    response = lead.post(f"/cycles/{cycle.pk}/unavailable/", {"auditor": idle.pk})
    assert response.status_code == 400
    assert b"This auditor has no audits in the cycle." in response.content
    assert not Event.objects.filter(verb="cycle.auditor_unavailable").exists()


def test_an_undrawn_cycle_has_nobody_to_move_409(lead):
    planned = scenarios.planned_cycle(name="Not drawn yet")
    someone = Staff.objects.filter(user__username="auditor.1").get()
    response = lead.post(f"/cycles/{planned.pk}/unavailable/", {"auditor": someone.pk}, follow=True)
    assert response.redirect_chain == [(f"/cycles/{planned.pk}/assignment/", 302)]
    assert b"has not been drawn yet" in response.content
    assert b'id="assignment-not-drawn"' in response.content


def test_only_the_cycles_managers_can_move_audits(lead, outsiders):
    cycle = scenarios.assigned_cycle(n=12)
    away = _busiest_qa_auditor(cycle)
    before = set(Assignment.objects.values_list("pk", "auditor_id"))
    for who, client in outsiders.items():
        response = client.post(f"/cycles/{cycle.pk}/unavailable/", {"auditor": away.pk})
        assert response.status_code == 404, who
    assert set(Assignment.objects.values_list("pk", "auditor_id")) == before


# --- Agreeing an action ---------------------------------------------------------------------
@pytest.fixture
def submitted(lead) -> Audit:
    """An audit of the QA lead's cycle that has just been submitted."""
    cycle = scenarios.assigned_cycle(n=12)
    audit = scenarios.first_audit(cycle)
    Audit.objects.filter(pk=audit.pk).update(status="submitted")
    audit.refresh_from_db()
    return audit


def _owner() -> Staff:
    return Staff.objects.filter(is_active=True, staff_ref__startswith="SW").order_by("pk").first()


def _terms(of: Audit, **changes) -> dict:
    due = date.today() + timedelta(days=28)
    return {
        "audit": of.pk,
        "owner": _owner().staff_ref,
        "priority": "high",
        "description": "Update the chronology",
        "due_date": due.isoformat(),
        **changes,
    }


def test_agreeing_an_action_from_the_board(lead, submitted):
    board = lead.get("/actions/").content.decode()
    assert 'href="/actions/new/"' in board
    form = lead.get("/actions/new/").content.decode()
    case = submitted.assignment.sampled_case.case
    # The audit is found by its case: a reference box that suggests the cases as you type.
    assert 'name="case_ref" id="audit"' in form
    assert f'<option value="{case.case_ref}"></option>' in form
    assert f'value="{_owner().staff_ref}"' in form

    response = lead.post("/actions/new/", _terms(submitted, audit="", case_ref=case.case_ref))

    assert response["Location"] == "/actions/"
    action = Action.objects.get()
    assert (action.audit, action.case, action.team) == (submitted, case, case.team)
    assert (action.owner, action.priority, action.status) == (_owner(), "high", "open")
    assert action.created_by.username == "qa.lead"
    assert Event.objects.filter(verb="action.created", object_id=str(action.pk)).exists()
    shown = lead.get("/actions/").content.decode()
    assert f"Action {action.pk} agreed for case {case.case_ref}" in shown
    assert "Update the chronology" in shown


def test_agreeing_an_action_from_the_audit_being_moderated(lead, submitted):
    moderation = lead.get(f"/moderation/{submitted.pk}/").content.decode()
    assert f'href="/actions/new/?audit={submitted.pk}"' in moderation
    form = lead.get(f"/actions/new/?audit={submitted.pk}").content.decode()
    assert submitted.assignment.sampled_case.case.case_ref in form
    assert f'name="audit" value="{submitted.pk}"' in form
    terms = _terms(submitted, audit="")  # the audit comes from the address
    response = lead.post(f"/actions/new/?audit={submitted.pk}", terms)
    assert response["Location"] == "/actions/"
    assert Action.objects.get().audit == submitted


def test_missing_terms_are_a_400_with_each_field_linked(lead, submitted):
    response = lead.post("/actions/new/", {"priority": ""})
    assert response.status_code == 400
    page = response.content.decode()
    for field in ("audit", "description", "priority", "due_date"):
        assert f'href="#{field}"' in page, field
    # Left blank, the owner is the case's allocated worker: not a mistake.
    assert 'href="#owner"' not in page
    assert "Enter the due date" in page
    assert "Enter the reference of a case with an audit under way" in page
    links = [page.index(f'href="#{field}"') for field in ("audit", "description", "due_date")]
    assert links == sorted(links)  # in the order the form asks
    assert not Action.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"due_date": "31/02/2026"}, "due_date", "The due date must be a real date"),
        ({"owner": "NO-SUCH-PERSON"}, "owner", "Choose who owns the action"),
        ({"priority": "urgent"}, "priority", "Choose a priority"),
        ({"audit": "999999"}, "audit", "Choose an audit from the list"),
        ({"audit": "x"}, "audit", "Choose an audit from the list"),
    ],
)
def test_bad_terms_are_a_400_and_what_was_typed_is_kept(lead, submitted, changes, field, words):
    response = lead.post("/actions/new/", _terms(submitted, **changes))
    assert response.status_code == 400
    page = response.content.decode()
    assert f'href="#{field}"' in page
    assert words in page
    assert "Update the chronology</textarea>" in page
    assert not Action.objects.exists()


def test_an_inactive_owner_is_not_offered_or_accepted(lead, submitted):
    leaver = _owner()
    Staff.objects.filter(pk=leaver.pk).update(is_active=False)
    assert f'value="{leaver.staff_ref}"' not in lead.get("/actions/new/").content.decode()
    response = lead.post("/actions/new/", _terms(submitted, owner=leaver.staff_ref))
    assert response.status_code == 400
    assert not Action.objects.exists()


def test_an_action_on_an_audit_not_yet_started_is_a_409(lead, submitted):
    unstarted = scenarios.first_audit(submitted.assignment.sampled_case.cycle)
    assert unstarted.status == "assigned"
    response = lead.post("/actions/new/", _terms(unstarted))
    assert response.status_code == 409
    assert b"Actions are agreed on audits that are under way or submitted." in response.content
    assert not Action.objects.exists()


def test_outsiders_cannot_agree_actions(lead, submitted, outsiders):
    for who, client in outsiders.items():
        if who == "team_manager_tara":
            continue  # a manager: the form opens, but not on an audit outside her cycles
        assert client.get("/actions/new/").status_code == 404, who
        assert client.post("/actions/new/", _terms(submitted)).status_code == 404, who
    tara = outsiders["team_manager_tara"]
    assert tara.get(f"/actions/new/?audit={submitted.pk}").status_code == 404
    case_ref = submitted.assignment.sampled_case.case.case_ref
    assert f'value="{case_ref}"' not in tara.get("/actions/new/").content.decode()
    refused = tara.post("/actions/new/", _terms(submitted))
    assert refused.status_code == 400
    assert b"Choose an audit from the list" in refused.content
    by_ref = tara.post("/actions/new/", _terms(submitted, audit="", case_ref=case_ref))
    assert by_ref.status_code == 400
    assert b"Enter the reference of a case with an audit under way" in by_ref.content
    assert not Action.objects.exists()


def test_a_case_reference_in_any_case_finds_its_one_audit(lead, submitted):
    case = submitted.assignment.sampled_case.case
    response = lead.post(
        "/actions/new/", _terms(submitted, audit="", case_ref=f"  {case.case_ref.lower()} ")
    )
    assert response["Location"] == "/actions/"
    assert Action.objects.get().audit == submitted


def test_a_case_with_two_audits_asks_which_with_every_other_mistake(lead, submitted):
    """A case audited twice (a first and a second audit): the page names both and asks
    which, keeping what was typed, and shows the form's other mistakes at the same time."""
    sampled = submitted.assignment.sampled_case
    auditor = Staff.objects.filter(user__groups__name="auditor").exclude(
        pk=submitted.assignment.auditor_id
    )[0]
    second = Assignment.objects.create(sampled_case=sampled, auditor=auditor, role="second")
    other = Audit.objects.create(assignment=second, template=submitted.template, status="submitted")
    terms = _terms(submitted, audit="", case_ref=sampled.case.case_ref, description="")
    response = lead.post("/actions/new/", terms)
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert f"Case {sampled.case.case_ref} has 2 audits: choose the one" in page
    assert 'href="#audit"' in page
    assert 'href="#description"' in page
    assert f'name="audit" value="{submitted.pk}"' in page
    assert f'name="audit" value="{other.pk}"' in page
    assert "first audit by" in page
    assert "second audit by" in page
    assert f'value="{sampled.case.case_ref}"' in page  # the box keeps what was typed
    assert not Action.objects.exists()

    # The choice made, another term still wrong: asked again with the choice kept.
    again = lead.post("/actions/new/", {**terms, "audit": other.pk}).content.decode()
    assert re.search(rf'name="audit" value="{other.pk}" id="audit-choice-\d" checked', again)
    assert "has 2 audits" not in again
    chosen = lead.post("/actions/new/", {**terms, "audit": other.pk, "description": "Visit"})
    assert chosen["Location"] == "/actions/"
    assert Action.objects.get().audit == other


def test_an_audit_chosen_for_another_case_than_the_one_typed_is_not_taken(lead, submitted):
    """The box wins: an audit id left from an earlier answer but of another case is
    dropped, and the case typed is looked up."""
    elsewhere = scenarios.first_audit(submitted.assignment.sampled_case.cycle)
    assert elsewhere.assignment.sampled_case_id != submitted.assignment.sampled_case_id
    case = submitted.assignment.sampled_case.case
    response = lead.post("/actions/new/", _terms(elsewhere, case_ref=case.case_ref))
    assert response["Location"] == "/actions/"
    assert Action.objects.get().audit == submitted


def test_the_cycle_and_its_sub_pages_are_absent_for_anyone_who_does_not_run_it(lead, outsiders):
    """The same 404 as for a cycle that does not exist, on the hub and both sub-pages."""
    cycle = scenarios.assigned_cycle(n=12)
    for path in ("", "sample/", "assignment/", "sample/?sample_q=C"):
        assert lead.get(f"/cycles/{cycle.pk}/{path}").status_code == 200
        assert lead.get(f"/cycles/999999/{path}").status_code == 404
        for who, client in outsiders.items():
            assert client.get(f"/cycles/{cycle.pk}/{path}").status_code == 404, (who, path)
    assert Client().get(f"/cycles/{cycle.pk}/sample/").status_code == 302  # sign in first
