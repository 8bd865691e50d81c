from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from audits.api.permissions import SchemaReaders
from audits.infra.health import health_view
from audits.web import home, sso

handler404 = "audits.web.errors.not_found"
handler500 = "audits.web.errors.server_error"
handler403 = "audits.web.errors.forbidden"

urlpatterns = [
    path("", home.home, name="home"),
    path("health/", health_view, name="health"),
    # A static icon, not a page (unnamed: no route table lists it).
    path("favicon.ico", home.favicon),
    path("accounts/login/", sso.SignInPage.as_view(), name="login"),
    path("accounts/sso/", sso.SignInStart.as_view(), name="sso-start"),
    path("accounts/sso/callback/", sso.SignInReturn.as_view(), name="sso-callback"),
    path("accounts/logout/", home.sign_out, name="logout"),
    path("api/v1/", include(("audits.api.urls", "api"))),
    path(
        "api/schema/",
        SpectacularAPIView.as_view(permission_classes=[SchemaReaders]),
        name="schema",
    ),
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="schema",
            permission_classes=[SchemaReaders],
            template_name="audits/api_docs.html",  # no inline style: works under the CSP
        ),
        name="api-docs",
    ),
    path("admin/", admin.site.urls),
    path("", include("audits.web.urls")),
]
