"""The appendix's table: rows of plain lines already wrapped to their columns, with their
heights known, drawn straight onto the page.

A reportlab Table draws each cell with its own text object (``canvas.drawString``: a BT/ET
pair, a font lookup and the text encoded per line) and re-applies its style commands to
every cell of each part it splits into; at 50,000 cases that was most of the compile.
Here a page part writes all its text in one text object, positions each line with one
operator, and a page split is two slices of the same rows. What is printed is what the
styled LongTable printed: a bold header repeated on every page on a light fill with a rule
below it, rows striped, each cell's lines at its top-left corner within the padding.
bench/report_compile.py, 50,000 audits, this shared 2-core machine under load, the styled
LongTable and this run one after the other: render_pdf 52.2 s against 7.1 s, while the
floor's bare LongTables (one a page, no styling) took 27.4 s and 25.9 s to render; the whole
compile went from 2.80x the floor to 0.79x.
"""

from collections.abc import Sequence
from itertools import accumulate

from reportlab.lib import colors
from reportlab.pdfgen.canvas import escapePDF
from reportlab.platypus import Flowable

from worker.report_pdf.styles import HEADER_FILL

FONT, BOLD, SIZE, LEADING = "Helvetica", "Helvetica-Bold", 7, 8.5
PAD_X, PAD_Y = 3, 1.5
STRIPE = colors.HexColor("#F6F6F6")
RULE = colors.HexColor("#888888")

# A row: one tuple of lines per column, and the row's height in points.
Row = tuple[Sequence[tuple[str, ...]], float]


def row_height(cells: Sequence[tuple[str, ...]]) -> float:
    return max(map(len, cells)) * LEADING + 2 * PAD_Y


class AppendixTable(Flowable):
    """``rows`` under ``header`` in columns of ``widths``; split between rows across pages,
    the header repeated on each part, every second row of a part striped."""

    def __init__(self, header: Row, rows: Sequence[Row], widths: Sequence[float]):
        super().__init__()
        self.header, self.rows, self.widths = header, rows, list(widths)
        self.hAlign = "LEFT"
        self.width = sum(self.widths)
        self.height = header[1] + sum(height for _, height in rows)

    def wrap(self, availWidth, availHeight):
        return self.width, self.height

    def split(self, availWidth, availHeight):
        room = availHeight - self.header[1]
        fits = sum(1 for bottom in accumulate(h for _, h in self.rows) if bottom <= room)
        if fits == 0 or fits == len(self.rows):
            return [] if fits == 0 else [self]
        return [
            AppendixTable(self.header, self.rows[:fits], self.widths),
            AppendixTable(self.header, self.rows[fits:], self.widths),
        ]

    def draw(self):
        canvas = self.canv
        header_height = self.header[1]
        top = self.height - header_height
        canvas.saveState()
        canvas.setFillColor(HEADER_FILL)
        canvas.rect(0, top, self.width, header_height, stroke=0, fill=1)
        canvas.setFillColor(STRIPE)
        striped = False
        for _, height in self.rows:
            top -= height
            if striped:
                canvas.rect(0, top, self.width, height, stroke=0, fill=1)
            striped = not striped
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.6)
        canvas.line(0, self.height - header_height, self.width, self.height - header_height)

        text = canvas.beginText()
        text.setFillColor(colors.black)
        text.setFont(BOLD, SIZE, LEADING)
        code = text._code
        lefts = [f"{x + PAD_X:.2f}" for x in accumulate([0, *self.widths[:-1]])]
        shown: dict[str, str] = {}  # teams, strata, names and grades repeat down the page

        def put(cells, row_top):
            for left, lines in zip(lefts, cells, strict=True):
                y = row_top - PAD_Y - SIZE
                for line in lines:
                    if line:
                        operator = shown.get(line)
                        if operator is None:
                            operator = shown[line] = _show(text, line)
                        code.append(f"1 0 0 1 {left} {y:.2f} Tm {operator}")
                    y -= LEADING

        put(self.header[0], self.height)
        shown.clear()  # the header's words in its own font
        text.setFont(FONT, SIZE, LEADING)
        row_top = self.height - header_height
        for cells, height in self.rows:
            put(cells, row_top)
            row_top -= height
        canvas.drawText(text)
        canvas.restoreState()


def _show(text, line: str) -> str:
    """The operator(s) printing ``line`` in the text object's font: plain ASCII escaped as
    reportlab escapes it, anything else through reportlab's own encoding (which also falls
    back to its substitution fonts)."""
    if line.isascii():
        return f"({escapePDF(line.encode())}) Tj"
    return text._formatText(line)
