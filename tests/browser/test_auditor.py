"""An auditor signs in, fills in the grading form (autosaved), meets the error summary,
submits; a version conflict keeps their text; the session-timeout warning."""

import re

import pytest
from playwright.sync_api import expect

from audits.core import grading
from audits.models import Audit
from audits.services import audits as audit_service
from tests.browser import scenarios
from tests.browser.conftest import PHONE, SCREENSHOTS, TABLET

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fill_every_question(page, audit: Audit, grade: int = 3) -> None:
    for question in grading.questions(audit.template.definition):
        field = f"answer-{question['key']}"
        if question["kind"] == "grade":
            page.locator(f"#{field}-{grade}").check()
        elif question["kind"] in ("yes_no_na", "choice"):
            page.locator(f"#{field}").check()
        elif question["kind"] == "text":
            page.locator(f"#{field}").fill("Seen and recorded in the file.")
        elif question["kind"] == "number":
            page.locator(f"#{field}").fill("2")
        elif question["kind"] == "date":
            page.locator(f"#{field}").fill("15")  # the day box
            page.locator(f"#{field}_month").fill("1")
            page.locator(f"#{field}_year").fill("2026")


def test_an_auditor_fills_in_and_submits_an_audit(browser):
    audit = scenarios.first_audit(scenarios.assigned_cycle())
    username = audit.assignment.auditor.user.username
    login = browser.page()
    login.goto("/accounts/login/")
    browser.check(login, "login")

    page = browser.signed_in(username)
    browser.check(page, "auditor-home")
    page.get_by_role("link", name="My audits").first.click()
    expect(page.get_by_role("heading", name="My audits")).to_be_visible()
    browser.check(page, "auditor-my-audits")

    case_ref = audit.assignment.sampled_case.case.case_ref
    page.get_by_role("link", name=case_ref).click()
    expect(page.get_by_role("heading", name=f"Audit of case {case_ref}")).to_be_visible()
    expect(page.get_by_role("link", name="Raise a safeguarding concern")).to_be_visible()
    browser.check(page, "auditor-audit-form")

    fill_every_question(page, audit)
    page.get_by_label("Strengths").fill("The child's voice comes through clearly.")
    expect(page.locator("#autosave-status")).to_have_text(re.compile(r"Saved at \d\d:\d\d:\d\d"))
    audit.refresh_from_db()
    assert audit.status == "in_progress"
    assert audit.answers["risk_recognised"] == 3
    assert audit.strengths == "The child's voice comes through clearly."

    # No overall grade yet: check your answers lists it, linked to the field.
    page.get_by_role("button", name="Continue to check your answers").click()
    expect(page.get_by_role("heading", name=re.compile("Check your answers"))).to_be_visible()
    expect(page.get_by_text("3 \N{EN DASH} Good").first).to_be_visible()
    browser.check(page, "auditor-check-answers")
    page.get_by_role("button", name="Submit audit").click()
    summary = page.locator(".error-summary[role=alert]").first
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    browser.check(page, "auditor-check-answers-errors")
    summary.get_by_role("link", name=re.compile("overall grade", re.IGNORECASE)).click()
    expect(page.locator("#overall_grade")).to_be_in_viewport()

    page.locator("#overall_grade-3").check()
    page.get_by_role("button", name="Continue to check your answers").click()
    page.get_by_role("button", name="Submit audit").click()
    expect(page.get_by_text(f"Audit of case {case_ref} submitted.")).to_be_visible()
    audit.refresh_from_db()
    assert audit.status in ("submitted", "final")
    assert audit.overall_grade == 3
    browser.check(page, "auditor-submitted", screenshot=False)


