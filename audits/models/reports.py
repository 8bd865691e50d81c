"""Report jobs (the database is the source of truth for long work) and the immutable
report versions they produce."""

from django.db import models

from audits.models.cycles import Cycle
from audits.models.jobs import LeasedJob

MAX_ATTEMPTS = 3


class ReportJob(LeasedJob):
    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="report_jobs")
    version = models.PositiveIntegerField(null=True, blank=True, help_text="reserved at claim")
    as_of = models.DateTimeField(help_text="the moment the figures describe")

    class Meta:
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["status", "requested_at"])]

    def __str__(self) -> str:
        return f"report job {self.pk} ({self.status})"


class Report(models.Model):
    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="reports")
    job = models.OneToOneField(ReportJob, on_delete=models.PROTECT, related_name="report")
    version = models.PositiveIntegerField()
    report_hash = models.CharField(max_length=64)
    inputs_fingerprint = models.CharField(
        max_length=64, blank=True, help_text="what the report covers, at compile time"
    )
    opinion = models.CharField(max_length=20)
    figures = models.JSONField()
    as_of = models.DateTimeField()
    folder = models.CharField(max_length=300, help_text="in the reports storage")
    # SHA-256 of each stored file, checked whenever one is downloaded: {"pdf": ..., ...}.
    file_hashes = models.JSONField(default=dict, blank=True, help_text="kind -> SHA-256")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["cycle", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "version"], name="report_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.cycle} report v{self.version}"
