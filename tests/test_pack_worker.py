"""Inspection packs built by a real Celery worker (PostgreSQL and Redis in CI): asked for
through the API, built in the background with progress, downloaded through the scoped view,
checked with ``check_pack``; a tampered copy fails the check; a worker killed mid-build
leaves no pack behind and the redelivered job builds it once."""

import io
import os
import signal
import subprocess
import zipfile

import pytest
from django.contrib.auth.models import User
from django.core.files.storage import storages
from django.core.management import CommandError, call_command
from django.utils import timezone

from audits.models import PackJob, ReportJob
from tests.builders import finished_cycle
from tests.conftest import wait_for
from worker.compile import report_compile

pytestmark = pytest.mark.worker


@pytest.fixture
def worker_env():
    # Hold each build stage for two seconds so the drill can strike mid-build.
    return {"REPORT_DRILL_PAUSE": "2"}


def cycle_with_report():
    cycle = finished_cycle(n=16)
    lead = User.objects.get(username="qa.lead")
    job = ReportJob.objects.create(cycle=cycle, requested_by=lead, as_of=timezone.now())
    assert report_compile(job.pk, "report-in-test") is not None
    return cycle, lead


def job_state(job_id):
    return PackJob.objects.values("status", "progress", "attempts").get(pk=job_id)


def check(path, *extra):
    out, err = io.StringIO(), io.StringIO()
    call_command("check_pack", str(path), *extra, stdout=out, stderr=err)
    return out.getvalue()


def test_a_pack_built_by_the_worker_passes_its_check_and_a_tampered_copy_fails(
    live_worker, client_for, tmp_path
):
    cycle, lead = cycle_with_report()
    client = client_for(lead)
    response = client.post(f"/api/v1/cycles/{cycle.pk}/pack/")
    assert response.status_code == 202, response.content
    job_id = response.json()["id"]

    progress_seen = set()

    def built():
        state = client.get(f"/api/v1/packs/{job_id}/").json()
        progress_seen.add(state["progress"])
        return state if state["status"] == "done" else None

    detail = wait_for(built, timeout=180)
    assert any(0 < value < 100 for value in progress_seen), progress_seen
    download = client.get(detail["download"])
    assert download.status_code == 200
    pack = tmp_path / "pack.zip"
    pack.write_bytes(b"".join(download.streaming_content))

    out = check(pack, f"--manifest-sha256={detail['manifest_sha256']}")
    assert "The pack matches its manifest and its sample re-checks." in out

    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(pack) as old, zipfile.ZipFile(tampered, "w") as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename == "report/data.json":
                data = data.replace(b"{", b"[", 1)
            new.writestr(info.filename, data)
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("check_pack", str(tampered), stdout=io.StringIO(), stderr=err)
    assert "changed: report/data.json" in err.getvalue()


def test_a_worker_killed_mid_build_leaves_no_pack_and_the_job_finishes_once(
    live_worker, client_for, tmp_path
):
    cycle, lead = cycle_with_report()
    response = client_for(lead).post(f"/api/v1/cycles/{cycle.pk}/pack/")
    assert response.status_code == 202
    job_id = response.json()["id"]

    def building():
        state = job_state(job_id)
        return state["status"] == "running" and state["progress"] >= 15

    wait_for(building, timeout=120)
    children = subprocess.run(
        ["pgrep", "-P", str(live_worker.pid)], capture_output=True, text=True, check=False
    ).stdout.split()
    assert children, "the worker has no pool process to kill"
    assert not PackJob.objects.get(pk=job_id).stored_name, "no pack is stored mid-build"
    for pid in children:
        os.kill(int(pid), signal.SIGKILL)

    def done():
        return job_state(job_id)["status"] == "done"

    wait_for(done, timeout=180)
    job = PackJob.objects.get(pk=job_id)
    assert job.attempts == 2  # the killed attempt and the redelivered one
    folder = f"cycle-{cycle.pk}"
    _dirs, stored = storages["packs"].listdir(folder)
    assert [name for name in stored if name.endswith(f"-{job.pk}.zip")] == [
        job.stored_name.split("/")[-1]
    ]
    pack = tmp_path / "pack.zip"
    with storages["packs"].open(job.stored_name, "rb") as stream:
        pack.write_bytes(stream.read())
    assert "The pack matches its manifest" in check(pack)
