"""Evidence files: an auditor attaches a file to an answer, a manager of the cycle downloads
it (logged, checked against its SHA-256), nobody else learns it exists; limits and types are
refused in words that say what to do; retention purges files and a legal hold keeps them."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from audits.core import grading
from audits.models import AccessLog, Action, Event, Evidence
from audits.services import actions as action_service
from audits.services.retention import retention_purge
from tests.browser import scenarios
from tests.test_evidence_sniffing import PDF_BYTES, PNG_BYTES, PROGRAM_BYTES


@pytest.fixture(autouse=True)
def evidence_folder(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "evidence": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "evidence"), "base_url": None},
        },
    }
    return tmp_path / "evidence"


def stored_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


@pytest.fixture
def audit(db):
    return scenarios.first_audit(scenarios.assigned_cycle())


@pytest.fixture
def question_key(audit):
    return grading.questions(audit.template.definition)[0]["key"]


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def auditor(audit):
    return signed_in(audit.assignment.auditor.user)


@pytest.fixture
def qa_lead():
    return signed_in(scenarios.person(scenarios.LEAD))


def upload(client, audit, question_key, name="letter.pdf", data=PDF_BYTES, api=True):
    file = SimpleUploadedFile(name, data, content_type="application/pdf")
    if api:
        return client.post(
            "/api/v1/evidence/", {"audit": audit.pk, "question_key": question_key, "file": file}
        )
    return client.post(
        f"/audits/{audit.pk}/evidence/", {"question_key": question_key, "file": file}
    )


def test_an_auditor_attaches_a_pdf_to_an_answer(audit, auditor, question_key, evidence_folder):
    response = upload(auditor, audit, question_key, name="Scan of letter.PDF")
    assert response.status_code == 201, response.content
    evidence = Evidence.objects.get()
    assert (evidence.audit, evidence.question_key) == (audit, question_key)
    assert evidence.content_type == "application/pdf"
    assert evidence.display_name == "Scan of letter.pdf"
    assert len(evidence.sha256) == 64
    assert evidence.size == len(PDF_BYTES)
    assert Event.objects.filter(verb="evidence.attached", object_id=str(evidence.pk)).exists()
    (stored,) = stored_files(evidence_folder)
    assert stored.read_bytes() == PDF_BYTES
    assert "letter" not in stored.name  # the uploader's name is display text only


def test_the_audit_page_offers_the_upload_and_lists_the_file(audit, auditor, question_key):
    response = upload(auditor, audit, question_key, api=False)
    assert response.status_code == 302
    page = auditor.get(f"/audits/{audit.pk}/").content.decode()
    evidence = Evidence.objects.get()
    assert 'enctype="multipart/form-data"' in page
    assert f"/evidence/{evidence.pk}/" in page
    assert "letter.pdf" in page


def test_a_program_renamed_pdf_is_refused_and_nothing_is_kept(
    audit, auditor, question_key, evidence_folder
):
    response = upload(auditor, audit, question_key, name="report.pdf", data=PROGRAM_BYTES)
    assert response.status_code == 400
    assert "must be a PDF, JPG, PNG, text, Word or Excel file" in response.content.decode()
    page = upload(auditor, audit, question_key, name="report.pdf", data=PROGRAM_BYTES, api=False)
    assert page.status_code == 400
    assert "The selected file must be a PDF, JPG, PNG, text, Word or Excel file" in (
        page.content.decode()
    )
    assert not Evidence.objects.exists()
    assert not stored_files(evidence_folder)


def test_a_file_over_the_limit_is_refused(audit, auditor, question_key, settings):
    settings.EVIDENCE_MAX_BYTES = 2048
    response = upload(auditor, audit, question_key, data=PDF_BYTES + b"0" * 4096)
    assert response.status_code == 400
    assert "The selected file must be smaller than 2 KB" in response.content.decode()


def test_the_audits_quota_is_kept(audit, auditor, question_key, settings):
    settings.EVIDENCE_QUOTA_FILES = 2
    assert upload(auditor, audit, question_key).status_code == 201
    assert upload(auditor, audit, question_key, data=PNG_BYTES).status_code == 201
    third = upload(auditor, audit, question_key)
    assert third.status_code == 400
    assert "already has 2 files" in third.content.decode()
    assert Evidence.objects.count() == 2


def test_a_question_not_on_the_form_is_refused(audit, auditor):
    response = upload(auditor, audit, "no_such_question")
    assert response.status_code == 400
    assert not Evidence.objects.exists()


def test_a_manager_of_the_cycle_downloads_it_and_the_read_is_logged(
    audit, auditor, question_key, qa_lead
):
    upload(auditor, audit, question_key)
    evidence = Evidence.objects.get()
    response = qa_lead.get(f"/evidence/{evidence.pk}/")
    assert response.status_code == 200
    assert response.content == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="letter.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    row = AccessLog.objects.get(object_type="evidence")
    assert (row.user.username, row.object_id, row.action) == (
        scenarios.LEAD,
        str(evidence.pk),
        "export",
    )
    api = qa_lead.get(f"/api/v1/evidence/{evidence.pk}/download/")
    assert api.status_code == 200
    assert api.content == PDF_BYTES
    assert AccessLog.objects.filter(object_type="evidence").count() == 2


def test_nobody_else_learns_it_exists(audit, auditor, question_key):
    upload(auditor, audit, question_key)
    evidence = Evidence.objects.get()
    eve = signed_in(scenarios.outsider())
    other_manager = signed_in(scenarios.team_manager("Children Looked After"))
    for client in (eve, other_manager):
        assert client.get(f"/evidence/{evidence.pk}/").status_code == 404
        assert client.get(f"/api/v1/evidence/{evidence.pk}/download/").status_code == 404
        assert upload(client, audit, question_key).status_code in (403, 404)
    assert Client().get(f"/evidence/{evidence.pk}/").status_code == 302  # sign in first
    assert Evidence.objects.count() == 1
    assert not AccessLog.objects.filter(object_type="evidence").exists()


def test_a_changed_file_is_not_served(audit, auditor, question_key, qa_lead, evidence_folder):
    upload(auditor, audit, question_key)
    evidence = Evidence.objects.get()
    (stored,) = stored_files(evidence_folder)
    stored.write_bytes(PDF_BYTES.replace(b"1.7", b"1.4"))
    page = qa_lead.get(f"/evidence/{evidence.pk}/")
    assert page.status_code == 409
    assert "has changed since it was added" in page.content.decode()
    assert qa_lead.get(f"/api/v1/evidence/{evidence.pk}/download/").status_code == 409
    stored.unlink()
    assert qa_lead.get(f"/evidence/{evidence.pk}/").status_code == 409
    assert not AccessLog.objects.filter(object_type="evidence").exists()


def test_the_uploader_deletes_while_the_audit_is_being_written(
    audit, auditor, question_key, qa_lead, evidence_folder, django_capture_on_commit_callbacks
):
    upload(auditor, audit, question_key)
    evidence = Evidence.objects.get()
    assert qa_lead.delete(f"/api/v1/evidence/{evidence.pk}/").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = auditor.delete(f"/api/v1/evidence/{evidence.pk}/")
    assert response.status_code == 204
    assert not Evidence.objects.exists()
    assert not stored_files(evidence_folder)
    assert Event.objects.filter(verb="evidence.deleted", object_id=str(evidence.pk)).exists()


def test_after_submission_the_file_is_part_of_the_record(audit, auditor, question_key):
    upload(auditor, audit, question_key)
    evidence = Evidence.objects.get()
    type(audit).objects.filter(pk=audit.pk).update(status="submitted")
    assert auditor.delete(f"/api/v1/evidence/{evidence.pk}/").status_code == 409
    assert upload(auditor, audit, question_key).status_code == 409
    assert Evidence.objects.count() == 1


@pytest.fixture
def action(audit):
    owner = audit.assignment.auditor.user  # an auditor sees the actions they own
    case = audit.assignment.sampled_case.case
    return action_service.action_create(
        actor=scenarios.person(scenarios.LEAD),
        audit=None,
        case=case,
        fields={
            "owner": owner.staff,
            "description": "Update the plan",
            "due_date": timezone.localdate() + timedelta(days=20),
        },
    )


def test_an_action_owner_adds_evidence_on_the_action_page(action):
    owner = signed_in(action.owner.user)
    file = SimpleUploadedFile("plan.png", PNG_BYTES)
    response = owner.post(f"/actions/{action.pk}/evidence/", {"file": file})
    assert response.status_code == 302
    evidence = Evidence.objects.get()
    assert (evidence.action, evidence.content_type) == (action, "image/png")
    page = owner.get(f"/actions/{action.pk}/evidence/").content.decode()
    assert "plan.png" in page
    Action.objects.filter(pk=action.pk).update(status="done")
    file = SimpleUploadedFile("plan.png", PNG_BYTES)
    assert owner.post(f"/actions/{action.pk}/evidence/", {"file": file}).status_code == 409


def test_retention_purges_old_files_but_keeps_those_under_legal_hold(
    audit, auditor, question_key, evidence_folder, django_capture_on_commit_callbacks
):
    upload(auditor, audit, question_key)
    upload(auditor, audit, question_key, data=PNG_BYTES)
    Evidence.objects.update(uploaded_at=timezone.now() - timedelta(days=365 * 7))
    upload(auditor, audit, question_key)  # recent: kept
    case = audit.assignment.sampled_case.case
    type(case).objects.filter(pk=case.pk).update(legal_hold=True)
    assert retention_purge(dry_run=False)["evidence"]["deleted"] == 0
    assert Evidence.objects.count() == 3
    type(case).objects.filter(pk=case.pk).update(legal_hold=False)
    with django_capture_on_commit_callbacks(execute=True):
        report = retention_purge(dry_run=False)
    assert report["evidence"]["deleted"] == 2
    (kept,) = Evidence.objects.all()
    assert [p.name for p in stored_files(evidence_folder)] == [Path(kept.stored_name).name]


def test_an_evidence_upload_may_be_larger_than_other_requests(
    audit, auditor, question_key, settings
):
    settings.REQUEST_MAX_BYTES = 2048
    data = PDF_BYTES + b"0" * 8192
    assert upload(auditor, audit, question_key, data=data).status_code == 201
    settings.EVIDENCE_MAX_BYTES = 4096
    refused = upload(auditor, audit, question_key, data=b"0" * (4096 + 70 * 1024))
    assert refused.status_code == 413
