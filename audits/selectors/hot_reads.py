"""The two reads every autosave and every API request makes, written out: the token with its
user and the user's roles (one query, authentication.py) and the auditor's own audit
(scoping.audit_editable_by). Model instances are built from the rows as
``Model.objects.raw()`` would, with the converters worked out once per process.

Why not the ORM: composing these queries cost more than the database took to answer them.
bench/load.py (ii), this shared 2-core machine under load, 8 clients, 15 s rounds, run
interleaved with the other versions: with these reads and the one-statement write
(services/draft_write.py) ours 38-45 saves/s, throughput_ratio 0.56-0.70 against the floor
(the bench's target is 0.5); with both reads and the write through the ORM 14-22 saves/s,
ratio 0.26-0.33; ORM reads with the write's UPDATE compiled by the ORM, 0.33-0.44; these
reads with that ORM-compiled write, 0.45-0.48. The only hand-written reads on ordinary
paths are here; tests/test_autosave.py checks that they load what the ORM loads.
"""

from functools import cache

from django.contrib.auth.models import Group, User
from django.db import connection

from audits.core import roles
from audits.models import ApiToken, Assignment, Audit, Staff


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def select_list(model, alias: str) -> str:
    """``alias.column, ...`` for every column of ``model``, in its field order."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(field.column)}" for field in model._meta.concrete_fields)


def load(model, sql: str, params, extras: tuple[str, ...] = ()) -> list:
    """The rows of ``sql`` -- ``select_list(model, ...)`` then one column per name in
    ``extras`` -- as instances of ``model`` with the extras as attributes."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    fields = _converters(model, connection.vendor)
    width = len(fields)
    instances = []
    for row in rows:
        values = []
        for value, (column, converters) in zip(row, fields, strict=False):
            for converter in converters:
                value = converter(value, column, connection)
            values.append(value)
        instance = model.from_db(connection.alias, None, values)
        for name, value in zip(extras, row[width:], strict=True):
            setattr(instance, name, value)
        instances.append(instance)
    return instances


@cache
def _converters(model, vendor: str) -> list[tuple]:
    """Per field of ``model``: its column expression and the functions that turn what the
    database returns into the field's Python value."""
    fields = []
    for field in model._meta.concrete_fields:
        column = field.get_col(model._meta.db_table)
        converters = [
            *connection.ops.get_db_converters(column),
            *column.get_db_converters(connection),
        ]
        fields.append((column, converters))
    return fields


# One bound parameter per role, however many roles there are.
ROLE_PLACEHOLDERS = ", ".join(["%s"] * len(roles.ALL_ROLES))


@cache
def _token_sql(vendor: str) -> str:
    # The user's columns come from the model; every value is a bound parameter.
    return f"""
SELECT {select_list(User, "u")}, t.id, g.name,
       (t.last_used_at IS NULL OR t.last_used_at < %s)
  FROM {_table(ApiToken)} t
  JOIN {_table(User)} u ON u.id = t.user_id
  LEFT JOIN {_table(User.groups.through)} m ON m.user_id = u.id
  LEFT JOIN {_table(Group)} g ON g.id = m.group_id AND g.name IN ({ROLE_PLACEHOLDERS})
 WHERE t.key_hash = %s AND t.revoked_at IS NULL AND t.expires_at > %s
"""  # noqa: S608


TOKEN_EXTRAS = ("token_id", "role_name", "use_not_recorded")


def token_rows(key_hash: str, now, recorded_since) -> list[User]:
    """The user of a usable token, one row per group the user is in (``role_name`` None
    for a group that is not a role), each with ``token_id`` and ``use_not_recorded``
    (its last use is older than ``recorded_since``)."""
    adapt = connection.ops.adapt_datetimefield_value
    params = [adapt(recorded_since), *roles.ALL_ROLES, key_hash, adapt(now)]
    return load(User, _token_sql(connection.vendor), params, TOKEN_EXTRAS)


@cache
def _editable_audit_sql(vendor: str) -> str:
    # The audit's columns come from the model; every value is a bound parameter.
    return f"""
SELECT {select_list(Audit, "a")}, staff.user_id
  FROM {_table(Audit)} a
  JOIN {_table(Assignment)} assignment ON assignment.id = a.assignment_id
  JOIN {_table(Staff)} staff ON staff.id = assignment.auditor_id
 WHERE a.id = %s AND staff.user_id = %s
"""  # noqa: S608


def audit_of_auditor(audit_id: int, user_id: int) -> Audit | None:
    """Audit ``audit_id`` if ``user_id`` is its auditor, with ``auditor_user_id`` set."""
    sql = _editable_audit_sql(connection.vendor)
    found = load(Audit, sql, [audit_id, user_id], extras=("auditor_user_id",))
    return found[0] if found else None
