"""The building blocks of the report's pages: paragraphs, ruled tables of records,
label/value tables, bullet lists and monospaced code."""

import shlex
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle, XPreformatted

from worker.report_pdf.styles import (
    BODY,
    CELL,
    CELL_BOLD,
    CELL_RIGHT,
    CODE,
    HEADER_FILL,
    RULE,
    TOTAL_FILL,
    WIDTH,
)
from worker.report_pdf.words import as_count, as_text


class Column(NamedTuple):
    """One column of a table of records: its header, relative width and cell value."""

    header: str
    width: float
    value: Callable[[Mapping], Any]
    right: bool = False


def field(key: str, words: Callable[[Any], str] = as_text) -> Callable[[Mapping], str]:
    return lambda record: words(record.get(key))


def number(header: str, width: float, key: str, words: Callable = as_count) -> Column:
    return Column(header, width, field(key, words), right=True)


def para(text: Any, style: ParagraphStyle = BODY) -> Paragraph:
    return Paragraph(escape(str(text)), style)


def grid(data: list[list], widths: list[float], *, total: bool = False) -> Any:
    """A ruled table with a shaded header row repeated on each page."""
    scale = WIDTH / sum(widths)
    table = Table(data, colWidths=[w * scale for w in widths], repeatRows=1, hAlign="LEFT")
    style = [
        ("GRID", (0, 0), (-1, -1), 0.4, RULE),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    if total:
        style.append(("BACKGROUND", (0, -1), (-1, -1), TOTAL_FILL))
    table.setStyle(TableStyle(style))
    return table


def cell(value: Any, right: bool) -> Any:
    return para(value, CELL_RIGHT if right else CELL) if isinstance(value, str) else value


def records_table(
    records: list[Mapping], columns: list[Column], empty: str, total: Mapping | None = None
) -> list:
    """One row per record (and an optional totals row), or the ``empty`` sentence."""
    if not records:
        return [para(empty)] if empty else []
    data = [[para(column.header, CELL_BOLD) for column in columns]]
    for record in [*records, *([total] if total else [])]:
        data.append([cell(column.value(record), column.right) for column in columns])
    return [grid(data, [column.width for column in columns], total=bool(total))]


def facts_table(pairs: Iterable[tuple[str, Any]]) -> Table:
    """Two-column label / value table for single figures."""
    rows = [[para(label, CELL_BOLD), cell(value, right=False)] for label, value in pairs]
    table = Table(rows, colWidths=[WIDTH * 0.42, WIDTH * 0.58], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, colors.HexColor("#DDDDDD")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def mono(text: str, size: float = 8) -> Paragraph:
    return Paragraph(f'<font face="Courier" size="{size}">{escape(text)}</font>', CELL)


def bullets(items: Any, empty: str) -> list:
    if not isinstance(items, list) or not items:
        return [para(empty)] if empty else []
    return [Paragraph(escape(str(item)), BODY, bulletText="•") for item in items]


def code_block(text: str) -> XPreformatted:
    """Monospaced lines at the largest size (8pt down to 5.5pt) that fits the longest line,
    so the script is printed exactly as it must be typed, without wrapping."""
    longest = max((len(line) for line in text.splitlines()), default=1) or 1
    size = max(5.5, min(8.0, (WIDTH - 12) / (0.6 * longest)))
    style = ParagraphStyle(
        "CodeFitted",
        CODE,
        fontSize=size,
        leading=size * 1.2,
        borderPadding=5,
        leftIndent=5,
        rightIndent=5,
        spaceBefore=4,
        spaceAfter=6,
    )
    return XPreformatted(escape(text.rstrip("\n")), style)


def command_lines(command: str, size: float = 8.0) -> str:
    """Break a long shell command between arguments with backslash continuations."""
    per_line = int((WIDTH - 12) / (0.6 * size))
    if len(command) <= per_line:
        return command
    lexer = shlex.shlex(command, posix=False)
    lexer.whitespace_split = True
    try:
        words = list(lexer)
    except ValueError:  # unbalanced quotes: print it as it is rather than break it wrongly
        return command
    lines, current = [], ""
    for word in words:
        if current and len(current) + len(word) + 3 > per_line:
            lines.append(current + " \\")
            current = "    " + word
        else:
            current = f"{current} {word}" if current else word
    return "\n".join([*lines, current])


def chart_or(drawing: Any, empty: str) -> list:
    return [drawing, Spacer(1, 6)] if drawing is not None else [para(empty)]
