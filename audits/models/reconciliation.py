"""Reconciliation of a blind double audit whose two audits disagree.

Opened when the second of a case's two audits is submitted and the two differ by a grade or
more on the overall grade or on any domain grade; closed when a moderator records the
agreed grades and the reason. The two auditors' grades at that moment are kept as they
were (the independent grades reliability is measured on); the agreed ones are what the
report's grade figures count for the case.
"""

from django.conf import settings
from django.db import models

from audits.models.audits import Audit
from audits.models.cycles import SampledCase
from audits.models.register import Staff


class Reconciliation(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Waiting for agreed grades"
        AGREED = "agreed", "Agreed"

    sampled_case = models.OneToOneField(
        SampledCase, on_delete=models.PROTECT, related_name="reconciliation"
    )
    first_audit = models.ForeignKey(Audit, on_delete=models.PROTECT, related_name="+")
    second_audit = models.ForeignKey(Audit, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    first_grades = models.JSONField(help_text="{overall, domains} as the first auditor gave them")
    second_grades = models.JSONField(help_text="the same, as the second auditor gave them")
    disagreements = models.JSONField(default=list, help_text="'overall' and the domains apart")
    opened_at = models.DateTimeField(auto_now_add=True)
    agreed_overall_grade = models.PositiveSmallIntegerField(null=True, blank=True)
    agreed_domain_grades = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True)
    agreed_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    agreed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["opened_at", "pk"]
        indexes = [models.Index(fields=["status"], name="reconciliation_status")]

    def __str__(self) -> str:
        return f"reconciliation {self.pk} ({self.status})"