def test_autosave_never_says_saved_for_an_answer_it_refused(browser):
    """The finding: "about 140" in an optional number field made every autosave fail while
    the page said the changes were saved; on reload 14 answers were gone."""
    audit = scenarios.first_audit(scenarios.assigned_cycle())
    page = browser.signed_in(audit.assignment.auditor.user.username)
    page.goto(f"/audits/{audit.pk}/")
    # Every text the status line shows, as it shows it.
    page.evaluate(
        """() => {
        const status = document.getElementById("autosave-status");
        window.statusSaid = [];
        new MutationObserver(() => window.statusSaid.push(status.textContent))
            .observe(status, {childList: true, subtree: true, characterData: true});
    }"""
    )
    # The wrong answer first: every save from here on carries it.
    page.locator("#answer-cases_open_days").fill("about 140")
    page.locator("#answer-risk_recognised-3").check()
    page.locator("#answer-child_seen_recently").check()
    page.get_by_label("Strengths").fill("Warm, regular visits")
    status = page.locator("#autosave-status")
    expect(status).to_contain_text("Not saved: How many days")
    expect(status).to_contain_text("Everything else was saved at")
    error = page.locator("#answer-cases_open_days-error")
    expect(error).to_have_text("Error: Not saved. Enter a number, like 140")
    expect(page.locator("#answer-cases_open_days")).to_have_value("about 140")
    # The status stays in view while the auditor works further down the form.
    page.locator("#improvements").scroll_into_view_if_needed()
    expect(status).to_be_in_viewport()
    page.locator("#answer-cases_open_days").scroll_into_view_if_needed()
    expect(status).to_be_in_viewport()
    # The section navigation shows where the auditor is, and what is answered there.
    recording = page.locator("[data-section-link='section-9']")
    expect(recording).to_have_attribute("aria-current", "true")
    expect(recording).to_be_in_viewport()
    expect(page.locator("#progress-total")).to_have_text(re.compile(r"^2 of \d+ questions"))
    # What the auditor sees where they are (a full-page picture moves sticky parts).
    page.screenshot(path=str(SCREENSHOTS / "auditor-autosave-refused-in-view.png"))
    browser.check(page, "auditor-autosave-refused")
    audit.refresh_from_db()
    assert audit.answers == {"risk_recognised": 3, "child_seen_recently": "yes"}
    assert audit.strengths == "Warm, regular visits"
    said = page.evaluate("() => window.statusSaid")
    assert said
    assert not any("Saved at" in text for text in said), said

    page.reload()
    expect(page.locator("#answer-risk_recognised-3")).to_be_checked()
    expect(page.get_by_label("Strengths")).to_have_value("Warm, regular visits")
    expect(page.locator("#answer-cases_open_days")).to_have_value("about 140")
    expect(page.locator("#answer-cases_open_days-error")).to_contain_text("Enter a number")
    expect(status).to_contain_text("Not saved: How many days")

    # Fixed: saved, the mark goes, and only now does the page say "Saved at".
    page.locator("#answer-cases_open_days").fill("140")
    expect(status).to_have_text(re.compile(r"^Saved at \d\d:\d\d:\d\d$"))
    expect(page.locator("#answer-cases_open_days-error")).to_have_count(0)
    audit.refresh_from_db()
    assert audit.answers["cases_open_days"] == 140
    page.reload()
    expect(page.locator("#answer-cases_open_days-error")).to_have_count(0)


def test_grading_on_a_phone(browser):
    audit = scenarios.first_audit(scenarios.assigned_cycle())
    page = browser.signed_in(audit.assignment.auditor.user.username, viewport=PHONE)
    page.goto(f"/audits/{audit.pk}/")
    expect(page.get_by_role("heading", name="About this case")).to_be_visible()
    browser.check(page, "auditor-audit-form-phone")
    page.locator("#answer-cases_open_days").fill("lots")
    expect(page.locator("#autosave-status")).to_contain_text("Not saved")
    expect(page.locator("#autosave-status")).to_be_in_viewport()
    page.screenshot(path=str(SCREENSHOTS / "auditor-autosave-refused-phone-in-view.png"))
    page.get_by_role("button", name="Continue to check your answers").click()
    expect(page.get_by_role("heading", name=re.compile("Check your answers"))).to_be_hidden()
    expect(page.locator("#answer-cases_open_days-error")).to_be_visible()
    page.locator("#answer-cases_open_days").fill("12")
    page.get_by_role("button", name="Continue to check your answers").click()
    expect(page.get_by_role("heading", name=re.compile("Check your answers"))).to_be_visible()
    browser.check(page, "auditor-check-answers-phone")


