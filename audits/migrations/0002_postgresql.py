"""History the application cannot rewrite (PostgreSQL only; SQLite, the embedded default,
has one role and relies on the model-level guard).

Event and AccessLog are append-only: a statement trigger refuses UPDATE and DELETE. TRUNCATE
is left to the table owner (test flushes, a deliberate restore); the application never
issues it.

The application connects as a runtime role that may only SELECT and INSERT on those tables
(backend/db_roles.py grants it after `migrate`). Old history leaves by one narrow path: the
function caseassure_retention_purge, SECURITY DEFINER so it runs as the tables' owner, which
deletes only rows past their retention period (never younger than MINIMUM_MONTHS, whatever
the policy table says), never rows about a case under legal hold or of a held record type,
and records each run as an Event. Nobody can make it look ahead: it deletes as of today only.
The trigger lets a DELETE through only with the transaction-local switch caseassure.purge on
AND as the tables' owner, that is inside this function: the runtime role setting
caseassure.purge gains nothing.
"""

from django.conf import settings
from django.db import migrations

# Frozen here: the database's rule must not change when Python defaults do.
DEFAULT_MONTHS = {"access_log": 24, "event": 84}
MINIMUM_MONTHS = 12
HISTORY_TABLES = ("audits_event", "audits_accesslog")

REFUSE_CHANGE = """
CREATE OR REPLACE FUNCTION caseassure_refuse_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND current_setting('caseassure.purge', true) = 'on'
       AND current_user = (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = TG_RELID)
    THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql;
"""

APPEND_ONLY = (
    "CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
    "FOR EACH STATEMENT EXECUTE FUNCTION caseassure_refuse_change();"
)

PURGE = """
CREATE OR REPLACE FUNCTION caseassure_retention_purge(dry_run boolean, as_of date)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @schema@, pg_temp
AS $$
DECLARE
    kind text;
    tbl text;
    policy_months integer;
    held boolean;
    month_index integer;
    cutoff_at timestamptz;
    removed bigint;
    report jsonb := '{}'::jsonb;
BEGIN
    -- Today where the service runs: current_date would follow the caller's TimeZone setting.
    IF as_of IS NULL OR dry_run IS NULL
       OR (NOT dry_run AND as_of > (now() AT TIME ZONE '@time_zone@')::date) THEN
        RAISE EXCEPTION 'the retention purge deletes as of today only';
    END IF;
    PERFORM set_config('caseassure.purge', CASE WHEN dry_run THEN 'off' ELSE 'on' END, true);
    FOREACH kind IN ARRAY ARRAY['access_log', 'event'] LOOP
        tbl := CASE kind WHEN 'access_log' THEN 'audits_accesslog' ELSE 'audits_event' END;
        SELECT p.months, p.legal_hold INTO policy_months, held
          FROM audits_retentionpolicy p WHERE p.record_type = kind;
        IF NOT FOUND THEN
            policy_months := CASE kind WHEN 'access_log' THEN @access_log@ ELSE @event@ END;
            held := false;
        END IF;
        policy_months := greatest(policy_months, @minimum@);
        -- As audits.selectors.frames.months_before: the same day (at most the 28th) months earlier,
        -- midnight local time.
        month_index := extract(year FROM as_of)::integer * 12
                       + extract(month FROM as_of)::integer - 1 - policy_months;
        cutoff_at := make_date(month_index / 12, month_index % 12 + 1,
                               least(extract(day FROM as_of)::integer, 28))::timestamp
                     AT TIME ZONE '@time_zone@';
        removed := 0;
        IF NOT held THEN
            EXECUTE format(
                CASE WHEN dry_run THEN 'SELECT count(*) FROM %I t WHERE %s'
                     ELSE 'WITH gone AS (DELETE FROM %I t WHERE %s RETURNING 1) '
                          'SELECT count(*) FROM gone' END,
                tbl,
                't.at < $1 AND NOT (t.object_type = ''case'' AND t.object_id IN '
                '(SELECT c.id::text FROM audits_case c WHERE c.legal_hold))'
            ) INTO removed USING cutoff_at;
        END IF;
        report := report || jsonb_build_object(kind, jsonb_build_object(
            'months', policy_months, 'legal_hold', held, 'deleted', removed));
    END LOOP;
    PERFORM set_config('caseassure.purge', 'off', true);
    IF NOT dry_run THEN
        INSERT INTO audits_event (at, actor_id, verb, object_type, object_id, before, after, reason)
        VALUES (now(), NULL, 'retention.history_purged', 'retention', as_of::text, NULL, report,
                'retention periods reached; legal holds kept');
    END IF;
    RETURN report;
END;
$$;
REVOKE ALL ON FUNCTION caseassure_retention_purge(boolean, date) FROM PUBLIC;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        schema = schema_editor.connection.ops.quote_name(cursor.fetchone()[0])
    purge = (
        PURGE.replace("@schema@", schema)
        .replace("@access_log@", str(DEFAULT_MONTHS["access_log"]))
        .replace("@event@", str(DEFAULT_MONTHS["event"]))
        .replace("@minimum@", str(MINIMUM_MONTHS))
        .replace("@time_zone@", settings.TIME_ZONE.replace("'", ""))
    )
    schema_editor.execute(REFUSE_CHANGE, params=None)
    for table in HISTORY_TABLES:
        schema_editor.execute(APPEND_ONLY.format(table=table), params=None)
    schema_editor.execute(purge, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "DROP FUNCTION IF EXISTS caseassure_retention_purge(boolean, date);", params=None
    )
    for table in HISTORY_TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
    schema_editor.execute("DROP FUNCTION IF EXISTS caseassure_refuse_change();", params=None)


class Migration(migrations.Migration):
    dependencies = [("audits", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
