"""What the practitioners say about an audit of their case, and the notes an action's owner
keeps as the action goes on."""

from django.conf import settings
from django.db import models

from audits.models.actions import Action
from audits.models.audits import Audit
from audits.models.register import Staff


class ResponseRequest(models.Model):
    """A practitioner asked to respond to an audit's final findings: told once when the audit
    became final, reminded once before the window closes."""

    audit = models.ForeignKey(Audit, on_delete=models.PROTECT, related_name="response_requests")
    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="response_requests")
    due_on = models.DateField(help_text="the last day to respond")
    told_at = models.DateTimeField(auto_now_add=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["audit", "staff"], name="one_request_per_person")
        ]

    def __str__(self) -> str:
        return f"response request {self.pk}"


class PractitionerResponse(models.Model):
    """One person's answer to an audit's final findings. It is not changed once given."""

    class Verdict(models.TextChoices):
        AGREE = "agree", "Agree"
        AGREE_WITH_COMMENTS = "agree_with_comments", "Agree, with comments"
        DISAGREE = "disagree", "Disagree"

    audit = models.ForeignKey(
        Audit, on_delete=models.PROTECT, related_name="practitioner_responses"
    )
    staff = models.ForeignKey(
        Staff, on_delete=models.PROTECT, related_name="practitioner_responses"
    )
    held_as = models.CharField(max_length=10, help_text="worker or manager of the case then")
    verdict = models.CharField(max_length=20, choices=Verdict.choices)
    comment = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["audit", "staff"], name="one_response_per_person")
        ]

    def __str__(self) -> str:
        return f"response {self.pk} ({self.verdict})"


class ActionNote(models.Model):
    """A note of progress on an action, by its owner or a manager of its team."""

    action = models.ForeignKey(Action, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"note {self.pk} on action {self.action_id}"
