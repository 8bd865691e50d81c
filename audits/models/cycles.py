"""Audit cycles and their samples: what was drawn, from which frame, with which seed."""

from django.conf import settings
from django.db import models

from audits.core.rules import all_rules_on
from audits.models.register import Case, Team


def default_rules() -> dict:
    return all_rules_on()


# Every stratum gets at least two audits unless a plan says otherwise: a stratum with none
# drops out of the estimate, and one audit gives no spread (issue 13, finding 5).
DEFAULT_MINIMUM_PER_STRATUM = 2


def default_plan() -> dict:
    return {
        "method": "fixed",
        "n": 20,
        "allocation": "proportional",
        "minimum": DEFAULT_MINIMUM_PER_STRATUM,
    }


class Cycle(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned"
        SAMPLED = "sampled"
        ASSIGNED = "assigned"
        IN_PROGRESS = "in_progress"
        CLOSED = "closed"
        REPORTED = "reported"

    class Stratify(models.TextChoices):
        NONE = "none", "No strata"
        TEAM = "team", "By team"
        CASE_TYPE = "case_type", "By case type"
        TEAM_CASE_TYPE = "team_case_type", "By team and case type"

    name = models.CharField(max_length=200)
    period_start = models.DateField()
    period_end = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNED)
    template = models.ForeignKey(
        "audits.Template", null=True, blank=True, on_delete=models.PROTECT, related_name="cycles"
    )
    # The audit window. Overdue is measured from its due date (never from the period, which
    # a retrospective audit has already passed); set at the draw, then by the QA lead.
    audit_opens_on = models.DateField(null=True, blank=True, help_text="audit window opens")
    audit_due_date = models.DateField(
        null=True, blank=True, help_text="audit window due date; default: draw + working days"
    )
    escalation_hours = models.PositiveIntegerField(default=24)
    # Frame definition
    case_types = models.JSONField(default=list, blank=True, help_text="empty = every type")
    teams = models.ManyToManyField(Team, blank=True, help_text="empty = every team")
    open_on = models.DateField(
        null=True, blank=True, help_text="opened on or before; default period end"
    )
    exclude_audited_months = models.PositiveSmallIntegerField(default=12)
    exclude_closed_before_period = models.BooleanField(default=True)
    stratify_by = models.CharField(max_length=20, choices=Stratify.choices, default=Stratify.NONE)
    plan = models.JSONField(default=default_plan)
    # Assignment and reliability settings
    rules = models.JSONField(default=default_rules)
    second_share = models.DecimalField(max_digits=4, decimal_places=3, default=0.10)
    moderation_share = models.DecimalField(max_digits=4, decimal_places=3, default=0.10)
    assignment_summary = models.JSONField(
        default=dict, blank=True, help_text="loads, optimum and unassignable cases at assignment"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-period_start", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="cycle_period_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(audit_due_date__gte=models.F("audit_opens_on"))
                | models.Q(audit_opens_on__isnull=True)
                | models.Q(audit_due_date__isnull=True),
                name="cycle_window_due_after_opens",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def frame_open_on(self):
        return self.open_on or self.period_end


class Frame(models.Model):
    """The population as drawn: kept as a gzip CSV so anyone can re-check the sample."""

    cycle = models.OneToOneField(Cycle, on_delete=models.PROTECT, related_name="frame")
    seed = models.CharField(max_length=200)
    # The seed's parts (commit, then reveal): the frame hash, then bits from the server's
    # secure generator read after the frame was frozen, then what witnesses entered.
    # Blank server_random: a draw from before seeds were derived (its seed was typed).
    server_random = models.CharField(max_length=64, blank=True)
    witness_input = models.CharField(max_length=100, blank=True)
    seed_algorithm = models.CharField(max_length=100, blank=True)
    frozen_at = models.DateTimeField(
        null=True, blank=True, help_text="when the frame hash was recorded, before the seed"
    )
    frame_hash = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    strata_sizes = models.JSONField(help_text="stratum -> N_h")
    allocation = models.JSONField(help_text="stratum -> n_h planned at the draw")
    exclusion_counts = models.JSONField(default=dict, help_text="reason -> cases excluded")
    # The next ranks after n_h, drawn with the sample (audits/core/reserve.py): a
    # replacement takes them without re-hashing the frame. Empty for older draws.
    reserve = models.JSONField(
        default=dict, help_text="stratum -> [[rank, case_ref, key], ...] after n_h"
    )
    frame_file = models.CharField(max_length=300)
    exclusions_file = models.CharField(max_length=300)
    # SHA-256 of each stored file (the gzip bytes, not the frame hash of its lines),
    # checked whenever the file is read back: {"frame": ..., "exclusions": ...}.
    file_hashes = models.JSONField(default=dict, blank=True, help_text="file -> SHA-256")
    algorithm = models.CharField(max_length=60)
    algorithm_version = models.CharField(max_length=20)
    selection_path = models.CharField(max_length=20, help_text="python or postgresql")
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    drawn_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"frame of {self.cycle}"


class SampledCase(models.Model):
    class Status(models.TextChoices):
        SELECTED = "selected"
        REPLACED = "replaced"

    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="sampled_cases")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="samplings")
    stratum = models.CharField(max_length=200)
    rank = models.PositiveIntegerField()
    selection_key = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SELECTED)
    replaced_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaces"
    )
    replacement_reason = models.TextField(blank=True)
    is_follow_up = models.BooleanField(
        default=False, help_text="a follow-up audit, reported apart from the random sample"
    )

    class Meta:
        ordering = ["cycle", "stratum", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "case"], name="sampled_case_once_per_cycle"),
            models.UniqueConstraint(
                fields=["cycle", "stratum", "rank"],
                condition=models.Q(is_follow_up=False),
                name="sampled_case_rank_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cycle_id}:{self.stratum}#{self.rank}"
