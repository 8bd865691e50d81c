"""Role groups, and database-level protection of the append-only history on PostgreSQL.

UPDATE and DELETE are refused by a trigger. TRUNCATE is left to the table owner (test
flushes, a deliberate restore); the application never issues it.
"""

from django.db import migrations

ROLES = ("auditor", "manager", "internal_auditor", "admin")
HISTORY_TABLES = ("audits_event", "audits_accesslog")

FUNCTION = """
CREATE OR REPLACE FUNCTION caseassure_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql;
"""


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for role in ROLES:
        Group.objects.get_or_create(name=role)


def protect_history(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite (the embedded default) relies on the model-level guard
    schema_editor.execute(FUNCTION, params=None)
    for table in HISTORY_TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION caseassure_refuse_change();"
        )


def unprotect_history(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in HISTORY_TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
    schema_editor.execute("DROP FUNCTION IF EXISTS caseassure_refuse_change();")


class Migration(migrations.Migration):
    dependencies = [("audits", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [
        migrations.RunPython(create_roles, migrations.RunPython.noop),
        migrations.RunPython(protect_history, unprotect_history),
    ]
