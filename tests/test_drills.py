"""Fault drills on real services (CI): PostgreSQL restarted during a burst of autosaves,
Redis restarted while reports are queued. Nothing acknowledged is lost; every requested
report finishes exactly once. They need PG_BIN/PG_DATA and REDIS_PORT from .ci/run."""

import os
import subprocess
import threading
import time
from datetime import date, timedelta

import pytest
import requests
from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone

from audits.models import (
    ApiToken,
    Assignment,
    Audit,
    Case,
    Cycle,
    Event,
    Report,
    ReportJob,
    SampledCase,
    Staff,
)
from audits.services import reports
from audits.services.templates import default_template_install
from tests.builders import finished_cycle
from tests.conftest import service_missing, start_worker, stop_worker, wait_for

pytestmark = pytest.mark.worker


def needs(*names):
    missing = [name for name in names if not os.environ.get(name)]
    if missing:
        service_missing(f"fault drill needs {', '.join(missing)} (set by .ci/run)")


@pytest.fixture
def audit_and_token(transactional_db, teams, make_person):
    cp = teams["Child Protection One"]
    auditor = make_person("auditor_alice", "auditor", team=teams["Quality Assurance"], capacity=5)
    case = Case.objects.create(case_ref="C1", team=cp, case_type="cp", opened_on=date(2025, 1, 1))
    cycle = Cycle.objects.create(
        name="Q", period_start=date(2025, 7, 1), period_end=date(2025, 9, 30)
    )
    sampled = SampledCase.objects.create(
        cycle=cycle, case=case, stratum="all", rank=1, selection_key="a"
    )
    assignment = Assignment.objects.create(
        sampled_case=sampled, auditor=Staff.objects.get(user=auditor)
    )
    audit = Audit.objects.create(assignment=assignment, template=default_template_install())
    return audit, ApiToken.issue(user=auditor, name="drill")[1]


def test_postgresql_restarts_during_a_burst_of_autosaves(live_server, audit_and_token):
    needs("PG_BIN", "PG_DATA")
    audit, token = audit_and_token
    url = f"{live_server.url}/api/v1/audits/{audit.pk}/"
    session = requests.Session()
    session.headers["Authorization"] = f"Token {token}"
    acknowledged: list[tuple[int, int]] = []  # (version after the save, grade saved)
    failures = []
    stop = threading.Event()

    def autosave():
        version, grade = 1, 1
        deadline = time.monotonic() + 60
        while not stop.is_set() and time.monotonic() < deadline and len(acknowledged) < 400:
            grade = grade % 4 + 1
            try:
                response = session.patch(
                    url, json={"version": version, "answers": {"plan_smart": grade}}, timeout=10
                )
            except requests.RequestException as error:
                failures.append(type(error).__name__)
                time.sleep(0.2)
                continue
            if response.status_code == 200:
                version = response.json()["version"]
                acknowledged.append((version, grade))
            elif response.status_code == 409:
                version = response.json()["current_version"]
            else:
                failures.append(response.status_code)
                assert response.status_code == 503, response.text  # never a 500
                time.sleep(0.2)
                reread = session.get(url, timeout=10)
                if reread.status_code == 200:
                    version = reread.json()["version"]

    burst = threading.Thread(target=autosave)
    burst.start()
    time.sleep(2)
    subprocess.run(
        [
            "runuser",
            "-u",
            "postgres",
            "--",
            f"{os.environ['PG_BIN']}/pg_ctl",
            "-D",
            os.environ["PG_DATA"],
            "-m",
            "fast",
            "-w",
            "restart",
        ],
        # The restarted server inherits our output streams: hand it /dev/null, not a pipe
        # that would never close.
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(3)
    stop.set()
    burst.join()
    connection.close()  # the test's own connection died with the server
    saved = {
        event.after["version"]: event.after["grades"].get("plan_smart")
        for event in Event.objects.filter(verb="audit.saved", object_id=str(audit.pk))
    }
    assert acknowledged, "no save was acknowledged"
    assert failures, "the restart went unnoticed: the drill did not test anything"
    for version, grade in acknowledged:
        assert saved.get(version) == grade, f"acknowledged save {version} is missing"
    audit.refresh_from_db()
    assert audit.version >= acknowledged[-1][0]


def test_redis_restarts_while_reports_are_queued(transactional_db, client_for):
    needs("REDIS_PORT")
    port = os.environ["REDIS_PORT"]
    cycle = finished_cycle(n=16)
    lead = User.objects.get(username="qa.lead")
    client = client_for(lead)
    jobs = [
        client.post("/api/v1/reports/", {"cycle": cycle.pk}, format="json").json()["id"]
        for _ in range(3)
    ]
    # The messages are in Redis, which keeps nothing on disk here: a restart loses them.
    subprocess.run(
        ["redis-cli", "-p", port, "shutdown", "nosave"], check=False, capture_output=True
    )
    subprocess.run(
        [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            port,
            "--daemonize",
            "yes",
            "--save",
            "",
            "--appendonly",
            "no",
            "--maxmemory-policy",
            "noeviction",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for(
        lambda: (
            subprocess.run(["redis-cli", "-p", port, "ping"], capture_output=True).returncode == 0
        )
    )
    worker = start_worker()
    try:
        an_hour_ago = timezone.now() - timedelta(hours=1)
        ReportJob.objects.filter(pk__in=jobs).update(
            enqueued_at=an_hour_ago, requested_at=an_hour_ago
        )
        assert reports.reports_sweep()["sent"] == 3

        def all_done():
            return ReportJob.objects.filter(pk__in=jobs, status="done").count() == 3

        wait_for(all_done, timeout=180)
    finally:
        stop_worker(worker)
    assert Report.objects.filter(job_id__in=jobs).count() == 3
    assert sorted(Report.objects.values_list("version", flat=True)) == [1, 2, 3]
