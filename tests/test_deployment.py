"""The production stack as described: docker-compose.yml, Dockerfile and strict settings.

No Docker engine runs here, so the compose file is checked as data, and CI proves the same
processes (PostgreSQL, Redis, gunicorn-style settings, a worker) natively.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def settings_env_names() -> set[str]:
    source = (ROOT / "backend" / "settings.py").read_text()
    return set(re.findall(r'env_(?:str|bool|int|list|choice)\("([A-Z_]+)"', source))


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_names_every_service(compose):
    assert {"postgres", "redis", "web", "worker", "beat", "migrate"} <= set(compose["services"])
    for name in ("postgres", "redis", "web", "worker"):
        assert "healthcheck" in compose["services"][name], name


def test_compose_runs_redis_without_eviction(compose):
    command = compose["services"]["redis"]["command"]
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"


def test_compose_gives_every_app_service_every_setting(compose):
    names = settings_env_names()
    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DJANGO_ENV"} <= names
    migrate_only = {"DATABASE_OWNER_URL"}
    for service in ("web", "worker", "beat", "migrate"):
        environment = compose["services"][service]["environment"]
        expected = names if service == "migrate" else names - migrate_only
        assert expected <= set(environment), (service, expected - set(environment))
        assert environment["DJANGO_ENV"] == "production"


def database_user(url: str) -> str:
    return re.fullmatch(r"postgres://([^:@/]+)(?::[^@]*)?@postgres:5432/caseassure", url)[1]


def test_compose_runs_the_app_as_the_runtime_role_and_migrates_as_the_owner(compose):
    services = compose["services"]
    for service in ("web", "worker", "beat", "migrate"):
        environment = services[service]["environment"]
        assert database_user(environment["DATABASE_URL"]) == "caseassure_app", service
        if service != "migrate":
            # A process that serves requests or runs tasks never holds the owner's password.
            assert not any("OWNER" in name for name in environment), service
    owner_url = services["migrate"]["environment"]["DATABASE_OWNER_URL"]
    assert database_user(owner_url) == "caseassure_owner"
    assert services["migrate"]["command"][-3:] == ["manage.py", "migrate", "--noinput"]
    # The superuser's password stays inside the postgres container.
    for service in ("web", "worker", "beat", "migrate"):
        assert "POSTGRES_PASSWORD" not in str(services[service]["environment"]), service


def test_compose_creates_both_roles_when_postgres_first_starts(compose):
    postgres = compose["services"]["postgres"]
    mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in postgres["volumes"]}
    script = mounts["/docker-entrypoint-initdb.d/10-caseassure-roles.sh"]
    source = (ROOT / script).read_text()
    assert os.access(ROOT / script, os.X_OK)  # the image runs it rather than sourcing it
    assert 'owner="${CASEASSURE_OWNER_ROLE:-caseassure_owner}"' in source
    assert 'app="${CASEASSURE_APP_ROLE:-caseassure_app}"' in source
    for name in ("CASEASSURE_OWNER_PASSWORD", "CASEASSURE_APP_PASSWORD"):
        assert name in source
        assert name in postgres["environment"]


def test_compose_runs_gunicorn_a_worker_and_one_beat(compose):
    services = compose["services"]
    assert "gunicorn" in " ".join(services["web"]["command"])
    assert services["worker"]["command"][:4] == ["celery", "-A", "backend", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "backend", "beat"]
    assert "gunicorn" in (ROOT / "Dockerfile").read_text()


def test_compose_runs_two_web_nodes_and_several_workers_on_object_storage(compose):
    """Scale-out (issue 21): more than one web node and several workers, every file in the
    bucket, and no volume shared between app containers (a shared disk would hide a path
    that only works on one host)."""
    services = compose["services"]
    web_nodes = [
        name for name, service in services.items() if "gunicorn" in str(service.get("command"))
    ]
    assert len(web_nodes) >= 2, web_nodes
    assert len({str(services[name]["ports"]) for name in web_nodes}) == len(web_nodes)
    assert services["worker"]["deploy"]["replicas"] >= 2
    app = [*web_nodes, "worker", "beat", "migrate"]
    for name in app:
        environment = services[name]["environment"]
        assert environment["FILE_STORAGE"] == "${FILE_STORAGE:-s3}", name
        assert {"S3_BUCKET", "S3_ENDPOINT_URL", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"} <= set(
            environment
        ), name
    mounted: dict[str, list[str]] = {}
    for name in app:
        for volume in services[name].get("volumes", []):
            mounted.setdefault(volume.split(":")[0], []).append(name)
    assert {volume: users for volume, users in mounted.items() if len(users) > 1} == {}


def run_settings(**env):
    base = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DJANGO_ENV", "SECRET_KEY"}}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('configured')"],
        env={**base, "DJANGO_SETTINGS_MODULE": "backend.settings", **env},
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "maybe"}, "DEBUG must be one of"),
        ({"SESSION_IDLE_SECONDS": "half an hour"}, "SESSION_IDLE_SECONDS must be a whole number"),
        ({"DJANGO_ENV": "staging"}, "DJANGO_ENV must be one of"),
        ({"DJANGO_ENV": "production"}, "SECRET_KEY is required"),
        ({"DJANGO_ENV": "production", "SECRET_KEY": "x" * 60, "DEBUG": "1"}, "DEBUG must be off"),
        ({"FILE_STORAGE": "nfs"}, "FILE_STORAGE must be one of"),
        ({"FILE_STORAGE": "s3", "S3_BUCKET": ""}, "FILE_STORAGE=s3 needs S3_BUCKET"),
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL"),
        ({"DATABASE_URL": "", "DATABASE_OWNER_URL": "postgres://o@db/x"}, "needs PostgreSQL"),
        (
            {"DATABASE_URL": "postgres://app@db/x", "DATABASE_OWNER_URL": "postgres://app@db/x"},
            "must name another role",
        ),
    ],
)
def test_a_bad_setting_stops_start_up_with_a_clear_message(env, message):
    result = run_settings(**env)
    assert result.returncode != 0
    assert message in result.stderr


def test_good_production_settings_start():
    result = run_settings(DJANGO_ENV="production", SECRET_KEY="y" * 60, ALLOWED_HOSTS="qa.example")
    assert result.returncode == 0, result.stderr
    assert "configured" in result.stdout
