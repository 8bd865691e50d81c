"""The auditor's pages: My audits, the grading form (save, submit, errors that link to
their field, version conflicts that keep the auditor's text) and raising a concern."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from audits.core import grading
from audits.core.case_view import case_type_words
from audits.models import AccessLog, Audit, Escalation
from audits.selectors.case_panel import case_panel
from audits.services import lifecycle
from tests.browser import scenarios


@pytest.fixture
def audit(db):
    return scenarios.first_audit(scenarios.assigned_cycle())


@pytest.fixture
def auditor_alice(audit):
    client = Client()
    client.force_login(audit.assignment.auditor.user)
    return client


def complete_answers(audit: Audit, grade: int = 3) -> dict:
    """A full, valid form as the browser would post it."""
    data = {"version": audit.version, "overall_grade": str(grade), "rationale": "Clear."}
    for question in grading.questions(audit.template.definition):
        name = f"answer-{question['key']}"
        if question["kind"] == "grade":
            data[name] = str(grade)
        elif question["kind"] == "yes_no_na":
            data[name] = "yes"
        elif question["kind"] == "choice":
            data[name] = question["choices"][0]
        elif question["kind"] == "text":
            data[name] = "Seen and recorded."
    return data


def test_my_audits_lists_the_audit_with_its_due_date(audit, auditor_alice):
    page = auditor_alice.get("/audits/").content.decode()
    assert audit.assignment.sampled_case.case.case_ref in page
    assert f"/audits/{audit.pk}/" in page
    assert audit.due_date.strftime("%-d %b %Y") in page


def test_the_form_is_rendered_from_the_template(audit, auditor_alice):
    page = auditor_alice.get(f"/audits/{audit.pk}/").content.decode()
    for question in grading.questions(audit.template.definition):
        assert question["text"].replace("'", "&#x27;") in page
        assert f'id="answer-{question["key"]}"' in page
    assert "Look at the referral and the first response" in page  # guidance
    assert "Requires improvement" in page
    assert "Limiting judgement" in page
    assert "Drift and delay" in page  # a theme
    assert 'id="rationale"' in page
    assert 'id="strengths"' in page
    assert 'id="improvements"' in page
    assert "Raise a safeguarding concern" in page
    assert f'data-autosave-url="/api/v1/audits/{audit.pk}/"' in page
    assert AccessLog.objects.filter(object_type="audit", object_id=str(audit.pk)).exists()


def test_saving_a_draft_keeps_the_answers_and_moves_the_version(audit, auditor_alice):
    data = {
        "version": audit.version,
        "answer-risk_recognised": "2",
        "strengths": "Warm visits",
        "themes": ["Drift and delay"],
        "action": "save",
    }
    response = auditor_alice.post(f"/audits/{audit.pk}/", data, follow=True)
    assert b"Draft saved at" in response.content
    audit.refresh_from_db()
    assert audit.answers == {"risk_recognised": 2}
    assert (audit.strengths, audit.themes, audit.status) == (
        "Warm visits",
        ["Drift and delay"],
        "in_progress",
    )
    assert audit.version == 2


def check(client, audit, **data):
    return client.post(f"/audits/{audit.pk}/check/", {"version": audit.version, **data})


def test_continue_saves_and_goes_to_check_your_answers(audit, auditor_alice):
    data = {"version": audit.version, "answer-risk_recognised": "3", "action": "check"}
    response = auditor_alice.post(f"/audits/{audit.pk}/", data)
    assert response.status_code == 302
    assert response["Location"] == f"/audits/{audit.pk}/check/"
    page = auditor_alice.get(response["Location"]).content.decode()
    assert "Check your answers before submitting" in page
    assert "3 \N{EN DASH} Good" in page  # the saved answer, in words
    assert f'href="/audits/{audit.pk}/#answer-risk_recognised"' in page  # its Change link
    assert "Not answered" in page
    assert AccessLog.objects.filter(object_type="audit", object_id=str(audit.pk)).count() == 1


def test_submitting_an_incomplete_audit_lists_each_problem_linked_to_its_field(
    audit, auditor_alice
):
    auditor_alice.post(
        f"/audits/{audit.pk}/", {"version": 1, "answer-risk_recognised": "3", "action": "save"}
    )
    audit.refresh_from_db()
    response = check(auditor_alice, audit)
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page
    # Each entry links to its field on the grading form, where it can be answered.
    assert f'href="/audits/{audit.pk}/#answer-risk_reviewed"' in page
    assert f'href="/audits/{audit.pk}/#overall_grade"' in page
    assert "Answer this question" in page
    audit.refresh_from_db()
    assert audit.status == "in_progress"  # the draft was saved, not submitted
    assert audit.answers["risk_recognised"] == 3


def test_a_limiting_judgement_caps_the_overall_grade(audit, auditor_alice):
    data = complete_answers(audit, grade=3)
    data.update({"answer-risk_recognised": "2", "overall_grade": "4", "action": "check"})
    assert auditor_alice.post(f"/audits/{audit.pk}/", data).status_code == 302
    audit.refresh_from_db()
    response = check(auditor_alice, audit)
    assert response.status_code == 400
    assert f'href="/audits/{audit.pk}/#overall_grade"'.encode() in response.content
    assert b"limiting judgement" in response.content


def test_a_complete_audit_is_submitted_from_check_your_answers(audit, auditor_alice):
    data = {**complete_answers(audit), "action": "check"}
    assert auditor_alice.post(f"/audits/{audit.pk}/", data).status_code == 302
    audit.refresh_from_db()
    response = check(auditor_alice, audit)
    assert response.status_code == 302
    assert response["Location"] == "/audits/"
    audit.refresh_from_db()
    assert audit.status in ("submitted", "final")
    assert audit.overall_grade == 3
    # Submitted: the page is read-only and a second submission is refused, not repeated.
    page = auditor_alice.get(f"/audits/{audit.pk}/check/").content.decode()
    assert "Change<" not in page
    assert 'id="submit-audit"' not in page
    assert check(auditor_alice, audit).status_code == 409


def test_a_stale_check_your_answers_page_submits_nothing(audit, auditor_alice):
    data = {**complete_answers(audit), "action": "check"}
    auditor_alice.post(f"/audits/{audit.pk}/", data)
    response = auditor_alice.post(f"/audits/{audit.pk}/check/", {"version": 1})
    assert response.status_code == 409
    assert b"The audit was not submitted" in response.content
    audit.refresh_from_db()
    assert audit.status == "in_progress"


def test_one_answer_typed_wrong_is_marked_and_every_other_answer_is_saved(audit, auditor_alice):
    data = {
        "version": audit.version,
        "answer-risk_recognised": "2",
        "strengths": "Warm",
        "answer-cases_open_days": "about 140",
        "action": "save",
    }
    response = auditor_alice.post(f"/audits/{audit.pk}/", data)
    assert response.status_code == 400
    page = response.content.decode()
    assert 'value="about 140"' in page  # the text typed is kept, not wiped
    assert 'id="answer-cases_open_days-error"' in page
    assert "Enter a number, like 140" in page
    assert "Not saved:" in page
    assert "Your other answers were saved" in page
    # A refused answer is not counted as answered.
    assert 'data-progress="section-9" data-total="5">0 of 5<' in page
    assert 'data-progress="section-2" data-total="3">1 of 3<' in page
    audit.refresh_from_db()
    assert audit.answers == {"risk_recognised": 2}
    assert (audit.strengths, audit.version) == ("Warm", 2)
    assert 'name="version" id="audit-version" value="2"' in page  # the next save is not a 409


def test_the_case_is_in_view_while_grading(audit, auditor_alice):
    case = audit.assignment.sampled_case.case
    case.birth_year = timezone.localdate().year - 7
    case.save()
    page = auditor_alice.get(f"/audits/{audit.pk}/").content.decode()
    assert "About this case" in page
    assert case_type_words(case.case_type) in page
    assert case.worker.name in page
    assert "Aged 5 to 9" in page
    assert str(case.birth_year) not in page  # an age band, never the birth year
    for allocation in case.allocations.all():
        assert allocation.staff.name in page
    # Section navigation with answered counts.
    assert 'href="#section-2"' in page
    assert "0 of 3" in page
    total = len(grading.questions(audit.template.definition))
    assert f"0 of {total} questions answered" in page


def test_the_case_panel_follows_the_case_scope(audit):
    assert case_panel(User.objects.create(username="outsider"), audit) is None
    assert case_panel(audit.assignment.auditor.user, audit)["case_ref"] == str(
        audit.assignment.sampled_case.case
    )


def test_only_the_auditor_checks_and_submits(audit):
    manager = Client()
    manager.force_login(User.objects.get(username=scenarios.LEAD))
    assert manager.get(f"/audits/{audit.pk}/").status_code == 200  # sees the audit
    assert manager.get(f"/audits/{audit.pk}/check/").status_code == 404
    assert manager.post(f"/audits/{audit.pk}/check/", {"version": 1}).status_code == 404


@pytest.mark.parametrize(
    "garbage",
    [
        {"answer-risk_recognised": "seven"},
        {"answer-risk_recognised": "9"},
        {"answer-child_seen_recently": "maybe"},
        {"overall_grade": "²"},
        {"overall_grade": "-1"},
        {"themes": ["Not a theme"]},
        {"version": "abc"},
        {"answer-unknown_question": "3"},
        {"rationale": "x" * 20_001},
    ],
)
def test_garbage_never_gives_a_500(audit, auditor_alice, garbage):
    data = {"version": audit.version, "action": "save", **garbage}
    response = auditor_alice.post(f"/audits/{audit.pk}/", data)
    assert response.status_code in (302, 400)
    if response.status_code == 400:
        assert b"There is a problem" in response.content


def test_a_version_conflict_keeps_the_typed_text_and_offers_the_latest(audit, auditor_alice):
    stale = audit.version
    auditor_alice.post(f"/audits/{audit.pk}/", {"version": stale, "strengths": "First"})
    response = auditor_alice.post(
        f"/audits/{audit.pk}/",
        {"version": stale, "strengths": "My careful notes", "action": "save"},
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "Your changes were not saved" in page
    assert "My careful notes" in page
    assert "load the latest version" in page
    audit.refresh_from_db()
    assert audit.strengths == "First"


def test_another_auditor_cannot_open_or_post_to_the_audit(audit):
    other = Client()
    username = "auditor.2" if audit.assignment.auditor.user.username != "auditor.2" else "auditor.3"
    other.force_login(scenarios.person(username))
    assert other.get(f"/audits/{audit.pk}/").status_code == 404
    assert other.post(f"/audits/{audit.pk}/", {"version": 1}).status_code == 404


def test_a_manager_sees_the_audit_read_only(audit):
    lead = Client()
    lead.force_login(scenarios.person("qa.lead"))
    page = lead.get(f"/audits/{audit.pk}/").content.decode()
    assert 'id="grading-form"' not in page
    assert "Not answered" in page
    assert lead.post(f"/audits/{audit.pk}/", {"version": 1}).status_code == 404


def test_raising_a_safeguarding_concern(audit, auditor_alice):
    page = auditor_alice.get(f"/audits/{audit.pk}/concern/")
    assert page.status_code == 200
    response = auditor_alice.post(
        f"/audits/{audit.pk}/concern/", {"concern": "Bruising noted, no follow-up"}, follow=True
    )
    assert b"safeguarding concern has been sent" in response.content
    escalation = Escalation.objects.get(audit=audit)
    assert escalation.concern == "Bruising noted, no follow-up"


def test_an_empty_concern_is_refused_with_an_error_summary(audit, auditor_alice):
    response = auditor_alice.post(f"/audits/{audit.pk}/concern/", {"concern": "  "})
    assert response.status_code == 400
    assert b'href="#concern"' in response.content
    assert not Escalation.objects.exists()


def test_a_submitted_audit_is_read_only_for_its_auditor(audit, auditor_alice):
    auditor_alice.post(f"/audits/{audit.pk}/", {**complete_answers(audit), "action": "check"})
    assert auditor_alice.post(f"/audits/{audit.pk}/check/", {"version": 2}).status_code == 302
    page = auditor_alice.get(f"/audits/{audit.pk}/").content.decode()
    assert 'id="grading-form"' not in page
    response = auditor_alice.post(f"/audits/{audit.pk}/", complete_answers(audit))
    assert response.status_code == 409


def test_check_your_answers_on_a_closed_cycle_offers_no_submit(audit, auditor_alice):
    cycle = audit.assignment.sampled_case.cycle
    type(cycle).objects.filter(pk=cycle.pk).update(status="closed")
    response = auditor_alice.get(f"/audits/{audit.pk}/check/")
    assert response.status_code == 200
    assert lifecycle.CLOSED_MESSAGE.encode() in response.content.replace(b"&#x27;", b"'")
    assert b'id="submit-audit"' not in response.content
    assert check(auditor_alice, audit).status_code == 409
    audit.refresh_from_db()
    assert audit.status == "assigned"
