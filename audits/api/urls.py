from django.urls import include, path, re_path
from rest_framework import routers
from rest_framework.routers import DefaultRouter

from audits.api import (
    actions,
    auth,
    cases,
    cycles,
    evidence,
    external_access,
    findings,
    grading,
    import_jobs,
    notifications,
    packs,
    programme,
    reconciliations,
    register,
    reports,
    samples,
    summaries,
    templates,
)
from audits.api.base import StrictQuery


class StrictRootView(StrictQuery, routers.APIRootView):
    pass


class Router(DefaultRouter):
    """Trailing slash optional: DESIGN names files such as ``frame.csv`` without one.

    Requests match with or without the slash, but every link we make (reverse(), {% url %},
    the report file links in responses) ends with it, as the OpenAPI schema documents: after
    the routes, each gets a twin that requires the slash, under the same name. Django's
    reverse() takes the last pattern of a name; resolving never reaches a twin, since the
    route before it matches the same paths, and the schema keeps one path per route.
    """

    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"

    def get_urls(self):
        urls = super().get_urls()
        twins = [
            re_path(
                url.pattern.regex.pattern.removesuffix("/?$") + "/$", url.callback, name=url.name
            )
            for url in urls
            if url.name
            and url.pattern.regex.pattern.endswith("/?$")
            and "format" not in url.pattern.regex.pattern
        ]
        return urls + twins


router = Router()
router.APIRootView = StrictRootView
# Audits first: an auditor's form autosaves every few seconds, and URLs are tried in order.
router.register("audits", grading.AuditViewSet, basename="audit")
router.register("teams", register.TeamViewSet, basename="team")
router.register("staff", register.StaffViewSet, basename="staff")
router.register("conflicts", register.ConflictViewSet, basename="conflict")
router.register("cases", cases.CaseViewSet, basename="case")
router.register("import-jobs", import_jobs.ImportJobViewSet, basename="import-job")
router.register("cycles", cycles.CycleViewSet, basename="cycle")
router.register("sampled-cases", samples.SampledCaseViewSet, basename="sampled-case")
router.register("templates", templates.TemplateViewSet, basename="template")
router.register("escalations", grading.EscalationViewSet, basename="escalation")
router.register("actions", actions.ActionViewSet, basename="action")
router.register("programme-entries", programme.ProgrammeEntryViewSet, basename="programme-entry")
router.register("improvement-items", actions.ImprovementItemViewSet, basename="improvement-item")
router.register("reports", reports.ReportViewSet, basename="report")
router.register("packs", packs.PackJobViewSet, basename="pack")
router.register("notifications", notifications.NotificationViewSet, basename="notification")
router.register("reconciliations", reconciliations.ReconciliationViewSet, basename="reconciliation")
router.register("findings", findings.FindingViewSet, basename="finding")
router.register(
    "external-access", external_access.ExternalAccessViewSet, basename="external-access"
)
router.register(
    "practitioner-responses",
    findings.PractitionerResponseViewSet,
    basename="practitioner-response",
)

urlpatterns = [
    path("auth/token/", auth.TokenView.as_view(), name="token-issue"),
    path("auth/token/revoke/", auth.TokenRevokeView.as_view(), name="token-revoke"),
    path(
        "assurance-summaries/",
        summaries.AssuranceSummaryView.as_view(),
        name="assurance-summaries",
    ),
    path(
        "assurance-summaries/series/",
        summaries.AssuranceSeriesView.as_view(),
        name="assurance-series",
    ),
    path("evidence/", evidence.EvidenceUploadView.as_view(), name="evidence-upload"),
    path("evidence/<int:pk>/", evidence.EvidenceDetailView.as_view(), name="evidence-detail"),
    path(
        "evidence/<int:pk>/download/",
        evidence.EvidenceDownloadView.as_view(),
        name="evidence-download",
    ),
    path("cycles/<int:cycle_id>/pack/", packs.PackRequestView.as_view(), name="cycle-pack"),
    path("", include(router.urls)),
]
