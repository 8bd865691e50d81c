"""What the assurance figures count of each completed audit, kept as narrow rows.

An audit's answers are a JSON document of some 24 questions; the report needs only its
final grade, a median per domain and its themes. Working those out from the answers of
50,000 audits at every compile (or dashboard view) costs seconds, so the services that
complete an audit (submit, moderate) store them here, computed by
``grading.audit_summary``, and the figures become a few GROUP BYs over these rows.

A summary exists exactly while its audit is completed (submitted or final). The cycle,
case, stratum, role and follow-up flag are copied from the sample and the assignment,
which never change once made. The case's team and type are copied as they were when the
audit was completed: the audit judged that team's work, and a later move of the case
does not move its finding to another team's figures. A domain grade carries its cycle
and whether the figures count it, so they are counted from one table.
"""

from django.db import models

from audits.models.audits import Audit
from audits.models.cycles import Cycle
from audits.models.register import Case, Team


class AuditSummary(models.Model):
    audit = models.OneToOneField(
        Audit, on_delete=models.CASCADE, primary_key=True, related_name="summary"
    )
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="+", db_index=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        help_text="the case's team when the audit was completed",
    )
    case_type = models.CharField(max_length=30, help_text="the case's type then")
    stratum = models.CharField(max_length=200)
    role = models.CharField(max_length=10)
    follow_up = models.BooleanField()
    overall_grade = models.PositiveSmallIntegerField(help_text="the auditor's")
    moderated_grade = models.PositiveSmallIntegerField(
        null=True, help_text="the moderator's, when a moderation agreed or changed it"
    )
    reconciled_grade = models.PositiveSmallIntegerField(
        null=True, help_text="of a first audit: the agreed grade of its double audit"
    )
    final_grade = models.PositiveSmallIntegerField(
        help_text="the reconciled grade, or else the moderated one, or else the auditor's"
    )
    themes = models.JSONField(default=list, help_text="sorted")

    class Meta:
        # Finds a cycle's second audits without reading its first ones.
        indexes = [models.Index(fields=["cycle", "role"], name="summary_cycle_role")]

    def __str__(self) -> str:
        return f"summary of audit {self.audit_id}"


class DomainGrade(models.Model):
    """An audit's grade in one domain: the median of its final question grades there, the
    lower grade when the median falls between two (grading.domain_grade). Whole grades,
    kept in a float column."""

    summary = models.ForeignKey(
        AuditSummary, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="+", db_index=False)
    counted = models.BooleanField(
        help_text="a first audit of the random sample: what the domain figures count"
    )
    domain = models.CharField(max_length=200)
    grade = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["summary", "domain"], name="one_grade_per_domain")
        ]
        indexes = [models.Index(fields=["cycle", "counted"], name="domain_grade_cycle")]

    def __str__(self) -> str:
        return f"{self.domain}: {self.grade:g}"
