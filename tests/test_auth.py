"""API tokens: shown once, stored hashed, expire, can be revoked; logins are throttled."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from audits.models import ApiToken

PASSWORD = "not-a-common-passphrase-1"


def issue(username, password=PASSWORD):
    return APIClient().post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
    )


def with_token(raw):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return client


def test_internal_audit_gets_a_token_and_uses_it(people):
    response = issue("internal_ian")
    assert response.status_code == 201
    raw = response.json()["token"]
    assert not ApiToken.objects.filter(key_hash=raw).exists()  # only the hash is stored
    assert with_token(raw).get("/api/v1/teams/").status_code == 200


def test_a_wrong_password_gets_no_token(people):
    assert issue("internal_ian", "wrong-password-123").status_code == 400
    assert not ApiToken.objects.exists()


def test_an_expired_or_revoked_token_is_refused(people):
    raw = issue("internal_ian").json()["token"]
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert with_token(raw).get("/api/v1/teams/").status_code == 401
    ApiToken.objects.update(expires_at=timezone.now() + timedelta(days=1))
    assert with_token(raw).post("/api/v1/auth/token/revoke/").status_code == 204
    assert with_token(raw).get("/api/v1/teams/").status_code == 401


def test_a_disabled_user_cannot_use_an_old_token(people):
    raw = issue("internal_ian").json()["token"]
    people["internal_ian"].is_active = False
    people["internal_ian"].save()
    assert with_token(raw).get("/api/v1/teams/").status_code == 401


@pytest.mark.django_db
def test_repeated_failures_lock_the_token_endpoint_for_that_username(people, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        issue("internal_ian", "wrong-password-123")
    # Even the right password is refused during the cool-off.
    assert issue("internal_ian").status_code in (403, 429)
    assert not ApiToken.objects.exists()
