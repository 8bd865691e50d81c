"""Page size, colours and paragraph styles of the assurance report."""

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm

DEFAULT_TITLE = "Case audit assurance report"
DEFAULT_GRADE_SCALE = {
    "1": "Inadequate",
    "2": "Requires improvement",
    "3": "Good",
    "4": "Outstanding",
}

MARGIN = 16 * mm
WIDTH = A4[0] - 2 * MARGIN
RULE, HEADER_FILL, TOTAL_FILL = (colors.HexColor(c) for c in ("#BBBBBB", "#E8EEF4", "#F4F4F4"))

_sample = getSampleStyleSheet()
BODY = ParagraphStyle("Body", _sample["BodyText"], fontName="Helvetica", fontSize=9.5, leading=13)
SMALL = ParagraphStyle("Small", BODY, fontSize=7.5, leading=9.5)
CELL = ParagraphStyle("Cell", BODY, fontSize=8, leading=10, spaceBefore=0, spaceAfter=0)
CELL_BOLD = ParagraphStyle("CellBold", CELL, fontName="Helvetica-Bold")
CELL_RIGHT = ParagraphStyle("CellRight", CELL, alignment=TA_RIGHT)
TINY = ParagraphStyle("Tiny", CELL, fontSize=7, leading=8.5)
LABEL = ParagraphStyle("Label", CELL_BOLD, spaceBefore=8, spaceAfter=2, keepWithNext=1)
# An introduction stays on the page of the table or chart it introduces.
LEAD = ParagraphStyle("Lead", BODY, keepWithNext=1)
H1 = ParagraphStyle("H1", _sample["Heading1"], fontName="Helvetica-Bold", fontSize=17, leading=21)
H2 = ParagraphStyle("H2", _sample["Heading2"], fontName="Helvetica-Bold", fontSize=12, leading=15)
H1.keepWithNext = H2.keepWithNext = 1
H1.spaceBefore = 16
CODE = ParagraphStyle("Code", fontName="Courier", backColor=colors.HexColor("#F2F2F2"))
HEADING_LEVELS = {H1.name: 0, H2.name: 1}
