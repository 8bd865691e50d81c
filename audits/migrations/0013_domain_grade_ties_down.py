"""Domain grades that were stored as halves (a median between two grades) become the lower
grade, the rule grading.domain_grade now applies (issue 13, finding 10). The summaries'
other columns do not depend on it, so a floor is the same as a rebuild of the summaries."""

from django.db import migrations
from django.db.models.functions import Floor


def domain_grades_down(apps, schema_editor):
    DomainGrade = apps.get_model("audits", "DomainGrade")
    DomainGrade.objects.exclude(grade=Floor("grade")).update(grade=Floor("grade"))


class Migration(migrations.Migration):
    dependencies = [("audits", "0012_history_purge_function")]

    operations = [migrations.RunPython(domain_grades_down, migrations.RunPython.noop)]
