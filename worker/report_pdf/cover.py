"""The cover (title, cycle, opinion, Interim notice, hash) and the executive summary
(the opinion, the conditions it rests on, caveats and key figures)."""

from collections.abc import Callable, Mapping
from functools import partial
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Paragraph, Spacer

from audits.core.display import headline, threshold_percent
from worker.report_pdf.blocks import Column, bullets, facts_table, field, para, records_table
from worker.report_pdf.styles import BODY, CELL_BOLD, DEFAULT_TITLE, H1, H2, LEAD, SMALL
from worker.report_pdf.words import (
    as_count,
    as_date,
    as_datetime,
    as_text,
    opinion_words,
    records,
    section,
)


def cover(figures: Mapping) -> list:
    report, cycle = section(figures, "report"), section(figures, "cycle")
    centred = partial(ParagraphStyle, parent=BODY, alignment=TA_CENTER)
    period = f"{as_date(cycle.get('period_start'))} to {as_date(cycle.get('period_end'))}"
    opinion = opinion_words(section(figures, "opinion").get("level"))
    grey = colors.HexColor("#555555")
    as_of = figures.get("as_of") if isinstance(figures, Mapping) else None
    interim = isinstance(figures, Mapping) and bool(figures.get("interim"))
    return [
        Spacer(1, 45 * mm),
        para(report.get("title") or DEFAULT_TITLE, centred("T", fontSize=24, leading=30)),
        Spacer(1, 6 * mm),
        para(as_text(cycle.get("name")), centred("C", fontSize=16, leading=20)),
        para(f"Period audited: {period}", centred("P", fontSize=11, leading=16)),
        para(f"Figures as at {as_datetime(as_of)}", centred("A", fontSize=10))
        if as_of
        else Spacer(1, 0),
        Spacer(1, 25 * mm),
        para("Assurance opinion", centred("OL", fontSize=12, textColor=grey)),
        para(opinion, centred("O", fontName="Helvetica-Bold", fontSize=34, leading=42)),
        *(_interim_notice(figures, centred) if interim else [Spacer(1, 30 * mm)]),
        para(f"Report version {as_text(report.get('version'))}", centred("V", fontSize=10)),
        para("Report hash (SHA-256 of the report's data and figures):", centred("H", fontSize=9)),
        para(as_text(report.get("hash")), centred("HV", fontName="Courier", fontSize=8.5)),
        PageBreak(),
    ]


def _interim_notice(figures: Mapping, centred: Callable) -> list:
    """Compiled before the sample was (nearly) all audited: said on the cover, in red."""
    threshold = section(figures, "opinion", "thresholds").get("completion_caveat", 0.9)
    red = colors.HexColor("#B00020")
    return [
        Spacer(1, 6 * mm),
        para(
            "Interim",
            centred("I", fontName="Helvetica-Bold", fontSize=22, leading=28, textColor=red),
        ),
        para(
            f"Compiled before {threshold_percent(threshold)} of the sample was audited: "
            f"{headline(dict(figures))['completion']} completed.",
            centred("IW", fontSize=10, textColor=red),
        ),
        Spacer(1, 12 * mm),
    ]


def _result(condition: Mapping) -> str:
    """Met or not met; a condition on a figure that was not measured is neither."""
    if condition.get("value") is None:
        return "Not measured"
    return "Met" if condition.get("held") else "Not met"


CONDITION_COLUMNS = [
    Column("Level", 25, lambda c: opinion_words(c.get("opinion"))),
    Column("Condition", 62, field("text")),
    Column("Result", 13, lambda c: para(_result(c), CELL_BOLD)),
]


def executive_summary(figures: Mapping) -> list:
    opinion, summary = section(figures, "opinion"), section(figures, "summary")
    key = headline(dict(figures))
    interim = "Interim report. " if figures.get("interim") else ""
    words = f"<b>{interim}Opinion: {escape(opinion_words(opinion.get('level')))}.</b>"
    return [
        para("Executive summary", H1),
        Paragraph(f"{words} {escape(opinion.get('reason') or '')}", BODY),
        para("What the opinion rests on", H2),
        para(
            "The opinion is the highest level whose conditions are all met. Every condition "
            "of every level is listed, so the reader can see what a higher level would need.",
            LEAD,
        ),
        *records_table(
            records(opinion, "conditions"), CONDITION_COLUMNS, "No conditions were tested."
        ),
        para("Caveats", H2),
        *bullets(opinion.get("caveats"), "No caveats apply."),
        para("Key figures", H2),
        facts_table(
            [
                ("Cases planned", as_count(summary.get("planned"))),
                ("Completed audits", key["completion"]),
                ("Good or better (stratified estimate)", key["good_or_better"]),
                ("95% interval", key["interval"]),
                ("The estimate covers", key["scope"]),
                ("Graded Inadequate", as_count(summary.get("inadequate"))),
                ("Safeguarding escalations", as_count(summary.get("escalations"))),
                ("Escalations acknowledged late", as_count(summary.get("overdue_escalations"))),
                ("Actions overdue", as_count(summary.get("overdue_actions"))),
            ]
        ),
        para(
            "Good or better is the stratified estimate for the cases the line above names: "
            "each stratum counts in proportion to how many cases it holds in the frame, not "
            "to how many were audited. Every percentage of good or better in this report is "
            "this estimate unless it says 'of audited cases'. Completion is completed first "
            "audits over the cases in the sample now (after replacements).",
            SMALL,
        ),
        PageBreak(),
    ]
