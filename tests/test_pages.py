"""The service answers: health, home, login, API schema and docs."""

import pytest
from django.test import Client


def test_health_reports_database_and_broker(db):
    response = Client().get("/health/")
    assert response.status_code == 200
    assert response.json() == {
        "database": "ok",
        "broker": "ok",
        "status": "ok",
        "worker": "never",
        "worker_last_seen_seconds": None,
    }


def test_health_is_503_when_the_broker_is_unreachable(db, settings):
    # Port 9 on loopback: nothing listens there.
    settings.REDIS_URL = "redis://127.0.0.1:9/0"
    response = Client().get("/health/")
    assert response.status_code == 503
    assert response.json()["broker"] == "down"


def test_home_needs_a_login(db):
    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    "name", ["auditor_alice", "manager_bob", "internal_ian", "admin_ada", "outsider_eve"]
)
def test_each_role_gets_a_home_page(people, name):
    client = Client()
    client.force_login(people[name])
    response = client.get("/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


def test_login_with_a_password(people):
    client = Client()
    response = client.post(
        "/accounts/login/", {"username": "manager_bob", "password": "not-a-common-passphrase-1"}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_the_openapi_schema_and_docs_are_served(db):
    client = Client()
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/cases/import/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert "unsafe-inline" not in docs.get("Content-Security-Policy", "")
