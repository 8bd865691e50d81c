"""Blind double audits are compared once both are submitted; a disagreement of a grade or
more (overall or any domain) opens a reconciliation in moderation, where the moderator
records the agreed grades and the reason (issue 15, item 3)."""

import pytest
from django.core import mail
from django.urls import reverse

from audits.models import (
    AuditSummary,
    Event,
    Reconciliation,
)
from tests.test_audits_api import FULL, fill, url

RI, GOOD = 2, 3


@pytest.fixture
def pair(work):
    """A case audited twice (Alice first, Carol second), neither started."""
    return work


def submit(client, audit, overall, answers=FULL):
    rationale = {} if overall == GOOD else {"rationale": "Plans drift; see the chronology."}
    version = fill(client, audit, answers=answers, overall=overall, **rationale)
    response = client.post(url(audit, "submit/"), {"version": version}, format="json")
    assert response.status_code == 200, response.json()


def good_and_requires_improvement(people, pair, client_for):
    submit(client_for(people["auditor_alice"]), pair["first"], GOOD)
    submit(client_for(pair["carol"]), pair["second"], RI)


def test_a_disagreeing_pair_opens_a_reconciliation_in_the_moderation_queue(
    people, pair, client_for, client
):
    good_and_requires_improvement(people, pair, client_for)
    reconciliation = Reconciliation.objects.get(sampled_case=pair["sampled"])
    assert reconciliation.status == "open"
    assert reconciliation.first_grades["overall"] == GOOD
    assert reconciliation.second_grades["overall"] == RI
    assert Event.objects.filter(verb="reconciliation.opened").count() == 1
    client.force_login(people["qa_lead_quinn"])
    queue = client.get(reverse("web:moderation")).content.decode()
    assert reverse("web:reconcile", args=[reconciliation.pk]) in queue
    page = client.get(reverse("web:reconcile", args=[reconciliation.pk])).content.decode()
    table = page.split('id="side-by-side-heading"')[1].split("</table>")[0]
    overall = table.split('<th scope="row">Overall grade')[1].split("</tr>")[0]
    assert "<td>3 \N{EN DASH} Good</td><td>2 \N{EN DASH} Requires improvement</td>" in overall
    assert "Plans drift; see the chronology." in page


def test_an_agreeing_pair_needs_no_reconciliation_and_the_first_grades_stand(
    people, pair, client_for
):
    submit(client_for(people["auditor_alice"]), pair["first"], GOOD)
    submit(client_for(pair["carol"]), pair["second"], GOOD)
    assert not Reconciliation.objects.exists()
    assert AuditSummary.objects.get(audit=pair["first"]).final_grade == GOOD


def test_one_domain_grade_apart_is_a_disagreement(people, pair, client_for):
    submit(client_for(people["auditor_alice"]), pair["first"], GOOD)
    lower = {**FULL, "plan_smart": 2, "plan_progress": 2}  # planning: Requires improvement
    submit(client_for(pair["carol"]), pair["second"], GOOD, answers=lower)
    reconciliation = Reconciliation.objects.get()
    assert reconciliation.disagreements == ["Planning"]


def test_the_pair_stays_blind_until_both_have_submitted(people, pair, client_for, client):
    alice, carol = client_for(people["auditor_alice"]), client_for(pair["carol"])
    submit(alice, pair["first"], GOOD)
    assert carol.get(url(pair["first"])).status_code == 404
    assert carol.get(url(pair["second"], "comparison/")).status_code == 409
    client.force_login(pair["carol"])
    page = client.get(reverse("web:audit", args=[pair["second"].pk])).content.decode()
    assert "The two audits side by side" not in page
    assert "You will not see the other auditor's grades" in page
    submit(carol, pair["second"], RI)
    both = carol.get(url(pair["second"], "comparison/")).json()
    assert [both["first"]["overall_grade"], both["second"]["overall_grade"]] == [GOOD, RI]
    assert both["reconciliation"]["status"] == "open"
    assert alice.get(url(pair["first"], "comparison/")).status_code == 200
    page = client.get(reverse("web:audit", args=[pair["second"].pk])).content.decode()
    assert "The two audits side by side" in page


