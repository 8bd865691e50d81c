import django.core.serializers.json
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("audits", "0015_withdrawn_audits")]

    operations = [
        migrations.AddField(
            model_name="accesslog",
            name="detail",
            field=models.JSONField(
                blank=True, encoder=django.core.serializers.json.DjangoJSONEncoder, null=True
            ),
        ),
    ]
