"""Reading a register CSV file and checking it whole, row by row with the rules of
core/register_csv.py: every problem listed (first MAX_LISTED_ERRORS) and counted, the rows
streamed, never held. Pure: no ORM."""

import codecs
import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from audits.core.register_csv import Kind, Lookups, RowError, RowProblem

MAX_LISTED_ERRORS = 1000


class FileProblem(Exception):
    """The file as a whole cannot be read (empty, not UTF-8, not CSV, wrong header)."""

    def __init__(self, errors: list[RowError]):
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


def read_header(reader, kind: Kind) -> list[str]:
    try:
        header = next(reader)
    except StopIteration:
        raise FileProblem([RowError(1, None, "the file is empty")]) from None
    names = [name.strip().lower() for name in header]
    if not set(names) & set(kind.columns):
        expected = ",".join(kind.columns)
        raise FileProblem(
            [RowError(1, None, f"not a CSV file of {kind.name}: the first line must be {expected}")]
        )
    errors = [
        RowError(1, column, "missing column") for column in kind.columns if column not in names
    ]
    errors += [
        RowError(1, name or f"column {i + 1}", "unknown column")
        for i, name in enumerate(names)
        if name not in kind.columns
    ]
    errors += [
        RowError(1, name, "column appears twice")
        for i, name in enumerate(names)
        if name in names[:i] and name in kind.columns
    ]
    if errors:
        raise FileProblem(errors)
    return names


class NotUtf8(Exception):
    def __init__(self, line: int):
        super().__init__(line)
        self.line = line


def _decoded_lines(fileobj: BinaryIO) -> Iterator[str]:
    """Decode line by line so a bad byte is reported on its own line, not a later one."""
    for number, raw in enumerate(fileobj, start=1):
        if number == 1:
            raw = raw.removeprefix(codecs.BOM_UTF8)  # Excel's "CSV UTF-8" starts with a BOM
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            raise NotUtf8(number) from None


def iter_rows(fileobj: BinaryIO, kind: Kind) -> Iterator[tuple[int, dict]]:
    """Yield (line, row) from a binary CSV stream, raising FileProblem for unreadable files."""
    fileobj.seek(0)
    reader = csv.reader(_decoded_lines(fileobj))
    try:
        names = read_header(reader, kind)
        for values in reader:
            line = reader.line_num
            if not any(value.strip() for value in values):
                continue  # blank lines, as spreadsheets often leave at the end
            if len(values) != len(names):
                yield line, {"__width__": (len(values), len(names))}
                continue
            yield line, dict(zip(names, values, strict=True))
    except NotUtf8 as problem:
        raise FileProblem(
            [RowError(problem.line, None, "the file is not UTF-8 text: save it as 'CSV UTF-8'")]
        ) from None
    except csv.Error as error:
        raise FileProblem(
            [RowError(max(reader.line_num, 1), None, f"not a CSV file: {error}")]
        ) from None


def convert_rows(
    fileobj: BinaryIO, kind: Kind, lookups: Lookups
) -> Iterator[tuple[int, Any, dict | RowError]]:
    """Yield (line, key, record) for good rows and (line, None, RowError) for bad ones."""
    for line, row in iter_rows(fileobj, kind):
        if "__width__" in row:
            got, expected = row["__width__"]
            yield (
                line,
                None,
                RowError(line, None, f"row has {got} fields, the header has {expected}"),
            )
            continue
        try:
            key, record = kind.convert(row, lookups)
        except RowProblem as problem:
            yield line, None, RowError(line, problem.column, problem.message)
            continue
        yield line, key, record


# progress: rows done; on_good: each good record until a problem is found (write as it checks)
Sink = Callable[[Any], None] | None


@dataclass
class CheckResult:
    rows: int
    errors: list[RowError]
    error_count: int

    @property
    def ok(self) -> bool:
        return self.error_count == 0


def check_file(
    fileobj: BinaryIO, kind: Kind, lookups: Lookups, progress: Sink = None, on_good: Sink = None
) -> CheckResult:
    """Check every row; list the first MAX_LISTED_ERRORS problems and count them all."""
    errors: list[RowError] = []
    error_count = 0
    rows = 0
    first_line_of: dict[Any, int] = {}

    def note(error: RowError) -> None:
        nonlocal error_count
        error_count += 1
        if len(errors) < MAX_LISTED_ERRORS:
            errors.append(error)

    try:
        for line, key, record in convert_rows(fileobj, kind, lookups):
            rows += 1
            if progress and rows % 1000 == 0:
                progress(1000)
            if isinstance(record, RowError):
                note(record)
            elif key in first_line_of:
                message = f"duplicate {kind.key_label}: first seen on line {first_line_of[key]}"
                note(RowError(line, kind.key_label.split(",")[0], message))
            else:
                first_line_of[key] = line
                if on_good is not None and error_count == 0:
                    on_good(record)
    except FileProblem as problem:
        for error in problem.errors:
            note(error)
    if error_count == 0 and rows == 0:
        note(RowError(2, None, "the file has a header but no rows"))
    return CheckResult(rows=rows, errors=errors, error_count=error_count)
