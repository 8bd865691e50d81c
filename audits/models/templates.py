"""Grading-form templates: versioned; a published version never changes."""

from django.conf import settings
from django.db import models

from audits.core.grading import DEFAULT_SCALE


def default_scale() -> dict:
    return {str(grade): name for grade, name in DEFAULT_SCALE.items()}


class Template(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft"
        PUBLISHED = "published"
        RETIRED = "retired"

    name = models.CharField(max_length=200)
    version = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    description = models.TextField(blank=True)
    grade_scale = models.JSONField(default=default_scale)
    themes = models.JSONField(default=list, blank=True)
    definition = models.JSONField(help_text="sections and questions; see audits/core/grading.py")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="template_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def scale(self) -> dict[int, str]:
        return {int(grade): label for grade, label in self.grade_scale.items()}
