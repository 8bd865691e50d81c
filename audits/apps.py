from django.apps import AppConfig


class AuditsConfig(AppConfig):
    name = "audits"
    verbose_name = "Case audit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from audits import signals  # noqa: F401 - registers the receivers
        from audits.api.strict import install_strict_fields

        install_strict_fields()
