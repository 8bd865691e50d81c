"""Writing a cycle's frame file from PostgreSQL, alongside the draw.

The frame file is the largest part of a draw (every case of the frame, sorted, gzipped and
hashed). When the draw is its own transaction, a second connection writes it while the
draw's connection plans, selects and lists the exclusions: the two read the same snapshot
(``pg_export_snapshot``), so the file holds exactly the frame the selection ran on, and
the two use both of the machine's cores. Inside a larger transaction (whose rows another
connection cannot see) the frame is written on the draw's own connection at the end.
"""

import threading
from pathlib import Path

from django.db import connection

from audits import frames, sampling, snapshot
from audits.files import write_atomically


def _write(raw_connection, sql: str, params: list, path: Path) -> str:
    blocks = frames.frame_line_blocks(raw_connection, sql, params)
    return write_atomically(path, lambda out: sampling.write_frame_blocks(blocks, out))


class FrameFile:
    """``with FrameFile(cycle, path, alongside=True) as frame_file: ...; frame_file.hash()``

    With ``alongside`` the file is written on a second connection from entering the block;
    ``hash()`` waits for it. Otherwise ``hash()`` writes it. Leaving the block with an error
    stops the writing and leaves no file.
    """

    def __init__(self, cycle, path: Path, *, alongside: bool):
        self.sql, self.params = frames.frame_lines_sql(cycle)
        self.path = path
        self.alongside = alongside
        self._thread: threading.Thread | None = None
        self._other = None
        self._hash: str | None = None
        self._error: BaseException | None = None

    def __enter__(self):
        if self.alongside:
            shared = snapshot.export()
            self._other = connection.get_new_connection(connection.get_connection_params())
            self._thread = threading.Thread(
                target=self._write_alongside, args=(shared,), name="frame-writer"
            )
            self._thread.start()
        return self

    def _write_alongside(self, shared: str) -> None:
        other = self._other
        try:
            with other.cursor() as cursor:
                snapshot.begin_in(cursor, shared)
                # One core for the frame, the other for the selection (which the draw
                # waits for first): no parallel workers of its own.
                cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
            self._hash = _write(other, self.sql, self.params, self.path)
            other.rollback()  # it only read
        except BaseException as error:  # handed to the caller's thread in hash()
            self._error = error

    def hash(self) -> str:
        """The frame hash of the file written (waiting for it, or writing it now)."""
        if not self.alongside:
            connection.ensure_connection()
            return _write(connection.connection, self.sql, self.params, self.path)
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._hash

    def __exit__(self, exc_type, exc, traceback):
        if self._thread is not None:
            if exc_type is not None and self._thread.is_alive():
                self._other.cancel_safe()
            self._thread.join()
            self._other.close()
            if exc_type is not None:
                self.path.unlink(missing_ok=True)
        return False
