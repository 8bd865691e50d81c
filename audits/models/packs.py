"""Inspection packs: one zip per build holding everything an inspector needs about a cycle
(sampling record, audits, actions, the report) with a manifest of SHA-256s. The job row is
the source of truth for the build, as for reports."""

from django.conf import settings
from django.db import models

from audits.models.cycles import Cycle

PACK_MAX_ATTEMPTS = 3


class PackJob(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="pack_jobs")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    claimed_by = models.CharField(max_length=200, blank=True, help_text="task id holding it")
    started_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    stored_name = models.CharField(
        max_length=200, blank=True, help_text="its name in the packs storage, once built"
    )
    sha256 = models.CharField(max_length=64, blank=True, help_text="of the whole zip")
    size = models.PositiveBigIntegerField(null=True, blank=True)
    manifest_sha256 = models.CharField(max_length=64, blank=True)
    report_hash = models.CharField(max_length=64, blank=True, help_text="of the report packed")

    class Meta:
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["status", "requested_at"])]

    def __str__(self) -> str:
        return f"pack job {self.pk} ({self.status})"
