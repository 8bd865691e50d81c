"""What the scope rules read first, read once while a page is read.

A page read (a GET: ``web/access.role_required``) writes nothing a scope depends on, so the
ids a rule starts from (the cycles one runs, the cases one audits) are read once and kept for
the rest of that page: as subqueries of every list, the rules took PostgreSQL longer to plan
than a page of rows to read, and the ORM as long again to compile. Outside a page read
(writes, the API, commands, tasks) every call reads again, and the rules stay subqueries.
"""

from contextlib import contextmanager
from contextvars import ContextVar

_kept: ContextVar[dict | None] = ContextVar("scoping_page_reads", default=None)


@contextmanager
def read_once_per_page():
    token = _kept.set({})
    try:
        yield
    finally:
        _kept.reset(token)


def reading_a_page() -> bool:
    return _kept.get() is not None


def once(key: tuple, read):
    """``read()``, kept under ``key`` while a page is read; a tuple, so nobody changes it."""
    kept = _kept.get()
    if kept is None:
        return tuple(read())
    if key not in kept:
        kept[key] = tuple(read())
    return kept[key]


def ids(key: tuple, build):
    """The values ``build()`` (a one-column ``values_list(flat=True)`` queryset) selects. On
    a page read they are read once and kept, a list the query using them compiles and plans
    as a few constants; elsewhere the queryset itself, a subquery of that query."""
    if not reading_a_page():
        return build()
    return list(once(key, build))
