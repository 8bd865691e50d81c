"""Let the retention purge, and only it, delete old history rows on PostgreSQL: it sets
the transaction-local flag caseassure.purge, which the application never sets otherwise."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION caseassure_refuse_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('caseassure.purge', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION, params=None)


class Migration(migrations.Migration):
    dependencies = [("audits", "0008_retention")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
