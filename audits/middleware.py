"""Session limits and cache headers that DESIGN.md §10 asks for."""

import time

from django.conf import settings
from django.contrib.auth import logout

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
