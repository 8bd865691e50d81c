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


def test_disabling_a_user_ends_their_sessions_and_revokes_their_tokens(people):
    from django.test import Client

    raw = issue("manager_bob").json()["token"]
    browser = Client()
    assert (
        browser.post(
            "/accounts/login/", {"username": "manager_bob", "password": PASSWORD}
        ).status_code
        == 302
    )
    assert browser.get("/").status_code == 200
    bob = people["manager_bob"]
    bob.is_active = False
    bob.save()
    assert ApiToken.objects.get().revoked_at is not None
    assert with_token(raw).get("/api/v1/teams/").status_code == 401
    assert browser.get("/").status_code == 302  # back to the login page


def test_login_rotates_the_session_key(people):
    from django.test import Client

    browser = Client()
    browser.get("/accounts/login/")
    browser.cookies["sessionid"] = "attacker-chosen-session-key"
    browser.post("/accounts/login/", {"username": "manager_bob", "password": PASSWORD})
    assert browser.cookies["sessionid"].value != "attacker-chosen-session-key"


def test_passwords_need_twelve_characters_and_not_a_common_one(people):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    for weak in ("short-pw", "password1234"):
        with pytest.raises(ValidationError):
            validate_password(weak)
    validate_password("correct horse battery")  # no composition rules


def test_a_session_ends_twelve_hours_after_login_however_active(people, settings):
    import time

    from django.test import Client

    from audits.infra.middleware import SESSION_STARTED_KEY

    browser = Client()
    browser.post("/accounts/login/", {"username": "manager_bob", "password": PASSWORD})
    assert browser.get("/").status_code == 200
    session = browser.session
    session[SESSION_STARTED_KEY] = time.time() - settings.SESSION_ABSOLUTE_SECONDS - 1
    session.save()
    assert browser.get("/").status_code == 302
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST
