from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AuditsConfig(AppConfig):
    name = "audits"
    verbose_name = "Case audit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from audits.api.strict import install_strict_fields
        from audits.infra import (
            data_mark,
            signals,  # noqa: F401 - registers the receivers
        )

        install_strict_fields()
        data_mark.connect()


class CaseAssureAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the site that records every change (admin_site.py)."""

    default = False
    default_site = "audits.infra.admin_site.RecordedAdminSite"
