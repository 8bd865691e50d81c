"""Per-audit summaries for the report figures, and a backfill of the completed audits
already stored (computed by the pure grading core, as the services compute them)."""

import django.db.models.deletion
from django.db import migrations, models

from audits.core import grading

BATCH = 2000


def backfill(apps, schema_editor):
    Audit = apps.get_model("audits", "Audit")
    AuditSummary = apps.get_model("audits", "AuditSummary")
    DomainGrade = apps.get_model("audits", "DomainGrade")
    Template = apps.get_model("audits", "Template")
    definitions = {t.pk: t.definition for t in Template.objects.all()}
    completed = (
        Audit.objects.filter(status__in=("submitted", "final"))
        .order_by("pk")
        .values_list(
            "pk", "template_id", "answers", "overall_grade", "moderated_answers",
            "moderated_overall_grade", "themes", "assignment__role",
            "assignment__sampled_case__cycle_id", "assignment__sampled_case__case_id",
            "assignment__sampled_case__stratum", "assignment__sampled_case__is_follow_up",
            "assignment__sampled_case__case__team_id",
            "assignment__sampled_case__case__case_type",
        )
    )  # fmt: skip
    summaries, grades = [], []
    for (pk, template_id, answers, overall, moderated_answers, moderated_overall, themes,
         role, cycle_id, case_id, stratum, follow_up, team_id,
         case_type) in completed.iterator(BATCH):  # fmt: skip
        summary = grading.audit_summary(
            definitions[template_id], answers=answers, overall_grade=overall,
            moderated_answers=moderated_answers, moderated_overall_grade=moderated_overall,
            themes=themes,
        )  # fmt: skip
        summaries.append(
            AuditSummary(
                audit_id=pk, cycle_id=cycle_id, case_id=case_id, team_id=team_id,
                case_type=case_type, stratum=stratum, role=role, follow_up=follow_up, overall_grade=summary["overall_grade"],
                moderated_grade=summary["moderated_grade"], final_grade=summary["final_grade"],
                themes=summary["themes"],
            )
        )  # fmt: skip
        counted = role == "primary" and not follow_up
        grades += [
            DomainGrade(
                summary_id=pk, cycle_id=cycle_id, counted=counted, domain=domain, grade=grade
            )
            for domain, grade in summary["domain_grades"].items()
        ]
        if len(summaries) >= BATCH:
            AuditSummary.objects.bulk_create(summaries)
            DomainGrade.objects.bulk_create(grades)
            summaries, grades = [], []
    AuditSummary.objects.bulk_create(summaries)
    DomainGrade.objects.bulk_create(grades)


class Migration(migrations.Migration):
    dependencies = [
        ("audits", "0009_purge_bypass"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditSummary",
            fields=[
                (
                    "audit",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="summary",
                        serialize=False,
                        to="audits.audit",
                    ),
                ),
                (
                    "team",
                    models.ForeignKey(
                        db_index=False,
                        help_text="the case's team when the audit was completed",
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="audits.team",
                    ),
                ),
                (
                    "case_type",
                    models.CharField(help_text="the case's type then", max_length=30),
                ),
                ("stratum", models.CharField(max_length=200)),
                ("role", models.CharField(max_length=10)),
                ("follow_up", models.BooleanField()),
                ("overall_grade", models.PositiveSmallIntegerField(help_text="the auditor's")),
                (
                    "moderated_grade",
                    models.PositiveSmallIntegerField(
                        help_text="the moderator's, when a moderation agreed or changed it",
                        null=True,
                    ),
                ),
                (
                    "final_grade",
                    models.PositiveSmallIntegerField(
                        help_text="the moderated grade, or else the auditor's"
                    ),
                ),
                ("themes", models.JSONField(default=list, help_text="sorted")),
                (
                    "case",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="audits.case",
                    ),
                ),
                (
                    "cycle",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="audits.cycle",
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="DomainGrade",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "cycle",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="audits.cycle",
                    ),
                ),
                (
                    "counted",
                    models.BooleanField(
                        help_text="a first audit of the random sample: what the domain figures "
                        "count"
                    ),
                ),
                ("domain", models.CharField(max_length=200)),
                ("grade", models.FloatField()),
                (
                    "summary",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="audits.auditsummary",
                    ),
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="auditsummary",
            index=models.Index(fields=["cycle", "role"], name="summary_cycle_role"),
        ),
        migrations.AddIndex(
            model_name="domaingrade",
            index=models.Index(fields=["cycle", "counted"], name="domain_grade_cycle"),
        ),
        migrations.AddConstraint(
            model_name="domaingrade",
            constraint=models.UniqueConstraint(
                fields=("summary", "domain"), name="one_grade_per_domain"
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
