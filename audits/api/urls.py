from django.urls import include, path
from rest_framework.routers import DefaultRouter

from audits.api import actions, auth, cases, cycles, findings, grading, register, reports


class Router(DefaultRouter):
    """Trailing slash optional: DESIGN names files such as ``frame.csv`` without one."""

    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"


router = Router()
# Audits first: an auditor's form autosaves every few seconds, and URLs are tried in order.
router.register("audits", grading.AuditViewSet, basename="audit")
router.register("teams", register.TeamViewSet, basename="team")
router.register("staff", register.StaffViewSet, basename="staff")
router.register("conflicts", register.ConflictViewSet, basename="conflict")
router.register("cases", cases.CaseViewSet, basename="case")
router.register("cycles", cycles.CycleViewSet, basename="cycle")
router.register("sampled-cases", cycles.SampledCaseViewSet, basename="sampled-case")
router.register("templates", grading.TemplateViewSet, basename="template")
router.register("escalations", grading.EscalationViewSet, basename="escalation")
router.register("actions", actions.ActionViewSet, basename="action")
router.register("improvement-items", actions.ImprovementItemViewSet, basename="improvement-item")
router.register("reports", reports.ReportViewSet, basename="report")
router.register("findings", findings.FindingViewSet, basename="finding")
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
        reports.AssuranceSummaryView.as_view(),
        name="assurance-summaries",
    ),
    path("", include(router.urls)),
]
