"""Inspection packs: one zip per build holding everything an inspector needs about a cycle
(sampling record, audits, actions, the report) with a manifest of SHA-256s. The job row is
the source of truth for the build, as for reports."""

from django.db import models

from audits.models.cycles import Cycle
from audits.models.jobs import LeasedJob

PACK_MAX_ATTEMPTS = 3


class PackJob(LeasedJob):
    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="pack_jobs")
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
