"""A date question of the grading form is asked as day, month and year, like every date on
the pages: saved as one date, refused with words that say which part is missing or that
the date is not real (every other answer still saved), and read back in words."""

import html

import pytest
from django.test import Client

from audits.models import Audit
from tests.browser import scenarios

DATE = "answer-last_visit_date"


@pytest.fixture
def audit(db):
    return scenarios.first_audit(scenarios.assigned_cycle())


@pytest.fixture
def auditor_alice(audit):
    client = Client()
    client.force_login(audit.assignment.auditor.user)
    return client


def _post(client, audit: Audit, **fields) -> str:
    data = {"version": audit.version, "strengths": "Warm", "action": "save", **fields}
    response = client.post(f"/audits/{audit.pk}/", data)
    return response


def test_the_date_question_is_three_boxes(audit, auditor_alice):
    page = auditor_alice.get(f"/audits/{audit.pk}/").content.decode()
    assert 'type="date"' not in page
    assert f'name="{DATE}_day" id="{DATE}"' in page  # the error summary's link lands here
    assert f'name="{DATE}_month" id="{DATE}_month"' in page
    assert f'name="{DATE}_year" id="{DATE}_year"' in page


def test_a_whole_date_is_saved_and_shown_again_in_its_boxes(audit, auditor_alice):
    response = _post(
        auditor_alice, audit, **{f"{DATE}_day": "5", f"{DATE}_month": "1", f"{DATE}_year": "2026"}
    )
    assert response.status_code == 302
    audit.refresh_from_db()
    assert audit.answers["last_visit_date"] == "2026-01-05"
    page = auditor_alice.get(f"/audits/{audit.pk}/").content.decode()
    assert f'id="{DATE}" value="5"' in page
    assert f'id="{DATE}_month" value="1"' in page
    assert f'id="{DATE}_year" value="2026"' in page
    check = auditor_alice.get(f"/audits/{audit.pk}/check/").content.decode()
    assert "5 January 2026" in check


def test_an_iso_date_posted_in_one_box_is_still_read(audit, auditor_alice):
    assert _post(auditor_alice, audit, **{DATE: "2026-02-03"}).status_code == 302
    audit.refresh_from_db()
    assert audit.answers["last_visit_date"] == "2026-02-03"


@pytest.mark.parametrize(
    ("parts", "words"),
    [
        (("15", "", "2026"), "The date must include a month"),
        (("15", "", ""), "The date must include a month and year"),
        (("31", "2", "2026"), "The date must be a real date"),
        (("1", "x", "2026"), "The date must be a real date"),
        (("1", "2", "26"), "The year of the date must have 4 numbers, like 2026"),
    ],
)
def test_a_date_not_whole_or_not_real_is_refused_in_words_and_the_rest_saved(
    audit, auditor_alice, parts, words
):
    Audit.objects.filter(pk=audit.pk).update(answers={"last_visit_date": "2025-12-01"})
    day, month, year = parts
    response = _post(
        auditor_alice,
        audit,
        **{f"{DATE}_day": day, f"{DATE}_month": month, f"{DATE}_year": year},
        **{"answer-cases_open_days": "about 140"},
    )
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert words in page
    assert f'href="#{DATE}"' in page  # in the error summary, linked to the day box
    assert 'href="#answer-cases_open_days"' in page  # with the other mistake, at once
    assert f'id="{DATE}-error"' in page
    assert f'id="{DATE}" value="{day}"' in page  # what was typed is kept
    assert f'id="{DATE}_year" value="{year}"' in page
    audit.refresh_from_db()
    assert audit.answers["last_visit_date"] == "2025-12-01"  # the saved date stays
    assert audit.strengths == "Warm"  # every other answer saved


def test_clearing_the_three_boxes_clears_the_answer(audit, auditor_alice):
    Audit.objects.filter(pk=audit.pk).update(answers={"last_visit_date": "2025-12-01"})
    empty = {f"{DATE}_day": "", f"{DATE}_month": "", f"{DATE}_year": ""}
    assert _post(auditor_alice, audit, **empty).status_code == 302
    audit.refresh_from_db()
    assert audit.answers.get("last_visit_date") is None