def test_a_version_conflict_keeps_the_auditors_text(browser):
    audit = scenarios.first_audit(scenarios.assigned_cycle())
    page = browser.signed_in(audit.assignment.auditor.user.username, viewport=TABLET)
    page.goto(f"/audits/{audit.pk}/")
    browser.check(page, "auditor-audit-form-tablet")
    # Someone saves the audit elsewhere (another tab) after this page was opened.
    audit_service.audit_save(
        audit=audit,
        actor=audit.assignment.auditor.user,
        version=audit.version,
        changes={"strengths": "Saved in another tab"},
    )
    page.get_by_label("Strengths").fill("Typed here and not to be lost")
    conflict = page.locator("#autosave-conflict")
    expect(conflict).to_be_visible()
    expect(conflict).to_contain_text("Someone saved this audit after you opened it")
    expect(page.get_by_label("Strengths")).to_have_value("Typed here and not to be lost")
    browser.check(page, "auditor-version-conflict")
    page.get_by_role("link", name="load the latest version").click()
    expect(page.get_by_label("Strengths")).to_have_value("Saved in another tab")


def test_raising_a_safeguarding_concern(browser):
    audit = scenarios.first_audit(scenarios.assigned_cycle())
    page = browser.signed_in(audit.assignment.auditor.user.username)
    page.goto(f"/audits/{audit.pk}/")
    page.get_by_role("link", name="Raise a safeguarding concern").click()
    browser.check(page, "auditor-concern")
    page.get_by_label("What is the concern?").fill("Unexplained injuries recorded twice")
    page.get_by_role("button", name="Send the concern now").click()
    expect(page.get_by_text("Your safeguarding concern has been sent")).to_be_visible()
    assert audit.escalations.count() == 1


def test_the_session_timeout_warning(browser, settings):
    settings.SESSION_IDLE_SECONDS = settings.SESSION_COOKIE_AGE = 6
    audit = scenarios.first_audit(scenarios.assigned_cycle())
    page = browser.signed_in(audit.assignment.auditor.user.username)
    page.goto("/audits/")
    dialog = page.locator("#session-warning")
    expect(dialog).to_be_visible(timeout=10_000)
    expect(page.get_by_role("button", name="Stay signed in")).to_be_focused()
    browser.check(page, "session-timeout-warning")
    page.get_by_role("button", name="Stay signed in").click()
    expect(dialog).to_be_hidden()
    page.wait_for_url(re.compile(r"/accounts/login/\?timeout=1&next=%2Faudits%2F"), timeout=15_000)
    expect(page.get_by_text("You were signed out because")).to_be_visible()
    page.get_by_label("Username").fill(audit.assignment.auditor.user.username)
    page.get_by_label("Password").fill(scenarios.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My audits")).to_be_visible()


def test_a_date_question_is_day_month_and_year_and_autosaves(browser):
    """The form's date question, three boxes like every date on the pages: a part left
    out is marked where it is and not saved (the rest is); once whole, it is saved as one
    date and the mark goes."""
    audit = scenarios.first_audit(scenarios.assigned_cycle())
    page = browser.signed_in(audit.assignment.auditor.user.username)
    page.goto(f"/audits/{audit.pk}/")
    field = "#answer-last_visit_date"
    expect(page.locator(f"{field}[type=date]")).to_have_count(0)
    page.locator(field).fill("15")
    page.locator(f"{field}_year").fill("2026")
    page.get_by_label("Strengths").fill("Visits every fortnight")
    status = page.locator("#autosave-status")
    expect(status).to_contain_text("Not saved: Date of the most recent recorded visit")
    expect(page.locator("#answer-last_visit_date-error")).to_have_text(
        "Error: Not saved. The date must include a month"
    )
    audit.refresh_from_db()
    assert audit.strengths == "Visits every fortnight"
    assert audit.answers.get("last_visit_date") is None
    page.locator(field).scroll_into_view_if_needed()
    browser.check(page, "auditor-date-question-refused")

    page.locator(f"{field}_month").fill("3")
    expect(status).to_have_text(re.compile(r"Saved at \d\d:\d\d:\d\d"))
    expect(page.locator("#answer-last_visit_date-error")).to_have_count(0)
    audit.refresh_from_db()
    assert audit.answers["last_visit_date"] == "2026-03-15"
    page.reload()
    expect(page.locator(field)).to_have_value("15")
    expect(page.locator(f"{field}_month")).to_have_value("3")
    expect(page.locator(f"{field}_year")).to_have_value("2026")
    browser.check(page, "auditor-date-question-saved")
