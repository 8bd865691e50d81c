"""Single sign-on when the provider cannot be reached or answers wrongly: the person is sent
back to the sign-in page with words, never a server error."""

import pytest
from django.test import Client

from audits.web import sso


@pytest.fixture
def unreachable(settings):
    settings.OIDC_ISSUER = "http://127.0.0.1:9"  # nothing listens on the discard port
    settings.OIDC_DISCOVERY_URL = "http://127.0.0.1:9/.well-known/openid-configuration"
    settings.OIDC_RP_CLIENT_ID = "caseassure"
    settings.OIDC_ORGANISATION = "Test Council"
    settings.OIDC_TIMEOUT = 2
    sso._discovered.clear()
    return settings


def test_an_unreachable_provider_sends_them_back_with_words(unreachable, db):
    response = Client().get("/accounts/sso/", follow=True)
    assert response.redirect_chain[-1] == ("/accounts/login/", 302)
    assert "Signing in with Test Council is not available at the moment" in response.text


def test_a_discovery_document_naming_another_issuer_is_refused(unreachable, db, monkeypatch):
    class Answer:
        def raise_for_status(self):
            return None

        def json(self):
            return {"issuer": "https://evil.example", "authorization_endpoint": "https://e/a"}

    monkeypatch.setattr(sso.requests, "get", lambda url, timeout: Answer())
    response = Client().get("/accounts/sso/", follow=True)
    assert response.redirect_chain[-1] == ("/accounts/login/", 302)
    assert "not available at the moment" in response.text
    assert not sso._discovered


def test_signing_out_of_an_sso_session_when_the_provider_is_down_still_signs_out(
    unreachable, db, django_user_model
):
    client = Client()
    client.force_login(django_user_model.objects.create_user("sso.person"))
    session = client.session
    session["oidc_id_token"] = "a.b.c"
    session.save()
    response = client.post("/accounts/logout/")
    assert response.url == "/accounts/login/"
    assert client.get("/").status_code == 302


def test_a_disabled_login_is_refused_and_keeps_its_roles(db):
    from audits.core.roles import roles_of
    from audits.models import Event, GroupMapping
    from audits.services.sso import Disabled, sso_sign_in

    GroupMapping.objects.create(group="aud", role="auditor")
    user = sso_sign_in(issuer="https://idp.example", claims={"sub": "x", "groups": ["aud"]})
    user.is_active = False
    user.save()
    events = Event.objects.count()
    with pytest.raises(Disabled):
        sso_sign_in(issuer="https://idp.example", claims={"sub": "x", "groups": []})
    user.refresh_from_db()
    user.is_active = True  # roles_of reads none for an inactive login
    assert roles_of(user) == {"auditor"}
    assert Event.objects.count() == events
