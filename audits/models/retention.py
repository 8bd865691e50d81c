"""How long each kind of record is kept, and legal holds that stop the purge."""

from django.db import models


class RetentionPolicy(models.Model):
    class RecordType(models.TextChoices):
        ACCESS_LOG = "access_log", "Access log (who read what)"
        EVENT = "event", "Event history"
        CLOSED_CASE = "closed_case", "Closed cases never sampled"
        EVIDENCE = "evidence", "Evidence files (kept while their case is on legal hold)"

    DEFAULT_MONTHS = {"access_log": 24, "event": 84, "closed_case": 72, "evidence": 72}

    record_type = models.CharField(max_length=20, choices=RecordType.choices, unique=True)
    months = models.PositiveIntegerField(help_text="keep for this many months")
    legal_hold = models.BooleanField(default=False, help_text="hold every record of this type")

    class Meta:
        ordering = ["record_type"]
        verbose_name_plural = "retention policies"

    def __str__(self) -> str:
        return f"{self.get_record_type_display()}: {self.months} months"
