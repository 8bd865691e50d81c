"""Who read which case data: one AccessLog row for every request that showed some.

The routes that show case data are named here, in one table, rather than in each view: a
list, a page, a download or an administration page is logged the same way by
``AccessLogMiddleware``. A row records the person, what kind of record was read, its id
(a detail route) or the ids on the page and the filter used (a list), and how it was read.
Nothing is logged for a request refused or answered with an error, or for a change (its
Event records it).

tests/test_every_read_is_logged.py walks every route and fails for one missing here.
"""

import re

from audits.models import AccessLog

# route name -> (kind of record, how it is read)
READS = {
    "api:case-list": ("case", "list"),
    "api:case-detail": ("case", "read"),
    "api:audit-list": ("audit", "list"),
    "api:audit-detail": ("audit", "read"),
    "api:audit-history": ("audit", "read"),
    "api:audit-comparison": ("audit", "read"),
    "api:reconciliation-list": ("reconciliation", "list"),
    "api:reconciliation-detail": ("reconciliation", "read"),
    "api:conflict-list": ("conflict", "list"),
    "api:conflict-detail": ("conflict", "read"),
    "api:cycle-sample-list": ("cycle", "sample"),
    "api:cycle-assignments": ("cycle", "sample"),
    "api:cycle-verification": ("cycle", "sample"),
    "api:cycle-frame-csv": ("cycle", "export"),
    "api:cycle-sample-csv": ("cycle", "export"),
    "api:escalation-list": ("escalation", "list"),
    "api:escalation-detail": ("escalation", "read"),
    "api:action-list": ("action", "list"),
    "api:action-detail": ("action", "read"),
    "api:evidence-detail": ("evidence", "read"),
    "api:evidence-download": ("evidence", "export"),
    "api:report-detail": ("reportjob", "read"),
    "api:report-pdf": ("reportjob", "export"),
    "api:report-data-json": ("reportjob", "export"),
    "api:report-audits-csv": ("reportjob", "export"),
    "api:pack-download": ("packjob", "export"),
    "web:my-audits": ("audit", "list"),
    "web:audit": ("audit", "read"),
    "web:raise-concern": ("audit", "read"),
    "web:check-answers": ("audit", "read"),
    "web:audit-evidence": ("audit", "read"),
    "web:action-evidence": ("action", "read"),
    "web:evidence-download": ("evidence", "export"),
    "web:cycle": ("cycle", "read"),
    "web:cycle-sample": ("cycle", "sample"),
    "web:cycle-assignment": ("cycle", "read"),
    "web:moderation": ("audit", "list"),
    "web:moderate": ("audit", "read"),
    "web:reconcile": ("reconciliation", "read"),
    "web:actions": ("action", "list"),
    "web:action-new": ("audit", "list"),
    "web:escalations": ("escalation", "list"),
    "web:dashboard": ("cycle", "figures"),
    "web:assurance-report": ("report", "read"),
    "web:sampling-record": ("cycle", "sample"),
    "web:recheck": ("cycle", "sample"),
    "api:finding-list": ("audit", "list"),
    "api:finding-detail": ("audit", "read"),
    "api:practitioner-response-list": ("practitionerresponse", "list"),
    "api:practitioner-response-detail": ("practitionerresponse", "read"),
    "web:my-findings": ("audit", "list"),
    "web:finding": ("audit", "read"),
    "web:responses": ("practitionerresponse", "list"),
    "web:my-actions": ("action", "list"),
    "web:action": ("action", "read"),
    # External reviewers (web/external.py): the row names the grant they read through.
    "web:external-review": ("externalaccess", "sample"),
    # The grants (a review's grant names its drawn cases).
    "api:external-access-list": ("externalaccess", "list"),
    "api:external-access-detail": ("externalaccess", "read"),
    "web:external-audit": ("audit", "read"),
}
# Administration pages of these models show case data (Event before/after values hold
# grades and concern text; an AccessLog row says who read which case).
ADMIN_MODELS_READ = ("case", "allocation", "conflict", "event", "accesslog")
ADMIN_PAGE = re.compile(
    rf"admin:audits_({'|'.join(ADMIN_MODELS_READ)})_(changelist|change|history|delete)"
)
ID_ARGUMENTS = (
    "pk",
    "audit_id",
    "action_id",
    "cycle_id",
    "job_id",
    "report_id",
    "object_id",
    "reconciliation_id",
    "access_id",
)
SAFE = ("GET", "HEAD")
RENDERED_ON_POST = (200, 400, 409)  # a form shown again, with the record, after a POST
MAX_FILTER_TEXT = 200


def read_by(view_name: str) -> tuple[str, str] | None:
    """(kind of record, how) when the route shows case data, else None."""
    found = READS.get(view_name)
    if found is None and view_name.startswith("admin:"):
        match = ADMIN_PAGE.fullmatch(view_name)
        if match:
            found = (match[1], "list" if match[2] == "changelist" else "read")
    return found


def note_ids(request, ids) -> None:
    """Remember the ids a list showed, for the request's AccessLog row."""
    request = getattr(request, "_request", request)  # DRF's request wraps Django's
    request.caseassure_ids_read = [str(pk) for pk in ids]


def note_external_access(request, access_id: int) -> None:
    """Remember the external access a read went through, for its AccessLog row: the report
    counts an outsider's reads per grant from it."""
    request = getattr(request, "_request", request)
    request.caseassure_external_access = access_id


def _shown(request, response, view_name: str) -> bool:
    if request.method in SAFE:
        return 200 <= response.status_code < 300
    return not view_name.startswith("api:") and response.status_code in RENDERED_ON_POST


def _plain_text(text: str) -> str:
    # A filter is stored as typed, short, and without NUL (which PostgreSQL's JSON refuses:
    # a query string with %00 must not turn a served list into an error).
    return text[:MAX_FILTER_TEXT].replace("\x00", "\ufffd")


def access_record_request(request, match, object_type: str, how: str) -> AccessLog:
    object_id = next((match.kwargs[k] for k in ID_ARGUMENTS if k in match.kwargs), "")
    detail = {}
    ids = getattr(request, "caseassure_ids_read", None)
    if ids is not None:
        detail["ids"] = ids
    external = getattr(request, "caseassure_external_access", None)
    if external is not None:
        detail["external_access"] = external
    if request.GET:
        detail["filter"] = {
            _plain_text(key): [_plain_text(value) for value in request.GET.getlist(key)]
            for key in sorted(request.GET)
        }
    return AccessLog.objects.create(
        user=request.user,
        object_type=object_type,
        object_id=str(object_id)[:64],
        action=how,
        detail=detail or None,
    )


class AccessLogMiddleware:
    """After the view: one AccessLog row when the route shows case data and the response
    showed it to a signed-in person. If the row cannot be written, the response is not
    served (the error propagates)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if match is None:
            return response
        read = read_by(match.view_name)
        user = getattr(request, "user", None)
        if read is None or user is None or not user.is_authenticated:
            return response
        if _shown(request, response, match.view_name):
            access_record_request(request, match, *read)
        return response
