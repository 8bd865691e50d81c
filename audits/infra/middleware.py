"""Session limits and cache headers that DESIGN.md §10 asks for, the request size limit,
and the client's address behind trusted proxies."""

import ipaddress
import time
from functools import cache

from django.conf import settings
from django.contrib.auth import logout
from django.http import JsonResponse
from django.urls import reverse

SESSION_STARTED_KEY = "caseassure_started_at"
NO_STORE_PREFIXES = ("/api/", "/cases/", "/audits/", "/reports/", "/cycles/", "/files/")


class SessionLimitsMiddleware:
    """End a session 12 hours after login however active it is (the idle limit is the cookie
    age, renewed on every request)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            started = request.session.get(SESSION_STARTED_KEY)
            now = time.time()
            if started is None:
                request.session[SESSION_STARTED_KEY] = now
            elif now - started > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
        return self.get_response(request)


class NoStoreMiddleware:
    """Case, audit and report responses must not be kept by browsers or proxies; anything
    served to a signed-in user may show case facts, so it is not kept either."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if signed_in or request.path.startswith(NO_STORE_PREFIXES):
            response["Cache-Control"] = "no-store"
        return response


@cache
def _import_path() -> str:
    return reverse("api:case-import-register").rstrip("/")


class RequestSizeLimitMiddleware:
    """Refuse a body larger than its limit from the Content-Length header, before Django
    reads it (or spools an upload to disk): the register import may send IMPORT_MAX_BYTES,
    anything else REQUEST_MAX_BYTES. A body without a length is limited by the proxy and,
    for uploads, by the import's own check of the file size."""

    # Room for the multipart envelope around the file.
    ENVELOPE = 64 * 1024

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return JsonResponse({"detail": "The Content-Length is not a number."}, status=400)
        if request.path.rstrip("/") == _import_path():
            limit, allowed = settings.IMPORT_MAX_BYTES + self.ENVELOPE, settings.IMPORT_MAX_BYTES
        elif request.path.rstrip("/").endswith("/evidence"):  # evidence uploads
            allowed = settings.EVIDENCE_MAX_BYTES
            limit = allowed + self.ENVELOPE
        else:
            limit = allowed = settings.REQUEST_MAX_BYTES
        if declared > limit:
            return JsonResponse(
                {"detail": f"The request is too large: at most {allowed} bytes."}, status=413
            )
        return self.get_response(request)


def client_ip(request) -> str | None:
    """The client's address for the login lockout (django-axes): with TRUSTED_PROXY_COUNT
    proxies in front, the address the outermost one appended to X-Forwarded-For (each proxy
    appends the address it was connected from, so the entries a client wrote come first and
    are skipped); otherwise REMOTE_ADDR."""
    remote = request.META.get("REMOTE_ADDR")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    chain = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    chain = [part for part in chain if part]
    if len(chain) < count:
        return remote  # not through every proxy: a request from inside, or misconfigured
    candidate = chain[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
