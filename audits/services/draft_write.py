"""Writing an autosaved draft: one conditional UPDATE, plus its Event when grades or status
changed. The services decide what to write; this only writes it.

The statements are written out (column and table names from the models, every value a
bound parameter) because the autosave is the most frequent write and the ORM took longer
to compose its UPDATE than the database took to run it, and on PostgreSQL the UPDATE and
its Event are one statement (one round trip instead of four). bench/load.py (ii), this
shared 2-core machine under load, interleaved runs: with these statements and the reads of
selectors/hot_reads.py ours 38-45 saves/s, throughput_ratio 0.56-0.70 (target 0.5); the
same reads with the UPDATE compiled by the ORM (still one statement with its Event),
0.45-0.48; ORM reads too, 0.33-0.44; everything through the ORM (UPDATE, then the Event
in a transaction), 0.26-0.33. tests/test_autosave.py checks that
this path and the ORM's leave the same row and Event, or neither.
"""

from django.db import connection, transaction

from audits.infra import data_mark
from audits.models import Assignment, Audit, Cycle, Event, SampledCase
from audits.services.history import event_record


def draft_write(
    *, audit: Audit, read_version: int, read_status: str, values: dict, event: dict | None
) -> bool:
    """Write ``values`` to the audit's row if it still has the version and status it was
    read with; with ``event`` (``event_record`` keywords), record it in the same
    transaction. False, with nothing written, when the row changed since it was read."""
    update, params = _update(audit.pk, read_version, read_status, values)
    if event is None:
        # A lone UPDATE is atomic by itself.
        return _run(update, params) == 1
    if connection.vendor == "postgresql":
        # One statement, so atomic without a transaction of its own: one round trip instead
        # of four (BEGIN, UPDATE, INSERT, COMMIT). The INSERT takes its row from the
        # UPDATE's result, so no Event is written when the UPDATE matched nothing.
        insert, insert_params = _event_insert(audit, values, event)
        statement = f"WITH saved AS ({update} RETURNING id) {insert} FROM saved"
        if _run(statement, params + insert_params) != 1:
            return False
        data_mark.moved()  # the Event went in without the ORM's signal
        return True
    with transaction.atomic():
        if _run(update, params) != 1:
            return False
        event_record(obj=audit, **event)
    return True


def _run(sql: str, params: list) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _update(audit_id: int, read_version: int, read_status: str, values: dict):
    quote = connection.ops.quote_name
    fields = [Audit._meta.get_field(name) for name in values]
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    sql = (
        f"UPDATE {quote(Audit._meta.db_table)} SET {assignments} "  # noqa: S608
        f"WHERE id = %s AND version = %s AND status = %s AND NOT EXISTS ({_CLOSED_CYCLE})"
    )
    params = [field.get_db_prep_save(values[field.name], connection) for field in fields]
    return sql, [*params, audit_id, read_version, read_status, *CLOSED_STATES]


# The audit's cycle is closed or reported: found through its assignment and sampled case,
# one index lookup each.
CLOSED_STATES = (Cycle.Status.CLOSED, Cycle.Status.REPORTED)
_CLOSED_CYCLE = f"""
    SELECT 1 FROM {Assignment._meta.db_table} of_assignment
      JOIN {SampledCase._meta.db_table} of_sampled ON of_sampled.id = of_assignment.sampled_case_id
      JOIN {Cycle._meta.db_table} of_cycle ON of_cycle.id = of_sampled.cycle_id
     WHERE of_assignment.id = {Audit._meta.db_table}.assignment_id
       AND of_cycle.status IN (%s, %s)
"""  # noqa: S608


def _event_insert(audit: Audit, values: dict, event: dict):
    """``INSERT INTO event (...) SELECT <values>`` -- the caller adds its FROM."""
    quote = connection.ops.quote_name
    row = {
        "at": values["updated_at"],
        "actor_id": getattr(event["actor"], "pk", None),
        "verb": event["verb"],
        "object_type": Audit._meta.model_name,
        "object_id": str(audit.pk),
        "before": event.get("before"),
        "after": event.get("after"),
        "reason": event.get("reason", ""),
    }
    fields = [Event._meta.get_field(name) for name in row]
    columns = ", ".join(quote(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(Event._meta.db_table)} ({columns}) SELECT {placeholders}"
    return sql, [field.get_db_prep_save(row[field.attname], connection) for field in fields]
