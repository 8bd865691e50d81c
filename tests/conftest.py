"""Shared fixtures: named people in roles, API clients, and the "required service" switch.

CASEASSURE_REQUIRE_SERVICES=1 (set by CI) turns every "service not available, skipped" into
a failure, so a green CI run proves PostgreSQL, Redis, the worker and the browser were used.
"""

import logging
import os
import re
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient

from audits.infra import data_mark
from audits.models import Assignment, Audit, Case, Cycle, SampledCase, Staff, Team, Template
from audits.selectors import published_forms

REQUIRE_SERVICES = os.environ.get("CASEASSURE_REQUIRE_SERVICES") == "1"


def service_missing(reason: str):
    """Skip locally, fail in CI. The one way a test steps aside for a missing service: never
    call pytest.skip for one directly (CI would count the skip as a pass)."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _postgresql_for_the_postgres_mark(request):
    """A test marked ``postgres`` needs PostgreSQL: on another database it is a missing
    service (skipped locally, a failure in CI)."""
    if request.node.get_closest_marker("postgres") is None:
        return
    from django.db import connection

    if connection.vendor != "postgresql":
        service_missing("PostgreSQL is not configured (DATABASE_URL)")


# --- Two database roles (CI: DATABASE_OWNER_URL set) -----------------------------------------
# The test database is created, migrated and dropped as the owner role, and every test then
# runs as the runtime role, as the web and worker processes do in production; flushes after
# transactional tests go through the `flush` command, which switches to the owner.
@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    from django.conf import settings

    from backend import db_roles

    if settings.DATABASE_OWNER:
        _runtime_credentials.update(db_roles.switch_credentials("default", settings.DATABASE_OWNER))


_runtime_credentials: dict = {}


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    from backend import db_roles

    if not _runtime_credentials:
        yield
        return
    owner = db_roles.switch_credentials("default", _runtime_credentials)
    yield
    db_roles.switch_credentials("default", owner)  # to drop the test database


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The real hasher is slow by design; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _forget_cached_forms():
    # Each test builds its own database, and ids are reused (SQLite): a form kept in this
    # process by one test must not be taken for another test's form with the same id.
    published_forms.clear()


@pytest.fixture(autouse=True)
def _forget_kept_figures():
    # Every test's database starts with the data mark the migration wrote, and ids are
    # reused (SQLite): figures kept under the mark for one test's cycle must not be served
    # for another test's cycle with the same id (selectors/live_figures.py).
    cache.clear()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``with committed():`` commits what came before and then the block, as far as the
    after-commit callbacks go (the test's own transaction never commits): the data mark's
    pending move runs first (infra/data_mark.py), then the block's callbacks at its end."""

    @contextmanager
    def block():
        for _savepoints, callback, _robust in connection.run_on_commit:
            if isinstance(callback, data_mark._Mover) and not callback.ran:
                callback()
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            yield callbacks

    return block


@pytest.fixture
def teams(db):
    return {
        name: Team.objects.create(name=name, service_area=area)
        for name, area in [
            ("Child Protection One", "cp"),
            ("Children Looked After", "cla"),
            ("Quality Assurance", "quality_assurance"),
        ]
    }


@pytest.fixture
def make_person(db):
    def make(username, *roles, team=None, managed=(), capacity=0, staff_ref=None):
        user = User.objects.create_user(username=username, password="not-a-common-passphrase-1")
        user.groups.set([Group.objects.get_or_create(name=role)[0] for role in roles])
        staff = Staff.objects.create(
            user=user,
            staff_ref=staff_ref or username.upper().replace(".", "-")[:60],
            name=username.replace("_", " ").title(),
            email=f"{username}@council.example",
            team=team,
            capacity=capacity,
        )
        staff.managed_teams.set(managed)
        return user

    return make


@pytest.fixture
def people(teams, make_person):
    cp, cla, qa = (
        teams["Child Protection One"],
        teams["Children Looked After"],
        teams["Quality Assurance"],
    )
    return {
        "auditor_alice": make_person("auditor_alice", "auditor", team=qa, capacity=10),
        "manager_bob": make_person("manager_bob", "manager", team=cp, managed=[cp]),
        "qa_lead_quinn": make_person("qa_lead_quinn", "manager", team=qa, managed=[cp, cla]),
        "internal_ian": make_person("internal_ian", "internal_auditor"),
        "admin_ada": make_person("admin_ada", "admin"),
        "outsider_eve": make_person("outsider_eve"),
    }


@pytest.fixture
def client_for():
    def make(user):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


def _database_url_for_subprocess() -> str:
    from django.db import connection

    config = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{config['NAME']}"
    user = config.get("USER") or ""
    password = f":{config['PASSWORD']}" if config.get("PASSWORD") else ""
    host = config.get("HOST") or "localhost"
    port = f":{config['PORT']}" if config.get("PORT") else ""
    return f"postgres://{user}{password}@{host}{port}/{config['NAME']}"


@pytest.fixture
def worker_env():
    """Extra environment for the live worker; a test may add to it before starting one."""
    return {}


