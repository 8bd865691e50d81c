"""Model instances from a hand-written query: what ``Model.objects.raw()`` does, with the
converters worked out once per process instead of on every call.

Used by the two queries every autosave runs (the token lookup in authentication.py and the
auditor's audit in scoping.py), where composing the query in the ORM, or RawQuerySet's
set-up, took longer than the database took to answer. The query selects the model's
columns first, in its field order (``select_list``), then any extra values; the model's
values pass through the converters the ORM applies (SQLite returns dates as text, JSON
comes back as text, ...) and each extra value becomes an attribute, as with ``raw()``.
"""

from functools import cache

from django.db import connection


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
