"""Who may open a page. A user without the role gets the same 404 as for a page that does
not exist, so the site never confirms what lies outside someone's job."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404

from audits.core import roles
from audits.selectors import scoping


def role_required(*allowed: str):
    """Sign-in first (a redirect to the login page); then 404 unless the user holds one of
    ``allowed``."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not roles.has_role(request.user, *allowed):
                raise Http404("No such page.")
            if request.method in ("GET", "HEAD"):
                with scoping.read_once_per_page():
                    return view(request, *args, **kwargs)
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator


ANY_ROLE = roles.ALL_ROLES
MANAGERS = (roles.MANAGER,)
AUDITORS = (roles.AUDITOR,)
REPORT_READERS = (roles.MANAGER, roles.INTERNAL_AUDITOR, roles.ADMIN)
INTERNAL_AUDIT = (roles.INTERNAL_AUDITOR, roles.ADMIN)
