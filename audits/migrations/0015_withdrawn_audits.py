"""Audits of a case replaced in the sample are withdrawn: they keep their record and the
reason but no longer change or count. Audits of cases replaced before this existed are
withdrawn here too, and any summary they had (which put them in the figures) removed."""

from django.db import migrations, models


def withdraw_replaced(apps, schema_editor):
    Audit = apps.get_model("audits", "Audit")
    AuditSummary = apps.get_model("audits", "AuditSummary")
    replaced = Audit.objects.filter(assignment__sampled_case__status="replaced")
    AuditSummary.objects.filter(audit__in=replaced).delete()
    for audit_id, reason in replaced.values_list(
        "pk", "assignment__sampled_case__replacement_reason"
    ):
        Audit.objects.filter(pk=audit_id).update(status="withdrawn", withdrawn_reason=reason)


class Migration(migrations.Migration):
    dependencies = [("audits", "0014_frame_seed_parts")]

    operations = [
        migrations.AddField(
            model_name="audit",
            name="withdrawn_reason",
            field=models.TextField(blank=True, help_text="why the case left the sample"),
        ),
        migrations.AlterField(
            model_name="audit",
            name="status",
            field=models.CharField(
                choices=[
                    ("assigned", "Assigned"),
                    ("in_progress", "In progress"),
                    ("submitted", "Submitted"),
                    ("returned", "Returned for rework"),
                    ("final", "Final"),
                    ("withdrawn", "Withdrawn"),
                ],
                default="assigned",
                max_length=12,
            ),
        ),
        migrations.RunPython(withdraw_replaced, migrations.RunPython.noop),
    ]
