"""The case register: teams, staff, cases, who held each case, and declared conflicts."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Team(models.Model):
    class ServiceArea(models.TextChoices):
        FRONT_DOOR = "front_door", "Front door (contact and referral)"
        ASSESSMENT = "assessment", "Assessment"
        CHILD_IN_NEED = "cin", "Child in need"
        CHILD_PROTECTION = "cp", "Child protection"
        LOOKED_AFTER = "cla", "Children looked after"
        CARE_LEAVERS = "care_leavers", "Care leavers"
        EARLY_HELP = "early_help", "Early help"
        DISABLED_CHILDREN = "disabled_children", "Disabled children"
        QUALITY_ASSURANCE = "quality_assurance", "Quality assurance"
        OTHER = "other", "Other"

    name = models.CharField(max_length=100, unique=True)
    service_area = models.CharField(
        max_length=30, choices=ServiceArea.choices, default=ServiceArea.OTHER
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Staff(models.Model):
    """A member of staff. Only staff who use CaseAssure have a login (``user``)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    staff_ref = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT)
    managed_teams = models.ManyToManyField(Team, blank=True, related_name="managers")
    capacity = models.PositiveIntegerField(default=0, help_text="Audits per cycle")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["staff_ref"]
        verbose_name_plural = "staff"

    def __str__(self) -> str:
        return f"{self.name} ({self.staff_ref})"


class Case(models.Model):
    """A case file. ``case_ref`` is the source system's pseudonymous id; no child names."""

    # Unique through Meta.constraints, not unique=True: on PostgreSQL a unique CharField also
    # gets a varchar_pattern_ops index for LIKE 'x%', which no query here makes and every
    # imported row paid for (migration 0016). No index on case_type either: five values.
    case_ref = models.CharField(max_length=64)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="cases")
    case_type = models.CharField(max_length=30)
    opened_on = models.DateField()
    closed_on = models.DateField(null=True, blank=True)
    worker = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="worker_cases"
    )
    manager = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="manager_cases"
    )
    birth_year = models.PositiveSmallIntegerField(null=True, blank=True)
    legal_hold = models.BooleanField(default=False, help_text="never purged while set")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["case_ref"]
        constraints = [
            models.UniqueConstraint(fields=["case_ref"], name="case_ref_unique"),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=models.F("opened_on")),
                name="case_closed_after_opened",
            ),
        ]

    def __str__(self) -> str:
        return self.case_ref


class Allocation(models.Model):
    """Who held a case, as worker or manager, and when (the history behind rule R2)."""

    class Role(models.TextChoices):
        WORKER = "worker", "Allocated worker"
        MANAGER = "manager", "Team manager"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="allocations")
    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="allocations")
    role = models.CharField(max_length=10, choices=Role.choices)
    from_date = models.DateField()
    to_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["case", "from_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "staff", "role", "from_date"], name="allocation_unique_key"
            ),
            models.CheckConstraint(
                condition=Q(to_date__isnull=True) | Q(to_date__gte=models.F("from_date")),
                name="allocation_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} {self.role} {self.staff.staff_ref}"


class Conflict(models.Model):
    """A declared conflict of interest: an auditor against a case or against a worker."""

    auditor = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="conflicts")
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.CASCADE, related_name="conflicts"
    )
    worker = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.CASCADE, related_name="conflicts_against"
    )
    reason = models.CharField(max_length=500)
    declared_on = models.DateField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(case__isnull=False) & Q(worker__isnull=True))
                | (Q(case__isnull=True) & Q(worker__isnull=False)),
                name="conflict_names_case_or_worker",
            )
        ]

    def __str__(self) -> str:
        return f"{self.auditor.staff_ref} conflict"
