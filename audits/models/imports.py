from django.conf import settings
from django.db import models


class ImportJob(models.Model):
    """A register file uploaded for import: stored (STORAGES["imports"], with its SHA-256)
    and checked and written by a worker, all rows or none. The row says how far it got."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        FINISHED = "finished"
        FAILED = "failed"

    kind = models.CharField(max_length=20, help_text="cases, allocations or staff")
    dry_run = models.BooleanField(default=False)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    file_name = models.CharField(max_length=200, help_text="its name in the imports storage")
    file_sha256 = models.CharField(max_length=64)
    file_size = models.PositiveBigIntegerField()
    total_rows = models.PositiveIntegerField(help_text="lines of the file after its header")
    rows_checked = models.PositiveIntegerField(default=0)
    rows_written = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(null=True, blank=True)
    updated = models.PositiveIntegerField(null=True, blank=True)
    errors = models.JSONField(default=list, blank=True, help_text="row errors, when rejected")
    error_count = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    claimed_by = models.CharField(max_length=200, blank=True, help_text="task id holding it")
    started_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["status", "requested_at"])]

    def __str__(self) -> str:
        return f"import job {self.pk} ({self.status})"
