"""Ship our default children's social care audit form, published, as version 1."""

import json
from pathlib import Path

from django.db import migrations
from django.utils import timezone

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "default_template.json"


def load(apps, schema_editor):
    Template = apps.get_model("audits", "Template")
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    if not Template.objects.filter(name=data["name"]).exists():
        Template.objects.create(status="published", published_at=timezone.now(), version=1, **data)


class Migration(migrations.Migration):
    dependencies = [("audits", "0004_grading")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
