"""gunicorn.conf.py sizes the web server from the cores unless told otherwise, and the web
processes share a psycopg pool (Django's OPTIONS["pool"]) sized to their threads."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CLEAN = {
    k: v
    for k, v in os.environ.items()
    if not k.startswith(("GUNICORN_", "DB_POOL_")) and k not in {"DEBUG", "DJANGO_ENV"}
}


def gunicorn_config(**env) -> subprocess.CompletedProcess:
    """Read gunicorn.conf.py as gunicorn does (a Python file run as a module)."""
    code = (
        "import json, os, runpy; c = runpy.run_path('gunicorn.conf.py'); "
        "print(json.dumps({k: c[k] for k in ('workers', 'threads', 'worker_class', 'timeout', "
        "'bind')} | {'pool': os.environ['DB_POOL_MAX_SIZE']}))"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**CLEAN, **env},
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


def test_workers_and_threads_follow_the_cores_by_default():
    result = gunicorn_config()
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)
    assert config["workers"] == 2 * len(os.sched_getaffinity(0)) + 1
    assert config["threads"] == 2
    assert config["worker_class"] == "gthread"
    assert config["pool"] == "2"  # one connection per thread
    assert (config["timeout"], config["bind"]) == (60, "0.0.0.0:8000")


def test_the_environment_sets_workers_threads_and_pool():
    result = gunicorn_config(GUNICORN_WORKERS="3", GUNICORN_THREADS="1", DB_POOL_MAX_SIZE="5")
    config = json.loads(result.stdout)
    assert (config["workers"], config["threads"], config["worker_class"]) == (3, 1, "sync")
    assert config["pool"] == "5"


@pytest.mark.parametrize("value", ["many", "0"])
def test_a_bad_worker_count_stops_gunicorn_with_a_clear_message(value):
    result = gunicorn_config(GUNICORN_WORKERS=value)
    assert result.returncode != 0
    assert "GUNICORN_WORKERS must be" in result.stderr


def database_settings(**env) -> dict:
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "d = settings.DATABASES['default']; "
        "print(json.dumps({'age': d['CONN_MAX_AGE'], 'pool': d.get('OPTIONS', {}).get('pool')}))"
    )
    base = {
        **CLEAN,
        "DJANGO_SETTINGS_MODULE": "backend.settings",
        "DJANGO_ENV": "production",
        "SECRET_KEY": "z" * 60,
        "ALLOWED_HOSTS": "qa.example",
        "DATABASE_URL": "postgres://app@db.example/caseassure",
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**base, **env},
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_production_web_processes_pool_their_connections():
    pooled = database_settings(DB_POOL_MAX_SIZE="2")
    assert pooled == {"age": 0, "pool": {"min_size": 1, "max_size": 2, "timeout": 10}}
    # Outside gunicorn (Celery's forked workers, beat, commands): no pool.
    assert database_settings()["pool"] is None
