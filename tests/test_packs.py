"""Inspection packs: one zip per build holding the sampling record and frame with the
re-check script, every audit, the actions and their evidence list, the newest report and a
manifest; ``check_pack`` passes a pack as built and names every tampering; only the cycle's
managers, internal audit and administrators may build or download one (404 otherwise); a
crash leaves no pack and the job is retried."""

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.storage import storages
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from audits.core.pack_manifest import MANIFEST_NAME, manifest_bytes, sha256_hex
from audits.models import AccessLog, Audit, Event, PackJob, Report, ReportJob, Staff
from audits.services import packs
from tests.builders import finished_cycle
from worker.compile import report_compile
from worker.pack import pack_build
from worker.tasks import build_pack

pytestmark = pytest.mark.django_db


@pytest.fixture
def pack_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "packs": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "packs")},
        },
    }
    storages._storages.pop("packs", None)
    yield tmp_path / "packs"
    storages._storages.pop("packs", None)


@pytest.fixture
def cycle(db, pack_storage):
    cycle = finished_cycle(n=16)
    lead = User.objects.get(username="qa.lead")
    job = ReportJob.objects.create(cycle=cycle, requested_by=lead, as_of=timezone.now())
    assert report_compile(job.pk, "report-task") is not None
    return cycle


@pytest.fixture
def lead(cycle):
    return User.objects.get(username="qa.lead")


def built(cycle, actor, task_id="pack-task") -> PackJob:
    job, created = packs.pack_request(cycle=cycle, actor=actor)
    assert created
    done = pack_build(job.pk, task_id)
    assert done is not None
    assert done.status == "done"
    return done


def pack_file(job: PackJob, tmp_path) -> str:
    path = tmp_path / f"pack-{job.pk}.zip"
    with storages["packs"].open(job.stored_name, "rb") as stream:
        path.write_bytes(stream.read())
    return str(path)


def check(path, *extra) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("check_pack", path, *extra, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def check_fails(path, *extra) -> str:
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("check_pack", path, *extra, stdout=out, stderr=err)
    assert failed.value.returncode == 1
    return err.getvalue()


def rewrite(source, target, *, change=None, drop=(), add=None, fix_manifest=False):
    """Copy a pack, changing entries: ``change`` maps a name to a function of its bytes."""
    change, add = change or {}, add or {}
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        manifest = json.loads(old.read(MANIFEST_NAME))
        for info in old.infolist():
            if info.filename in drop or info.filename == MANIFEST_NAME:
                continue
            data = old.read(info)
            if info.filename in change:
                data = change[info.filename](data)
                if fix_manifest:
                    for entry in manifest["files"]:
                        if entry["path"] == info.filename:
                            entry["sha256"], entry["size"] = sha256_hex(data), len(data)
            new.writestr(info.filename, data)
        for name, data in add.items():
            new.writestr(name, data)
        new.writestr(MANIFEST_NAME, manifest_bytes(manifest))
    return str(target)


def flip_one_byte(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :]


def test_a_pack_holds_the_cycle_and_passes_its_check(cycle, lead, tmp_path):
    job = built(cycle, lead)
    path = pack_file(job, tmp_path)
    report = Report.objects.get(cycle=cycle)
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read(MANIFEST_NAME))
        record = json.loads(archive.read("sampling/record.json"))
        pdf = archive.read("report/report.pdf")
        audits_csv = archive.read("audits/audits.csv").decode()
        one = json.loads(archive.read(sorted(n for n in names if n.startswith("audits/a"))[0]))
        readme = archive.read("README.txt").decode()
    audits = Audit.objects.filter(assignment__sampled_case__cycle=cycle)
    assert {f"audits/audit-{pk}.json" for pk in audits.values_list("pk", flat=True)} <= names
    assert len(audits_csv.strip().splitlines()) == audits.count() + 1
    assert {
        "README.txt",
        "sampling/record.json",
        f"sampling/{cycle.frame.frame_file}",
        f"sampling/{cycle.frame.exclusions_file}",
        f"sampling/cycle-{cycle.pk}-sample.csv",
        "sampling/verify_sample.py",
        "actions/actions.csv",
        "actions/evidence.csv",
        "report/report.pdf",
        "report/data.json",
        "report/audits.csv",
    } <= names
    assert {entry["path"] for entry in manifest["files"]} == names - {MANIFEST_NAME}
    assert manifest["report_hash"] == report.report_hash == job.report_hash
    assert manifest["frame_hash"] == cycle.frame.frame_hash == record["frame_hash"]
    assert manifest["cycle"]["id"] == cycle.pk
    assert manifest["built_by"] == "qa.lead"
    assert record["verification"]["match"] is True
    assert pdf.startswith(b"%PDF")
    assert {"answers", "moderations", "reconciliation", "overall_grade"} <= set(one)
    assert "check_pack" in readme
    assert record["command"] in readme
    with zipfile.ZipFile(path) as archive:
        assert sha256_hex(archive.read(MANIFEST_NAME)) == job.manifest_sha256
    with storages["packs"].open(job.stored_name, "rb") as stream:
        assert sha256_hex(stream.read()) == job.sha256

    out, _ = check(path, f"--manifest-sha256={job.manifest_sha256}")
    assert "The pack matches its manifest and its sample re-checks." in out
    event = Event.objects.get(verb="pack.built")
    assert event.after["sha256"] == job.sha256
    assert event.object_id == str(job.pk)


