"""ORM queries compiled once per process and database, then run again for another key.

Turning a queryset into SQL costs the ORM about as much again as PostgreSQL takes to plan
and run a small aggregate: the fingerprint's 14 queries over one cycle spent some 8 ms a
view compiling (bench/pages.py, 100,000 cases, on this shared 2-core machine). A
``Compiled`` query is built once by its ``build(key)`` with a sentinel key, compiled by the
ORM, and kept with the places its parameters hold the sentinel; each run puts the real key
in those places, runs the same SQL through the connection's cursor (so query counters and
``execute_wrapper`` see it) and converts the rows with the ORM's own converters. Only the
key changes between runs: everything else a query depends on must be fixed in ``build``.
Several such queries go to PostgreSQL in one round trip (``rows_of_all``): on a loaded
machine each round trip waits for the server's process to be scheduled.
"""

from django.db import connections
from django.db.models import QuerySet

SENTINEL = -1_987_654_321  # a key no row has; no other parameter of ours equals it


class Compiled:
    def __init__(self, build, *, keyed: bool = True):
        """``build(key)``: a values() or values_list() queryset for the key (``keyed=False``:
        the same whatever the key)."""
        self.build = build
        self.keyed = keyed
        self._kept: dict[tuple, tuple] = {}

    def _compiled(self, using: str) -> tuple:
        connection = connections[using]
        marker = (using, connection.vendor, connection.settings_dict.get("NAME"))
        kept = self._kept.get(marker)
        if kept is None:
            queryset: QuerySet = self.build(SENTINEL)
            compiler = queryset.query.get_compiler(using=using)
            sql, params = compiler.as_sql()
            places = [n for n, value in enumerate(params) if _is_sentinel(value)]
            if self.keyed and not places:
                raise ValueError("the query does not use its key")
            kept = self._kept[marker] = (compiler, sql, tuple(params), places)
        return kept

    def _statement(self, key: int, using: str) -> tuple:
        compiler, sql, params, places = self._compiled(using)
        params = list(params)
        for place in places:
            params[place] = key
        return compiler, sql, params

    def rows(self, key: int, using: str = "default") -> list[tuple]:
        return rows_of_all([self], key, using)[0]


def rows_of_all(queries: list[Compiled], key: int, using: str = "default") -> list[list]:
    """Each query's rows for ``key``. On PostgreSQL in one round trip: the statements sent
    together, each one's rows read in turn (psycopg's client-side cursor, Django's)."""
    statements = [query._statement(key, using) for query in queries]
    connection = connections[using]
    fetched = []
    with connection.cursor() as cursor:
        if _sends_together(connection):
            cursor.execute(
                "; ".join(sql for _c, sql, _p in statements),
                [param for _c, _s, params in statements for param in params],
            )
            fetched.append(cursor.fetchall())
            while cursor.nextset():
                fetched.append(cursor.fetchall())
        else:
            for _compiler, sql, params in statements:
                cursor.execute(sql, params)
                fetched.append(cursor.fetchall())
    if len(fetched) != len(statements):
        raise RuntimeError(f"{len(statements)} statements gave {len(fetched)} results")
    return [
        list(compiler.results_iter(results=[rows], tuple_expected=True))
        for (compiler, _s, _p), rows in zip(statements, fetched, strict=True)
    ]


def _is_sentinel(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value == SENTINEL


def _sends_together(connection) -> bool:
    """PostgreSQL with client-side binding (Django's default with psycopg 3): several
    statements with their values in one ``execute``. Server-side binding takes one."""
    return (
        connection.vendor == "postgresql"
        and connection.settings_dict.get("OPTIONS", {}).get("server_side_binding") is not True
    )
