"""Evidence files attached to an audit's answer or to an action."""

from django.conf import settings
from django.db import models

from audits.models.actions import Action
from audits.models.audits import Audit


class Evidence(models.Model):
    """One file. The bytes live in the ``evidence`` storage under ``stored_name``; the row
    holds what the service decided about them (the sniffed type, the SHA-256) and the
    uploader's file name as display text only."""

    audit = models.ForeignKey(
        Audit, null=True, blank=True, on_delete=models.PROTECT, related_name="evidence"
    )
    question_key = models.CharField(max_length=60, blank=True)
    action = models.ForeignKey(
        Action, null=True, blank=True, on_delete=models.PROTECT, related_name="evidence"
    )
    stored_name = models.CharField(max_length=200, unique=True)
    display_name = models.CharField(max_length=120)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "evidence"
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(audit__isnull=False, action__isnull=True)
                    | models.Q(audit__isnull=True, action__isnull=False, question_key="")
                ),
                name="evidence_of_an_audit_or_an_action",
            )
        ]

    def __str__(self) -> str:
        return f"evidence {self.pk}"