def test_a_tampered_pack_fails_its_check_naming_each_problem(cycle, lead, tmp_path):
    job = built(cycle, lead)
    path = pack_file(job, tmp_path)
    one_audit = next(n for n in zipfile.ZipFile(path).namelist() if n.startswith("audits/audit-"))

    changed = rewrite(path, tmp_path / "changed.zip", change={"report/report.pdf": flip_one_byte})
    assert "changed: report/report.pdf" in check_fails(changed)

    removed = rewrite(path, tmp_path / "removed.zip", drop={one_audit})
    assert f"missing: {one_audit} is in the manifest but not in the pack" in check_fails(removed)

    added = rewrite(path, tmp_path / "added.zip", add={"audits/audit-999999.json": b"{}"})
    assert "extra: audits/audit-999999.json is not in the manifest" in check_fails(added)

    # A grade changed and the manifest rewritten to match: the files agree with it, but the
    # manifest is not the one CaseAssure recorded.
    def regrade(data: bytes) -> bytes:
        record = json.loads(data)
        record["overall_grade"] = 4 if record["overall_grade"] != 4 else 1
        return json.dumps(record).encode()

    forged = rewrite(path, tmp_path / "forged.zip", change={one_audit: regrade}, fix_manifest=True)
    check(forged)  # against its own manifest only, nothing to see
    errors = check_fails(forged, f"--manifest-sha256={job.manifest_sha256}")
    assert f"changed: {MANIFEST_NAME}" in errors

    # The frame swapped for another, manifest and all: the sample no longer re-checks.
    frame_name = f"sampling/{cycle.frame.frame_file}"

    def drop_a_case(data: bytes) -> bytes:
        import gzip

        lines = gzip.decompress(data).decode().splitlines(keepends=True)
        return gzip.compress("".join(lines[:1] + lines[2:]).encode())

    reframed = rewrite(
        path, tmp_path / "reframed.zip", change={frame_name: drop_a_case}, fix_manifest=True
    )
    assert "the sample does not re-check" in check_fails(reframed)


def test_a_file_that_is_not_a_pack_is_refused_in_words(tmp_path):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    with pytest.raises(CommandError, match="cannot be read as a zip file"):
        call_command("check_pack", str(junk), stdout=io.StringIO(), stderr=io.StringIO())


def manager_of_other_team() -> User:
    return User.objects.filter(groups__name="manager").exclude(username="qa.lead").first()


def test_only_the_cycles_managers_internal_audit_and_admins_build_or_download(
    cycle, lead, client_for
):
    url = f"/api/v1/cycles/{cycle.pk}/pack/"
    auditor = Audit.objects.filter(assignment__sampled_case__cycle=cycle).first()
    outsider = User.objects.create_user("outsider_eve")
    for person in (manager_of_other_team(), auditor.assignment.auditor.user, outsider):
        assert client_for(person).post(url).status_code == 404, person
    assert client_for(None).post(url).status_code == 401
    assert not PackJob.objects.exists()

    response = client_for(User.objects.get(username="internal.audit")).post(url)
    assert response.status_code == 202, response.content
    job_id = response.json()["id"]
    assert response.json()["status"] == "queued"
    # Asked again while it waits: the same build, not a second.
    again = client_for(lead).post(url)
    assert again.status_code == 202
    assert again.json()["id"] == job_id
    assert Event.objects.filter(verb="pack.requested").count() == 1
    pack_build(job_id, "task-scope")

    for person in (manager_of_other_team(), auditor.assignment.auditor.user, outsider):
        client = client_for(person)
        assert client.get(f"/api/v1/packs/{job_id}/").status_code == 404
        assert client.get(f"/api/v1/packs/{job_id}/download/").status_code == 404
    listed = client_for(manager_of_other_team()).get("/api/v1/packs/")
    assert listed.status_code == 200
    assert listed.json()["count"] == 0

    for name in ("qa.lead", "internal.audit", "admin"):
        client = client_for(User.objects.get(username=name))
        detail = client.get(f"/api/v1/packs/{job_id}/").json()
        assert detail["status"] == "done"
        assert detail["progress"] == 100
        download = client.get(f"/api/v1/packs/{job_id}/download/")
        assert download.status_code == 200
        data = b"".join(download.streaming_content)
        assert sha256_hex(data) == detail["sha256"]
        assert download["Content-Type"] == "application/zip"
    assert Event.objects.filter(verb="pack.downloaded").count() == 3
    logged = AccessLog.objects.filter(object_type="packjob", action="export")
    assert logged.count() == 3