def test_the_moderator_records_the_agreed_grades_and_the_figures_use_them(people, pair, client_for):
    good_and_requires_improvement(people, pair, client_for)
    reconciliation = Reconciliation.objects.get()
    quinn = client_for(people["qa_lead_quinn"])
    path = f"/api/v1/reconciliations/{reconciliation.pk}/agree/"
    missing = quinn.post(path, {"overall_grade": RI}, format="json")
    assert missing.status_code == 400
    assert "reason" in missing.json()
    agreed = quinn.post(
        path,
        {"overall_grade": RI, "reason": "Plans drift: the second audit is right."},
        format="json",
    )
    assert agreed.status_code == 200, agreed.json()
    reconciliation.refresh_from_db()
    assert (reconciliation.status, reconciliation.agreed_overall_grade) == ("agreed", RI)
    summary = AuditSummary.objects.get(audit=pair["first"])
    assert (summary.overall_grade, summary.reconciled_grade, summary.final_grade) == (GOOD, RI, RI)
    assert Event.objects.filter(verb="reconciliation.agreed").count() == 1
    again = quinn.post(path, {"overall_grade": GOOD, "reason": "Again"}, format="json")
    assert again.status_code == 409


def test_an_auditor_of_the_pair_cannot_reconcile_it(people, pair, client_for):
    good_and_requires_improvement(people, pair, client_for)
    reconciliation = Reconciliation.objects.get()
    path = f"/api/v1/reconciliations/{reconciliation.pk}/agree/"
    body = {"overall_grade": RI, "reason": "Mine is right"}
    assert client_for(pair["carol"]).post(path, body, format="json").status_code == 403
    assert client_for(people["manager_bob"]).post(path, body, format="json").status_code == 403
    assert client_for(people["outsider_eve"]).post(path, body, format="json").status_code == 403
    assert client_for(people["outsider_eve"]).get(path.replace("agree/", "")).status_code == 404
    reconciliation.refresh_from_db()
    assert reconciliation.status == "open"


def test_both_auditors_and_the_moderators_are_told_when_the_pair_is_ready(
    people, pair, client_for, django_capture_on_commit_callbacks
):
    submit(client_for(people["auditor_alice"]), pair["first"], GOOD)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        submit(client_for(pair["carol"]), pair["second"], RI)
    told = sorted(address for message in mail.outbox for address in message.to)
    assert "auditor_alice@council.example" in told
    assert "auditor_carol@council.example" in told
    assert "qa_lead_quinn@council.example" in told
    assert all("C700001" not in message.body for message in mail.outbox)


def test_the_reconcile_page_shows_both_mistakes_and_keeps_what_was_typed(people, pair, client_for):
    from django.test import Client

    good_and_requires_improvement(people, pair, client_for)
    reconciliation = Reconciliation.objects.get()
    quinn = Client()
    quinn.force_login(people["qa_lead_quinn"])
    path = reverse("web:reconcile", args=[reconciliation.pk])
    both = quinn.post(path, {"overall_grade": "", "reason": ""})
    assert both.status_code == 400
    page = both.content.decode()
    assert '<a href="#overall_grade">Choose the agreed overall grade</a>' in page
    assert '<a href="#reason">Say why these are the agreed grades</a>' in page
    wrong = quinn.post(path, {"overall_grade": "9", "reason": "Plans drift"})
    assert wrong.status_code == 400
    page = wrong.content.decode()
    assert '<a href="#overall_grade">Choose the agreed overall grade from the list</a>' in page
    assert ">Plans drift</textarea>" in page  # what was typed stays
    assert reconciliation.__class__.objects.get().status == "open"
    done = quinn.post(path, {"overall_grade": str(RI), "reason": "Plans drift"}, follow=True)
    assert done.redirect_chain[-1][1] == 302
    assert "Agreed grades recorded" in done.content.decode()
    reconciliation.refresh_from_db()
    assert (reconciliation.status, reconciliation.agreed_overall_grade) == ("agreed", RI)
