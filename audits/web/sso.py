"""Signing in: with the organisation's identity provider (OpenID Connect through
mozilla-django-oidc: authorisation code flow with PKCE, endpoints from the issuer's
discovery document), or with a local password unless LOCAL_PASSWORDS is off, when only the
break-glass administrator (a superuser) may use one. Signing out of an SSO session ends it
at the provider too (RP-initiated logout)."""

import logging
import time
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from audits.core.sso import GroupsOverage
from audits.services.sso import sso_sign_in

log = logging.getLogger("caseassure.sso")
DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
    "OIDC_OP_LOGOUT_ENDPOINT": "end_session_endpoint",
}
DISCOVERY_SECONDS = 3600  # the provider's endpoints are read again after an hour
_discovered: dict[str, tuple[float, dict]] = {}
FAILED = "Signing in with {organisation} did not work. Try again, or ask an administrator."
UNAVAILABLE = (
    "Signing in with {organisation} is not available at the moment. Try again in a few "
    "minutes, or ask an administrator."
)


def sso_enabled() -> bool:
    return bool(settings.OIDC_ISSUER and settings.OIDC_RP_CLIENT_ID)


def discovery() -> dict:
    """The issuer's discovery document, kept for an hour. Its issuer must be ours."""
    url = settings.OIDC_DISCOVERY_URL
    kept = _discovered.get(url)
    if kept and time.monotonic() - kept[0] < DISCOVERY_SECONDS:
        return kept[1]
    response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
    response.raise_for_status()
    document = response.json()
    if str(document.get("issuer", "")).rstrip("/") != settings.OIDC_ISSUER:
        raise ImproperlyConfigured(f"{url} names another issuer: {document.get('issuer')!r}")
    _discovered[url] = (time.monotonic(), document)
    return document


def provider_setting(attr, *args):
    """mozilla-django-oidc's settings, with the endpoints read from discovery unless set."""
    if attr in DISCOVERED and not getattr(settings, attr, None):
        value = discovery().get(DISCOVERED[attr])
        if value:
            return value
    return import_from_settings(attr, *args)


def local_password_allowed(user) -> bool:
    return settings.LOCAL_PASSWORDS or user.is_superuser


class LocalPasswordBackend(ModelBackend):
    """Django's username and password, refused to all but superusers when LOCAL_PASSWORDS
    is off; their password sessions end then too."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        return user if user is not None and local_password_allowed(user) else None

    def get_user(self, user_id):
        user = super().get_user(user_id)
        return user if user is not None and local_password_allowed(user) else None


class SingleSignOnBackend(OIDCAuthenticationBackend):
    """The OpenID Connect sign-in. Configured when used (not when Django loads it, which
    it does for every password sign-in and every request of an SSO session); the login is
    found by the provider's subject and its roles set by ``services.sso``."""

    get_settings = staticmethod(provider_setting)

    def __init__(self, *args, **kwargs):
        from django.contrib.auth import get_user_model

        self.UserModel = get_user_model()

    def _configure(self) -> None:
        super().__init__()

    def authenticate(self, request, **kwargs):
        if request is None or "code" not in request.GET or not sso_enabled():
            return None
        if "code_verifier" not in kwargs:
            return None  # only the callback view asks, and always with PKCE
        self._configure()
        return super().authenticate(request, **kwargs)

    def verify_token(self, token, **kwargs):
        payload = super().verify_token(token, **kwargs)
        if "nonce" in kwargs:  # the ID token: ours, from our issuer
            audience = payload.get("aud")
            audiences = audience if isinstance(audience, list) else [audience]
            if self.OIDC_RP_CLIENT_ID not in audiences:
                raise SuspiciousOperation("ID token for another client")
            if str(payload.get("iss", "")).rstrip("/") != settings.OIDC_ISSUER:
                raise SuspiciousOperation("ID token from another issuer")
            if "exp" not in payload:
                raise SuspiciousOperation("ID token with no expiry")
        return payload

    def get_or_create_user(self, access_token, id_token, payload):
        userinfo = self.get_userinfo(access_token, id_token, payload)
        if userinfo.get("sub") not in (None, payload.get("sub")):
            raise SuspiciousOperation("userinfo is about someone else")
        # Entra ID puts the groups in the ID token, other providers in userinfo: both count,
        # the signed ID token winning where both say something.
        claims = {**userinfo, **payload}
        try:
            return sso_sign_in(
                issuer=settings.OIDC_ISSUER, claims=claims, group_claim=settings.OIDC_GROUPS_CLAIM
            )
        except (GroupsOverage, ValueError) as refused:
            messages.error(self.request, str(refused))
            log.warning("sso sign-in refused: %s", refused)
            return None


class SignInStart(OIDCAuthenticationRequestView):
    """Off to the provider's sign-in page (state, nonce and the PKCE challenge kept in the
    session)."""

    get_settings = staticmethod(provider_setting)

    def __init__(self, *args, **kwargs):
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)

    def get(self, request):
        if not sso_enabled():
            raise Http404("No such page.")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = self.get_settings("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except (requests.RequestException, ValueError, ImproperlyConfigured) as failure:
            log.warning("sso provider unavailable: %s", failure)
            messages.error(request, UNAVAILABLE.format(organisation=settings.OIDC_ORGANISATION))
            return redirect("login")
        self.OIDC_RP_CLIENT_ID = self.get_settings("OIDC_RP_CLIENT_ID")
        return super().get(request)


class SignInReturn(OIDCAuthenticationCallbackView):
    """Back from the provider: the code exchanged (with the PKCE verifier), the login
    signed in; a refusal goes back to the sign-in page with words."""

    get_settings = staticmethod(provider_setting)

    def get(self, request):
        if not sso_enabled():
            raise Http404("No such page.")
        try:
            return super().get(request)
        except (
            requests.RequestException,
            SuspiciousOperation,
            ImproperlyConfigured,
            ValueError,
        ) as failure:
            log.warning("sso sign-in failed: %s", failure)
            return self.login_failure()

    def login_failure(self):
        stored = messages.get_messages(self.request)
        if not any(message.level == messages.ERROR for message in stored):
            messages.error(self.request, FAILED.format(organisation=settings.OIDC_ORGANISATION))
        stored.used = False
        return redirect("login")


class SignInPage(auth_views.LoginView):
    """The sign-in page: "Sign in with <organisation>" when single sign-on is set up, and
    the password form (only for the break-glass administrator when passwords are off)."""

    template_name = "audits/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "sso": sso_enabled(),
            "organisation": settings.OIDC_ORGANISATION,
            "local_passwords": settings.LOCAL_PASSWORDS,
        }


def provider_sign_out_url(request) -> str | None:
    """Where to send someone signing out of an SSO session: the provider's end-session
    endpoint, which sends them back to our sign-in page. None for a password session or a
    provider with no such endpoint."""
    id_token = request.session.get("oidc_id_token")
    if not id_token or not sso_enabled():
        return None
    try:
        endpoint = provider_setting("OIDC_OP_LOGOUT_ENDPOINT", None)
    except (requests.RequestException, ImproperlyConfigured) as failure:
        log.warning("no sign-out at the provider: %s", failure)
        return None
    if not endpoint:
        return None
    query = urlencode(
        {
            "id_token_hint": id_token,
            "client_id": settings.OIDC_RP_CLIENT_ID,
            "post_logout_redirect_uri": request.build_absolute_uri(reverse("login")),
        }
    )
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"
