"""The draw's exclusions file: every candidate left out of the frame with its reason, as
gzip CSV (``case_ref,reason``), in the order of ``frames.exclusions``."""

import gzip

from django.db import connection

from audits.core import sampling
from audits.infra import files
from audits.models import Cycle
from audits.selectors import frames
from audits.selectors.sample_record import FRAMES

HEADER = b"case_ref,reason\n"
LINE_BREAK = "a case_ref left out of the frame contains a line break"


def write_exclusions_file(cycle: Cycle, name: str) -> tuple[dict[str, int], str]:
    """Store the exclusions file as ``name`` in the frames storage; returns the counts by
    reason and the file's SHA-256. In PostgreSQL the lines are built in the database and
    written a block at a time; elsewhere row by row. bench/sampling.py --closed-before 80
    (1,000,000 cases, 800,000 left out), this shared machine, best of 3: 2.35 s as the
    ORM's rows formatted and written one by one, 0.63-0.77 s so (the draw 2.79 s and
    1.08-1.36 s). Like the frame, gzip level 1: the
    file is written once and kept (bench/sampling.py's 1,000,000-case register with 804,000
    cases closed before the period: 2.0 MB at level 9, 2.3 MB at level 1)."""
    lines = frames.exclusion_lines_sql(cycle) if connection.vendor == "postgresql" else None
    counted: dict[str, int] = {}

    def write_rows(compressed) -> None:
        for case_ref, reason in frames.exclusions(cycle):
            if "\n" in case_ref:
                raise sampling.SamplingError(LINE_BREAK)
            compressed.write(f"{case_ref},{reason}\n".encode())
            counted[reason] = counted.get(reason, 0) + 1

    def write_blocks(compressed) -> None:
        sql, params, reasons = lines
        endings = {reason: f",{reason}\n".encode() for reason in reasons}
        connection.ensure_connection()
        for block, count in frames.frame_line_blocks(connection.connection, sql, params):
            # Each line ends with its reason; a line break inside a case_ref would make the
            # counts (and the file) wrong, so the block is checked to hold one per line.
            by_reason = {reason: block.count(ending) for reason, ending in endings.items()}
            if block.count(b"\n") != count or sum(by_reason.values()) != count:
                raise sampling.SamplingError(LINE_BREAK)
            compressed.write(block)
            for reason, n in by_reason.items():
                if n:
                    counted[reason] = counted.get(reason, 0) + n

    def write(stream) -> None:
        with gzip.GzipFile(
            filename="",
            fileobj=stream,
            mode="wb",
            compresslevel=sampling.FRAME_GZIP_LEVEL,
            mtime=0,
        ) as compressed:
            compressed.write(HEADER)
            if lines is None:
                write_rows(compressed)
            else:
                write_blocks(compressed)

    _, sha256 = files.store(FRAMES, name, write)
    return counted, sha256