def test_a_manager_still_blind_to_half_a_double_audit_gets_no_pack(cycle, lead, client_for):
    """The QA lead who audits one half of a double audit and has not submitted would see the
    other half in the pack: no pack for them until they submit, whatever else they hold."""
    pack = built(cycle, lead)
    browser = Client()
    browser.force_login(lead)
    assert b'id="cycle-build-pack"' in browser.get(f"/cycles/{cycle.pk}/").content
    second = Audit.objects.filter(
        assignment__sampled_case__cycle=cycle, assignment__role="second"
    ).first()
    assert second is not None
    # The lead takes over the second half, not yet submitted (set up directly: no service
    # hands a manager an audit of their own cycle).
    Audit.objects.filter(pk=second.pk).update(status="assigned")
    second.assignment.auditor = Staff.objects.get(user=lead)
    second.assignment.save(update_fields=["auditor"])
    lead.groups.add(Group.objects.get(name="auditor"))
    client = client_for(User.objects.get(pk=lead.pk))
    assert client.post(f"/api/v1/cycles/{cycle.pk}/pack/").status_code == 404
    assert client.get(f"/api/v1/packs/{pack.pk}/download/").status_code == 404
    # The cycle page offers no button that would answer 404, and says when it will.
    browser.force_login(User.objects.get(pk=lead.pk))
    page = browser.get(f"/cycles/{cycle.pk}/")
    assert page.status_code == 200
    assert b'id="cycle-build-pack"' not in page.content
    assert b"once you have submitted your own audits" in page.content


def test_a_crash_mid_build_leaves_no_pack_and_the_job_is_retried(cycle, lead, pack_storage):
    job, _ = packs.pack_request(cycle=cycle, actor=lead)
    frames = storages["frames"]
    name = cycle.frame.exclusions_file
    with frames.open(name, "rb") as stream:
        kept = stream.read()
    frames.delete(name)  # the build fails when it reaches the exclusions
    try:
        with pytest.raises(FileNotFoundError):
            pack_build(job.pk, "crashing-task")
    finally:
        frames.save(name, io.BytesIO(kept))
    # What the task does with the exception: the attempt is recorded, the job queued again.
    assert packs.pack_failed(job.pk, "crashing-task", "FileNotFoundError: exclusions") is True
    job.refresh_from_db()
    assert (job.status, job.attempts, job.progress > 0) == ("queued", 1, True)
    assert not pack_storage.exists() or not any(pack_storage.rglob("*.zip"))

    build_pack.apply(args=(job.pk,), task_id="second-task")  # the task, as the worker runs it
    job.refresh_from_db()
    assert (job.status, job.attempts, job.progress) == ("done", 2, 100)
    assert len(list(pack_storage.rglob("*.zip"))) == 1


def test_a_job_held_by_a_live_task_is_not_taken_but_an_expired_lease_is(cycle, lead):
    job, _ = packs.pack_request(cycle=cycle, actor=lead)
    assert packs.pack_claim(job.pk, "first")
    assert not packs.pack_claim(job.pk, "second")
    PackJob.objects.filter(pk=job.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert pack_build(job.pk, "second").status == "done"
    assert (
        packs.pack_store(
            job_id=job.pk,
            task_id="first",
            path="/nonexistent",
            sha256="",
            manifest_sha256="",
            report_hash="",
        )
        is None
    )


def test_progress_moves_and_the_sweep_frees_an_expired_build(cycle, lead):
    job, _ = packs.pack_request(cycle=cycle, actor=lead)
    seen = []
    real = packs.pack_progress

    def watching(job_id, task_id, value):
        real(job_id, task_id, value)
        seen.append(PackJob.objects.get(pk=job_id).progress)

    packs.pack_progress = watching
    try:
        pack_build(job.pk, "task-progress")
    finally:
        packs.pack_progress = real
    assert seen == sorted(seen)
    assert seen[0] < 50 < seen[-1] < 100
    assert PackJob.objects.get(pk=job.pk).progress == 100

    stuck, _ = packs.pack_request(cycle=cycle, actor=lead)
    assert packs.pack_claim(stuck.pk, "dead-worker")
    PackJob.objects.filter(pk=stuck.pk).update(lease_until=timezone.now() - timedelta(minutes=1))
    assert packs.packs_sweep()["packs_freed"] == 1
    assert PackJob.objects.get(pk=stuck.pk).status == "queued"


def test_a_stored_pack_that_changed_is_not_given_out(cycle, lead, client_for, pack_storage):
    job = built(cycle, lead)
    stored = pack_storage / job.stored_name
    stored.write_bytes(flip_one_byte(stored.read_bytes()))
    response = client_for(lead).get(f"/api/v1/packs/{job.pk}/download/")
    assert response.status_code == 409
    assert "changed since it was built" in response.json()["detail"]
    assert not Event.objects.filter(verb="pack.downloaded").exists()


def test_a_cycle_not_drawn_has_no_pack(db, client_for, pack_storage):
    cycle = finished_cycle(n=16)
    lead = User.objects.get(username="qa.lead")
    from audits.models import Cycle

    planned = Cycle.objects.create(
        name="Planned",
        period_start=cycle.period_start,
        period_end=cycle.period_end,
        template=cycle.template,
        created_by=lead,
    )
    response = client_for(lead).post(f"/api/v1/cycles/{planned.pk}/pack/")
    assert response.status_code == 409
    assert "drawn sample" in response.json()["detail"]
