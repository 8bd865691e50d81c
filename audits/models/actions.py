"""Actions agreed from audits, the improvement plan they serve, and follow-up audits."""

from django.conf import settings
from django.db import models

from audits.models.audits import Audit
from audits.models.register import Case, Staff, Team


class ImprovementItem(models.Model):
    class Source(models.TextChoices):
        PLAN = "improvement_plan", "Improvement plan"
        NOTICE = "improvement_notice", "Improvement notice"

    reference = models.CharField(max_length=40, unique=True)
    title = models.CharField(max_length=300)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.PLAN)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["reference"]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"


class Action(models.Model):
    class Priority(models.TextChoices):
        HIGH = "high"
        MEDIUM = "medium"
        LOW = "low"

    class Status(models.TextChoices):
        OPEN = "open"
        DONE = "done"
        VERIFIED = "verified"

    audit = models.ForeignKey(
        Audit, null=True, blank=True, on_delete=models.PROTECT, related_name="actions"
    )
    question_key = models.CharField(max_length=60, blank=True)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="actions")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="actions")
    owner = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="actions")
    description = models.TextField()
    priority = models.CharField(max_length=6, choices=Priority.choices, default=Priority.MEDIUM)
    due_date = models.DateField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    evidence_note = models.TextField(blank=True)
    improvement_item = models.ForeignKey(
        ImprovementItem, null=True, blank=True, on_delete=models.PROTECT, related_name="actions"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)
    # Maker and checker: whoever marked the action done never verifies it.
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reminded_due_at = models.DateTimeField(null=True, blank=True)
    reminded_overdue_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_date", "id"]

    def __str__(self) -> str:
        return f"action {self.pk}"


class FollowUp(models.Model):
    """A case put forward for a follow-up audit in the next cycle (not part of the random
    sample, and reported apart from it)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="follow_ups")
    reason = models.TextField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    included_in = models.ForeignKey(
        "audits.Cycle", null=True, blank=True, on_delete=models.PROTECT, related_name="follow_ups"
    )

    class Meta:
        ordering = ["requested_at"]

    def __str__(self) -> str:
        return f"follow-up {self.case}"