def start_worker(extra_env: dict | None = None) -> subprocess.Popen:
    """Start a real Celery worker process on the configured broker (Redis in CI, the
    filesystem transport otherwise), reading and writing the test database."""
    from django.conf import settings

    env = {**os.environ, "DATABASE_URL": _database_url_for_subprocess(), **(extra_env or {})}
    env.pop("DATABASE_OWNER_URL", None)  # as in production: the worker has the runtime role only
    if not settings.REDIS_URL:
        # Start from an empty queue so messages left by an earlier test are not replayed.
        for folder in ("queue", "processed"):
            shutil.rmtree(Path(settings.BROKER_DIR) / folder, ignore_errors=True)
            (Path(settings.BROKER_DIR) / folder).mkdir(parents=True, exist_ok=True)
    log = Path(settings.DATA_DIR) / "test-worker.log"
    with log.open("ab") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "backend",
                "worker",
                "--pool=prefork",
                "--concurrency=1",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    time.sleep(0.5)
    if process.poll() is not None:
        pytest.fail(f"the worker did not start:\n{log.read_text()}")
    return process


def stop_worker(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def live_worker(transactional_db, worker_env):
    process = start_worker(worker_env)
    yield process
    stop_worker(process)


def wait_for(predicate, *, timeout: float = 60.0, interval: float = 0.25):
    """Poll until predicate() is truthy; return its value or fail after timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout}s waiting for {predicate.__name__}")


# --- No case refs in log output ------------------------------------------------------------
# Every log record of the whole run (and the live worker's log) is scanned at the end for
# anything shaped like a case reference of the demo council or the tests (C + 6 digits).
CASE_REF_IN_TEXT = re.compile(r"\bC\d{6}\b")


class _LogCollector(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record):
        try:
            self.lines.append(f"{record.name}: {record.getMessage()}")
        except Exception:
            self.lines.append(f"{record.name}: {record.msg!r}")


_collector = _LogCollector()


def pytest_configure(config):
    logging.getLogger().addHandler(_collector)
    data_dir = os.environ.get("DATA_DIR")
    if data_dir:
        (Path(data_dir) / "test-worker.log").unlink(missing_ok=True)


def pytest_sessionfinish(session, exitstatus):
    from django.conf import settings

    lines = list(_collector.lines)
    worker_log = Path(settings.DATA_DIR) / "test-worker.log"
    if worker_log.exists():
        lines += worker_log.read_text(errors="replace").splitlines()
    leaks = [line for line in lines if CASE_REF_IN_TEXT.search(line)]
    if leaks:
        print("\nCase references found in log output:\n" + "\n".join(leaks[:20]))
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def work(people, teams, make_person):
    """A case sampled once and audited twice (Alice first, Carol second), neither started."""
    cp = teams["Child Protection One"]
    worker = Staff.objects.create(staff_ref="SW1", name="Sam Worker", team=cp)
    case = Case.objects.create(
        case_ref="C700001", team=cp, case_type="cp", opened_on=date(2025, 1, 1), worker=worker
    )
    template = Template.objects.get(status="published")
    cycle = Cycle.objects.create(
        name="Q3",
        period_start=date(2025, 7, 1),
        period_end=date(2025, 9, 30),
        template=template,
        moderation_share=0,
    )
    sampled = SampledCase.objects.create(
        cycle=cycle, case=case, stratum="all", rank=1, selection_key="a" * 64
    )
    carol = make_person("auditor_carol", "auditor", team=teams["Quality Assurance"], capacity=5)

    def audit_for(user, role):
        assignment = Assignment.objects.create(
            sampled_case=sampled, auditor=Staff.objects.get(user=user), role=role
        )
        return Audit.objects.create(assignment=assignment, template=template)

    return {
        "case": case,
        "cycle": cycle,
        "sampled": sampled,
        "first": audit_for(people["auditor_alice"], "primary"),
        "second": audit_for(carol, "second"),
        "carol": carol,
    }


# --- Named storages (settings.STORAGES) ------------------------------------------------------
# Where each storage keeps its files under DATA_DIR (backend/settings.py): a test points them
# all at a folder of its own with use_local_files(settings, tmp_path).
LOCAL_STORAGE_FOLDERS = {
    "frames": "files/frames",
    "reports": "files",
    "imports": "imports",
    "evidence": "evidence",
    "packs": "packs",
}


def use_local_files(settings, data_dir) -> None:
    """Every named storage on the file system under ``data_dir``, laid out as under
    DATA_DIR, for this test only (the ``settings`` fixture restores them)."""
    settings.STORAGES = {
        **settings.STORAGES,
        **{
            name: {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(Path(data_dir) / folder), "base_url": None},
            }
            for name, folder in LOCAL_STORAGE_FOLDERS.items()
        },
    }


def stored_path(storage: str, name: str) -> Path:
    """A file's path in a storage on the local file system (tests that tamper with it)."""
    from django.core.files.storage import storages

    return Path(storages[storage].path(name))
