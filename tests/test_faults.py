"""Fault drills for report jobs with a real worker: a worker killed mid-compile, and a
broker that is down when the report is requested. Nothing is lost, nothing is doubled."""

import os
import signal
import subprocess
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from pypdf import PdfReader

from audits.models import Report, ReportJob
from audits.services import reports
from backend.celery import app
from tests.builders import finished_cycle
from tests.conftest import stored_path, wait_for

pytestmark = pytest.mark.worker


@pytest.fixture
def worker_env():
    # Hold each compile stage for two seconds so the drill can strike mid-compile.
    return {"REPORT_DRILL_PAUSE": "2"}


def job_state(job_id):
    return ReportJob.objects.values("status", "progress", "attempts").get(pk=job_id)


def test_a_worker_killed_mid_compile_redelivers_and_finishes_once(live_worker, client_for):
    cycle = finished_cycle(n=16)
    lead = User.objects.get(username="qa.lead")
    response = client_for(lead).post("/api/v1/reports/", {"cycle": cycle.pk}, format="json")
    assert response.status_code == 202
    job_id = response.json()["id"]

    def compiling():
        state = job_state(job_id)
        return state["status"] == "running" and state["progress"] >= 40

    wait_for(compiling, timeout=90)
    children = subprocess.run(
        ["pgrep", "-P", str(live_worker.pid)], capture_output=True, text=True, check=False
    ).stdout.split()
    assert children, "the worker has no pool process to kill"
    for pid in children:
        os.kill(int(pid), signal.SIGKILL)

    def done():
        return job_state(job_id)["status"] == "done"

    wait_for(done, timeout=120)
    state = job_state(job_id)
    assert state["attempts"] == 2  # the killed attempt and the redelivered one
    assert Report.objects.filter(cycle=cycle).count() == 1
    report = Report.objects.get()
    folder = stored_path("reports", report.folder)
    assert sorted(p.name for p in folder.iterdir()) == ["audits.csv", "data.json", "report.pdf"]
    assert report.report_hash in PdfReader(folder / "report.pdf").pages[0].extract_text().replace(
        "\n", ""
    )


@contextmanager
def broker_unreachable():
    """Point the app at a loopback port where no broker listens."""
    saved = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:9/0"
    app._pool = None
    app.amqp._producer_pool = None
    try:
        yield
    finally:
        app.conf.broker_url = saved
        app._pool = None
        app.amqp._producer_pool = None


def test_a_report_requested_while_the_broker_is_down_is_sent_by_the_sweep(live_worker, client_for):
    cycle = finished_cycle(n=16)
    lead = User.objects.get(username="qa.lead")
    with broker_unreachable():
        response = client_for(lead).post("/api/v1/reports/", {"cycle": cycle.pk}, format="json")
    assert response.status_code == 202
    job = ReportJob.objects.get(pk=response.json()["id"])
    assert (job.status, job.enqueued_at) == ("queued", None)
    # The sweep leaves brand-new jobs alone; this one has waited long enough.
    ReportJob.objects.filter(pk=job.pk).update(requested_at=timezone.now() - timedelta(minutes=2))
    assert reports.reports_sweep()["sent"] == 1

    def done():
        return job_state(job.pk)["status"] == "done"

    wait_for(done, timeout=120)
    assert Report.objects.filter(cycle=cycle).count() == 1
