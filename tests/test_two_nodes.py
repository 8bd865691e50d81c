"""Scale-out (issue 21): two web nodes (gunicorn) and two workers (Celery), each process on
a local DATA_DIR of its own, sharing only PostgreSQL, Redis and the S3 store. Reports are
requested through one web node and downloaded through the other, whole and checked: no path
relies on a disk two processes share."""

# ruff: noqa: F811 (the S3 fixtures are imported from tests/s3.py and named as arguments)

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings as django_settings
from django.contrib.auth.models import User

from audits.models import ApiToken, Report
from audits.services import reports
from tests.builders import finished_cycle
from tests.conftest import (
    _database_url_for_subprocess,
    service_missing,
    start_worker,
    stop_worker,
    wait_for,
)
from tests.s3 import free_port, objects, on_s3, s3_bucket, s3_endpoint, s3_env  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.postgres, pytest.mark.worker]


def start_web(data_dir: Path, extra_env: dict) -> tuple[subprocess.Popen, str]:
    """A gunicorn web node (one process, two threads) on a loopback port of its own."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": _database_url_for_subprocess(),
        "DATA_DIR": str(data_dir),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "2",
        **extra_env,
    }
    env.pop("DATABASE_OWNER_URL", None)  # the runtime role only, as in production
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / "gunicorn.log"
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "backend.wsgi:application"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            requests.get(f"{url}/health/", timeout=10)  # any answer: the node is up
            return process, url
        except requests.RequestException:
            if process.poll() is not None or time.monotonic() > deadline:
                stop(process)
                pytest.fail(f"the web node did not start:\n{log.read_text()}")
            time.sleep(0.3)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def local_files(data_dir: Path) -> list[str]:
    """Files a process kept under its DATA_DIR's file folders (none expected)."""
    return sorted(
        str(path.relative_to(data_dir))
        for folder in ("files", "imports", "evidence", "packs")
        for path in (data_dir / folder).rglob("*")
        if path.is_file()
    )


def test_a_report_requested_on_one_web_node_downloads_whole_from_the_other(
    transactional_db, on_s3, s3_endpoint, tmp_path
):
    if not django_settings.REDIS_URL:
        service_missing("Redis is not configured (REDIS_URL)")
    cycle = finished_cycle(n=16)  # drawn here: its frame is in the bucket too
    lead = User.objects.get(username="qa.lead")
    _, key = ApiToken.issue(user=lead, name="two-node test")
    auth = {"Authorization": f"Token {key}"}
    env = s3_env(s3_endpoint, on_s3)
    folders = {name: tmp_path / name for name in ("web-a", "web-b", "worker-1", "worker-2")}
    started = []
    try:
        web_a, url_a = start_web(folders["web-a"], env)
        started.append(web_a)
        web_b, url_b = start_web(folders["web-b"], env)
        started.append(web_b)
        workers = [
            start_worker({**env, "DATA_DIR": str(folders[name])})
            for name in ("worker-1", "worker-2")
        ]
        try:
            jobs = []
            for _ in range(2):  # two versions, so both workers may take one
                response = requests.post(
                    f"{url_a}/api/v1/reports/", json={"cycle": cycle.pk}, headers=auth, timeout=30
                )
                assert response.status_code == 202, response.text
                jobs.append(response.json()["id"])

            def all_done_on_b():
                states = [
                    requests.get(f"{url_b}/api/v1/reports/{job}/", headers=auth, timeout=30).json()
                    for job in jobs
                ]
                return all(state["status"] == "done" for state in states)

            wait_for(all_done_on_b, timeout=240, interval=1)
        finally:
            for worker in workers:
                stop_worker(worker)

        stored = objects(s3_endpoint, on_s3)
        for job in jobs:
            report = Report.objects.get(job_id=job)
            for kind, path in (("pdf", "pdf/"), ("json", "data.json/"), ("csv", "audits.csv/")):
                body = requests.get(
                    f"{url_b}/api/v1/reports/{job}/{path}", headers=auth, timeout=60
                ).content
                assert hashlib.sha256(body).hexdigest() == report.file_hashes[kind], (job, kind)
                assert body == stored[f"reports/{report.folder}/{reports.FILES[kind]}"]
            assert body.count(b"\n") > 10  # the CSV, whole
        assert sorted(Report.objects.filter(job_id__in=jobs).values_list("version", flat=True)) == [
            1,
            2,
        ]
        # The frame the test process drew, through either node.
        frame = [
            requests.get(f"{url}/api/v1/cycles/{cycle.pk}/frame.csv", headers=auth, timeout=60)
            for url in (url_a, url_b)
        ]
        assert frame[0].status_code == frame[1].status_code == 200
        assert frame[0].content == frame[1].content
        assert hashlib.sha256(frame[0].content).hexdigest() == cycle.frame.file_hashes["frame"]
    finally:
        for process in started:
            stop(process)
    for name, folder in folders.items():
        assert local_files(folder) == [], name
