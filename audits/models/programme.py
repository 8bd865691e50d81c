"""The audit programme: the entries of a year's programme (recurring random audits and themed
audits) and what became of each occurrence (made into a cycle, moved, skipped)."""

from django.conf import settings
from django.db import models

from audits.core import programme
from audits.models.cycles import Cycle, default_plan
from audits.models.register import Team


class ProgrammeEntry(models.Model):
    class Kind(models.TextChoices):
        RANDOM = programme.RANDOM, "Recurring random audit"
        THEMED = programme.THEMED, "Themed audit"

    class Frequency(models.TextChoices):
        MONTHLY = programme.MONTHLY, "Monthly"
        QUARTERLY = programme.QUARTERLY, "Quarterly"

    year = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    name = models.CharField(max_length=120)
    frequency = models.CharField(
        max_length=10, choices=Frequency.choices, default=Frequency.MONTHLY, blank=True
    )
    month = models.PositiveSmallIntegerField(help_text="themed: its month; recurring: the first")
    day = models.PositiveSmallIntegerField(default=1, help_text="day of the month, 1 to 28")
    theme = models.CharField(max_length=200, blank=True)
    # The cycle each occurrence makes: its frame (teams, case types, strata) and plan.
    teams = models.ManyToManyField(Team, blank=True, help_text="empty = every team")
    case_types = models.JSONField(default=list, blank=True, help_text="empty = every type")
    stratify_by = models.CharField(
        max_length=20, choices=Cycle.Stratify.choices, default=Cycle.Stratify.NONE
    )
    plan = models.JSONField(default=default_plan)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    starts_on = models.DateField(help_text="occurrences before this day are never made")

    class Meta:
        ordering = ["year", "month", "day", "id"]
        verbose_name_plural = "programme entries"

    def __str__(self) -> str:
        return f"{self.name} ({self.year})"


class ProgrammeOccurrence(models.Model):
    """One occurrence that was made, moved or skipped (the others exist only on the
    calendar). Named by the day it was first scheduled for: one row, so one cycle, each."""

    entry = models.ForeignKey(ProgrammeEntry, on_delete=models.PROTECT, related_name="occurrences")
    scheduled_on = models.DateField()
    moved_to = models.DateField(null=True, blank=True)
    skipped = models.BooleanField(default=False)
    reason = models.TextField(blank=True, help_text="why it was moved or skipped")
    cycle = models.OneToOneField(
        Cycle, null=True, blank=True, on_delete=models.PROTECT, related_name="programme_occurrence"
    )
    made_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["scheduled_on", "entry"]
        constraints = [
            models.UniqueConstraint(
                fields=["entry", "scheduled_on"], name="programme_occurrence_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.entry} on {self.scheduled_on}"
