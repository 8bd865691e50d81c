"""Notifications: what a person has been told in the service, and which kinds they also want
by email. A notification names no case and no concern: its text says what needs attention
and its link goes to the page, which checks who may see what."""

from django.conf import settings
from django.db import models

from audits.core import notification_kinds


def all_kinds() -> list[str]:
    return list(notification_kinds.KINDS)


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=30, choices=list(notification_kinds.LABELS.items()))
    text = models.CharField(max_length=300)
    link = models.CharField(max_length=300, help_text="a path of the service, ids only")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return f"notification {self.pk} ({self.kind})"


class NotificationPreference(models.Model):
    """Which kinds also go by email. No row: every kind does (the default)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email_kinds = models.JSONField(default=all_kinds, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"notification preferences of {self.user_id}"
