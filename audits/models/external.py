"""External reviewers: a named person from outside the council (a peer review team, an
inspector) given read access, for a date range, to one cycle's sample and its audits, or to
a case records review of N cases drawn from that sample by the same SHA-256 rank rule."""

from django.conf import settings
from django.db import models

from audits.models.cycles import Cycle, SampledCase


class ExternalAccess(models.Model):
    class Purpose(models.TextChoices):
        PEER_REVIEW = "peer_review", "Peer review"
        INSPECTION = "inspection", "Inspection"

    class Scope(models.TextChoices):
        SAMPLE = "sample", "The whole sample"
        REVIEW = "review", "A case records review"

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="external_accesses"
    )
    organisation = models.CharField(max_length=200)
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="external_accesses")
    scope = models.CharField(max_length=10, choices=Scope.choices)
    # A case records review: its size and its draw, recorded so anyone can re-check it. The
    # frame is the cycle's sample when granted (case refs, sorted), hashed as a draw's frame.
    review_size = models.PositiveIntegerField(null=True, blank=True)
    review_frame = models.JSONField(default=list, blank=True, help_text="case refs drawn from")
    review_frame_hash = models.CharField(max_length=64, blank=True)
    review_server_random = models.CharField(max_length=64, blank=True)
    review_seed = models.CharField(max_length=64, blank=True)
    starts_on = models.DateField(help_text="first day of access")
    ends_on = models.DateField(help_text="last day of access; it ends by itself after it")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoke_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-starts_on", "pk"]
        verbose_name_plural = "external accesses"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="external_access_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.cycle} ({self.starts_on} to {self.ends_on})"


class ExternalReviewCase(models.Model):
    """One case of a case records review, with its rank and key in the review's draw."""

    access = models.ForeignKey(ExternalAccess, on_delete=models.PROTECT, related_name="cases")
    sampled_case = models.ForeignKey(SampledCase, on_delete=models.PROTECT, related_name="+")
    rank = models.PositiveIntegerField()
    selection_key = models.CharField(max_length=64)

    class Meta:
        ordering = ["access", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["access", "rank"], name="external_review_rank_once"),
            models.UniqueConstraint(
                fields=["access", "sampled_case"], name="external_review_case_once"
            ),
        ]

    def __str__(self) -> str:
        return f"case {self.rank} of review {self.access_id}"
