"""An auditor attaches evidence to an answer from the grading page; a program renamed
.pdf is refused with an error that says what to do; the manager of the cycle downloads the
file, and the download leaves an AccessLog row."""

import pytest
from playwright.sync_api import expect

from audits.core import grading
from audits.models import AccessLog, Evidence
from tests.browser import scenarios

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF_BYTES = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def evidence_folder(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "evidence": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "evidence"), "base_url": None},
        },
    }


def test_an_auditor_uploads_evidence_and_a_manager_downloads_it(browser):
    audit = scenarios.first_audit(scenarios.assigned_cycle())
    question = grading.questions(audit.template.definition)[0]
    case_ref = audit.assignment.sampled_case.case.case_ref

    page = browser.signed_in(audit.assignment.auditor.user.username)
    page.goto(f"/audits/{audit.pk}/")
    panel = page.locator("#evidence")
    expect(panel.get_by_role("heading", name="Evidence")).to_be_visible()
    panel.get_by_label("Question the file is evidence for").select_option(question["key"])
    panel.get_by_label("Upload a file").set_input_files(
        {"name": "setup.pdf", "mimeType": "application/pdf", "buffer": b"MZ\x90\x00" + b"\0" * 64}
    )
    panel.get_by_role("button", name="Add file").click()
    summary = page.locator(".error-summary[role=alert]")
    expect(summary).to_contain_text(
        "The selected file must be a PDF, JPG, PNG, text, Word or Excel file"
    )
    browser.check(page, "evidence-refused")
    assert not Evidence.objects.exists()

    page.get_by_label("Question the file is evidence for").select_option(question["key"])
    page.get_by_label("Upload a file").set_input_files(
        {"name": "Letter to school.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}
    )
    page.get_by_role("button", name="Add file").click()
    expect(page.get_by_text("Letter to school.pdf added as evidence.")).to_be_visible()
    expect(page.locator("#evidence")).to_contain_text("Letter to school.pdf")
    page.locator("#evidence").scroll_into_view_if_needed()
    browser.check(page, "evidence-on-the-audit-page")
    evidence = Evidence.objects.get()
    assert evidence.question_key == question["key"]

    manager = browser.signed_in(scenarios.LEAD)
    manager.goto(f"/audits/{audit.pk}/evidence/")
    expect(manager.get_by_role("heading", name=f"Evidence for the audit of case {case_ref}"))
    browser.check(manager, "evidence-manager")
    with manager.expect_download() as download_info:
        manager.get_by_role("link", name="Letter to school.pdf").click()
    download = download_info.value
    assert download.suggested_filename == "Letter to school.pdf"
    with open(download.path(), "rb") as stream:
        assert stream.read() == PDF_BYTES
    row = AccessLog.objects.get(object_type="evidence")
    assert row.user.username == scenarios.LEAD
    assert row.object_id == str(evidence.pk)
