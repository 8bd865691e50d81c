from django.urls import include, path
from rest_framework.routers import DefaultRouter

from audits.api import auth, register

router = DefaultRouter()
router.register("teams", register.TeamViewSet, basename="team")
router.register("staff", register.StaffViewSet, basename="staff")
router.register("conflicts", register.ConflictViewSet, basename="conflict")
router.register("cases", register.CaseViewSet, basename="case")

urlpatterns = [
    path("auth/token/", auth.TokenView.as_view(), name="token-issue"),
    path("auth/token/revoke/", auth.TokenRevokeView.as_view(), name="token-revoke"),
    path("", include(router.urls)),
]
