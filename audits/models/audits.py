"""Assignments, audits, moderation and safeguarding escalations."""

from django.conf import settings
from django.db import models

from audits.models.cycles import SampledCase
from audits.models.register import Staff
from audits.models.templates import Template


class Assignment(models.Model):
    class Role(models.TextChoices):
        PRIMARY = "primary"
        SECOND = "second", "Second (blind) auditor"

    sampled_case = models.ForeignKey(
        SampledCase, on_delete=models.PROTECT, related_name="assignments"
    )
    auditor = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="assignments")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.PRIMARY)
    override_rules = models.JSONField(default=list, blank=True, help_text="rules overridden")
    override_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["sampled_case", "role"], name="one_auditor_per_role_per_case"
            )
        ]

    def __str__(self) -> str:
        return f"{self.sampled_case} {self.role} {self.auditor.staff_ref}"


class Audit(models.Model):
    class Status(models.TextChoices):
        ASSIGNED = "assigned"
        IN_PROGRESS = "in_progress", "In progress"
        SUBMITTED = "submitted"
        RETURNED = "returned", "Returned for rework"
        FINAL = "final"
        # The case was replaced in the sample: the audit stays on the record, with the
        # reason, but can no longer change and counts in no figure.
        WITHDRAWN = "withdrawn"

    assignment = models.OneToOneField(Assignment, on_delete=models.PROTECT, related_name="audit")
    template = models.ForeignKey(Template, on_delete=models.PROTECT, related_name="audits")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ASSIGNED)
    version = models.PositiveIntegerField(default=1, help_text="optimistic lock for autosave")
    answers = models.JSONField(default=dict, blank=True)
    overall_grade = models.PositiveSmallIntegerField(null=True, blank=True)
    rationale = models.TextField(blank=True)
    themes = models.JSONField(default=list, blank=True)
    strengths = models.TextField(blank=True)
    improvements = models.TextField(blank=True)
    due_date = models.DateField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    moderation_reason = models.CharField(max_length=30, blank=True, help_text="why moderated")
    moderated_overall_grade = models.PositiveSmallIntegerField(null=True, blank=True)
    moderated_answers = models.JSONField(null=True, blank=True)
    withdrawn_reason = models.TextField(blank=True, help_text="why the case left the sample")
    # Reminders claimed by a conditional update (one per audit; overdue again weekly).
    reminded_due_at = models.DateTimeField(null=True, blank=True)
    reminded_overdue_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"audit {self.pk}"

    @property
    def final_grade(self) -> int | None:
        return self.moderated_overall_grade or self.overall_grade


class Moderation(models.Model):
    class Decision(models.TextChoices):
        AGREE = "agree"
        CHANGE = "change", "Change grades"
        RETURN = "return", "Return for rework"

    audit = models.ForeignKey(Audit, on_delete=models.PROTECT, related_name="moderations")
    moderator = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="moderations")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    original_overall_grade = models.PositiveSmallIntegerField(null=True)
    moderated_overall_grade = models.PositiveSmallIntegerField(null=True)
    original_grades = models.JSONField(default=dict)
    moderated_grades = models.JSONField(default=dict)
    reason = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"moderation {self.pk} ({self.decision})"


class Escalation(models.Model):
    class Status(models.TextChoices):
        OPEN = "open"
        ACKNOWLEDGED = "acknowledged"

    audit = models.ForeignKey(Audit, on_delete=models.PROTECT, related_name="escalations")
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField(auto_now_add=True)
    concern = models.TextField()
    due_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    response = models.TextField(blank=True)
    overdue_reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at"]

    def __str__(self) -> str:
        return f"escalation {self.pk}"
