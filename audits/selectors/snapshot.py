"""Reading many things from one moment of the database, on both cores.

``with one_snapshot(): ...`` makes every read inside see the same committed state: a report
whose figures, rows and hash were read while an audit was being submitted would otherwise
count it in one place and not another. On PostgreSQL, when the block is a transaction of its
own, it is REPEATABLE READ, and ``in_parallel`` may hand reads to a second connection that
imports the same snapshot (``pg_export_snapshot``), so two queries run at once. Anywhere
else (SQLite, or inside a larger transaction whose rows another connection cannot see) the
reads simply run one after the other on this connection.
"""

import re
import threading
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import connection, connections, transaction

_inside = ContextVar("caseassure_in_one_snapshot", default=False)
_shared = ContextVar("caseassure_shared_snapshot", default=False)
_SNAPSHOT_ID = re.compile(r"^[0-9A-F]+-[0-9A-F]+-[0-9]+$")


def repeatable_read(cursor) -> None:
    """Make the transaction just begun read one snapshot throughout (PostgreSQL)."""
    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")


def tune_for_large_reads(cursor) -> None:
    """This transaction's queries read many rows: sort and hash in memory, plan cursors for
    every row, and skip JIT compiling (it costs more than it saves here)."""
    cursor.execute("SET LOCAL work_mem = '64MB'")
    cursor.execute("SET LOCAL cursor_tuple_fraction = 1.0")
    cursor.execute("SET LOCAL jit = off")


def export() -> str:
    """The current transaction's snapshot, for another connection to import."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_export_snapshot()")
        (snapshot,) = cursor.fetchone()
    return snapshot


def begin_in(cursor, snapshot: str) -> None:
    """Make ``cursor``'s transaction, just begun, read ``snapshot``."""
    if not _SNAPSHOT_ID.match(snapshot):  # SET takes no parameters; never interpolate freely
        raise ValueError(f"not a snapshot id: {snapshot!r}")
    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    cursor.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
    tune_for_large_reads(cursor)


def shareable() -> bool:
    """Whether this transaction's snapshot can be read by another connection too (never
    from inside a savepoint: PostgreSQL exports no snapshot from a subtransaction)."""
    return (
        _shared.get()
        and connection.vendor == "postgresql"
        and connection.in_atomic_block
        and not any(connection.savepoint_ids)
    )


@contextmanager
def one_snapshot():
    """A block whose reads all see one committed state of the database. Inside another
    such block it adds nothing (the outer block's snapshot holds); inside any other
    transaction it is a savepoint of it."""
    if _inside.get():
        yield
        return
    own = connection.vendor == "postgresql" and not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                if own:
                    repeatable_read(cursor)
                tune_for_large_reads(cursor)
        inside, shared = _inside.set(True), _shared.set(own)
        try:
            yield
        finally:
            _shared.reset(shared)
            _inside.reset(inside)


def in_parallel(here: Callable[[], object], there: Callable[[], object]) -> tuple:
    """``(here(), there())``: ``there`` on a second connection reading this transaction's
    snapshot while ``here`` runs on this one, when the snapshot can be shared; otherwise
    one after the other. Both must only read."""
    if not shareable():
        return here(), there()
    snapshot = export()
    outcome: dict = {}

    def run_there() -> None:
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:  # this thread's own connection
                    begin_in(cursor, snapshot)
                outcome["value"] = there()
        except BaseException as error:  # handed back to the caller's thread below
            outcome["error"] = error
        finally:
            connections.close_all()

    worker = threading.Thread(target=run_there, name="snapshot-reader")
    worker.start()
    try:
        result_here = here()
    finally:
        worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return result_here, outcome["value"]
