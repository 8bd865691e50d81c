"""The assurance report as a PDF: figures dict in, bytes out (DESIGN.md section 7).

Pure: no Django, no database. Everything printed comes from the figures dict the compiler
produced, so the PDF and the JSON always agree, and the same figures give the same bytes
(reportlab's invariant mode fixes the dates and document id it would otherwise stamp).
Any figure may be None where it was not measured and any list may be empty; the report
then says so in words instead of failing. One module per part of the report: cover (and
executive summary), methodology, findings, reliability, actions (and escalations),
appendix; words, blocks and styles are shared by all of them.
"""

from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any, BinaryIO

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, PageBreak, Paragraph, SimpleDocTemplate

from worker.report_pdf.actions import escalations_and_actions
from worker.report_pdf.appendix import appendix, unfold_later
from worker.report_pdf.cover import cover, executive_summary
from worker.report_pdf.external import external_access_flowables
from worker.report_pdf.findings import findings
from worker.report_pdf.methodology import methodology
from worker.report_pdf.reliability import reconciliation, reliability
from worker.report_pdf.responses import practitioner_responses_flowables
from worker.report_pdf.styles import BODY, DEFAULT_TITLE, H2, HEADING_LEVELS, MARGIN
from worker.report_pdf.words import as_text, section, staff_names

__all__ = ["render_pdf"]


def _is_heading(flowable: Any) -> bool:
    return isinstance(flowable, Paragraph) and flowable.style.name in HEADING_LEVELS


def _keep_parts(story: list) -> list:
    """Keep each headed part (heading, words, chart, table) on one page where it fits, so no
    heading or introduction is left at the foot of a page apart from what it introduces. A
    part taller than a page starts on a fresh page and flows on from there."""
    grouped: list = []
    part: list = []
    for flowable in story:
        starts_part = _is_heading(flowable) and not all(map(_is_heading, part))
        if part and (starts_part or isinstance(flowable, PageBreak)):
            grouped.append(KeepTogether(part))
            part = []
        (grouped if isinstance(flowable, PageBreak) else part).append(flowable)
    return [*grouped, *([KeepTogether(part)] if part else [])]


class _ReportDocument(SimpleDocTemplate):
    """Adds a bookmark for each heading so a long report can be navigated, and makes the
    appendix's tables as the layout reaches them."""

    def filterFlowables(self, flowables: list) -> None:
        unfold_later(flowables)

    def afterFlowable(self, flowable: Any) -> None:
        level = HEADING_LEVELS.get(getattr(getattr(flowable, "style", None), "name", None))
        if level is not None:
            title = flowable.getPlainText()
            key = f"heading-{self.page}-{title}"
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(title, key, level=level, closed=level > 0)


def _footer(text: str, canvas: Any, document: Any) -> None:
    canvas.saveState()
    canvas.setFont("Helvetica", 7)
    canvas.setFillColor(colors.HexColor("#444444"))
    canvas.drawString(MARGIN, 9 * mm, f"{text} · page {document.page}")
    canvas.restoreState()


def render_pdf(figures: dict, stream: BinaryIO, appendix_rows: Iterable[Mapping] = ()) -> None:
    """Write the complete assurance report for ``figures`` to ``stream`` as a PDF, with the
    appendix of ``appendix_rows`` (the completed first audits, by case reference, read one
    page-sized chunk at a time; iterated twice)."""
    report, cycle = section(figures, "report"), section(figures, "cycle")
    title = report.get("title") or DEFAULT_TITLE
    signature = (
        f"Report hash {as_text(report.get('hash'))} · version {as_text(report.get('version'))}"
    )
    document = _ReportDocument(
        stream,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 4 * mm,
        title=f"{title}: {cycle['name']}" if cycle.get("name") else title,
        author="CaseAssure",
        subject=signature,
        creator="CaseAssure",
        invariant=1,
        pageCompression=1,  # each page compressed as it is finished, not held as text
    )
    names = staff_names(figures, appendix_rows)  # one pass over the rows
    story = [
        *cover(figures),
        *_keep_parts(
            [
                *executive_summary(figures),
                *methodology(figures, names),
                *findings(figures),
                *reliability(figures),
                *reconciliation(figures),
                *escalations_and_actions(figures),
                *practitioner_responses_flowables(figures, heading=H2, body=BODY),
                *external_access_flowables(figures, heading=H2, body=BODY),
            ]
        ),
        *appendix(figures, appendix_rows, names),
    ]
    footer = partial(_footer, signature)
    document.build(story, onFirstPage=footer, onLaterPages=footer)
