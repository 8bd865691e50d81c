"""The assurance report as a PDF: figures dict in, bytes out (DESIGN.md section 7).

Pure: no Django, no database. Everything printed comes from the figures dict the compiler
produced, so the PDF and the JSON always agree, and the same figures give the same bytes
(reportlab's invariant mode fixes the dates and document id it would otherwise stamp).
Any figure may be None where it was not measured and any list may be empty; the report
then says so in words instead of failing.
"""

import shlex
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from functools import partial
from typing import Any, BinaryIO, NamedTuple
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    KeepTogether,
    LongTable,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
    XPreformatted,
)

from audits.core.display import headline, threshold_percent
from worker import report_charts
from worker.report_pdf_responses import practitioner_responses_flowables

NOT_MEASURED = "not measured"
DEFAULT_TITLE = "Case audit assurance report"
DEFAULT_GRADE_SCALE = {
    "1": "Inadequate",
    "2": "Requires improvement",
    "3": "Good",
    "4": "Outstanding",
}
# Table.split re-measures every row left in the table, so one table of n rows costs about
# n^2 / rows_per_page; fixed-size chunks keep the appendix linear in the number of cases.
APPENDIX_CHUNK_ROWS = 300

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


# --- plain words for values ------------------------------------------------------------------


def _section(figures: Any, *keys: str) -> Mapping:
    """The nested mapping at keys, or {} when any level is missing or None."""
    for key in keys:
        figures = figures.get(key) if isinstance(figures, Mapping) else None
    return figures if isinstance(figures, Mapping) else {}


def _records(mapping: Mapping, key: str) -> list[Mapping]:
    value = mapping.get(key)
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _text(value: Any) -> str:
    return NOT_MEASURED if value is None or value == "" else str(value)


def _count(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else _text(value)


def _percent(value: float | None, places: int = 1) -> str:
    return NOT_MEASURED if value is None else f"{value * 100:.{places}f}%"


def _decimal(value: float | None) -> str:
    return NOT_MEASURED if value is None else f"{value:.2f}"


def _yes_no(value: bool | None) -> str:
    return NOT_MEASURED if value is None else ("Yes" if value else "No")


def _date(value: Any) -> str:
    try:
        day = date.fromisoformat(str(value)[:10])
    except ValueError:
        return _text(value)
    return f"{day.day} {day:%B %Y}"


def _datetime(value: Any) -> str:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return _text(value)
    offset = moment.utcoffset()
    zone = "" if offset is None else (" UTC" if not offset else f" (UTC{moment:%z})")
    return f"{moment.day} {moment:%B %Y}, {moment:%H:%M}{zone}"


def _interval(low: float | None, high: float | None) -> str:
    return NOT_MEASURED if low is None or high is None else f"{_percent(low)} to {_percent(high)}"


def _limits(pair: Any) -> str:
    return _interval(*pair) if isinstance(pair, list | tuple) and len(pair) == 2 else NOT_MEASURED


def _of(part: int | None, whole: int | None, what: str) -> str:
    """ "39 of 41 planned", or "not measured" unless both counts are known."""
    return NOT_MEASURED if part is None or whole is None else f"{part:,} of {whole:,} {what}"


def _with_rate(count: int | None, rate: float | None) -> str:
    return _count(count) if rate is None else f"{_count(count)} ({_percent(rate)})"


def _opinion_words(level: str | None) -> str:
    if not level:
        return "No opinion formed"
    return level if level.lower().endswith("assurance") else f"{level} assurance"


# --- building blocks --------------------------------------------------------------------------


class Column(NamedTuple):
    """One column of a table of records: its header, relative width and cell value."""

    header: str
    width: float
    value: Callable[[Mapping], Any]
    right: bool = False


def _field(key: str, words: Callable[[Any], str] = _text) -> Callable[[Mapping], str]:
    return lambda record: words(record.get(key))


def _number(header: str, width: float, key: str, words: Callable = _count) -> Column:
    return Column(header, width, _field(key, words), right=True)


def _p(text: Any, style: ParagraphStyle = BODY) -> Paragraph:
    return Paragraph(escape(str(text)), style)


def _grid(data: list[list], widths: list[float], *, total: bool = False) -> Any:
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


def _cell(value: Any, right: bool) -> Any:
    return _p(value, CELL_RIGHT if right else CELL) if isinstance(value, str) else value


def _table(
    records: list[Mapping], columns: list[Column], empty: str, total: Mapping | None = None
) -> list:
    """One row per record (and an optional totals row), or the ``empty`` sentence."""
    if not records:
        return [_p(empty)] if empty else []
    data = [[_p(column.header, CELL_BOLD) for column in columns]]
    for record in [*records, *([total] if total else [])]:
        data.append([_cell(column.value(record), column.right) for column in columns])
    return [_grid(data, [column.width for column in columns], total=bool(total))]


def _facts(pairs: Iterable[tuple[str, Any]]) -> Table:
    """Two-column label / value table for single figures."""
    rows = [[_p(label, CELL_BOLD), _cell(value, right=False)] for label, value in pairs]
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


def _mono(text: str, size: float = 8) -> Paragraph:
    return Paragraph(f'<font face="Courier" size="{size}">{escape(text)}</font>', CELL)


def _bullets(items: Any, empty: str) -> list:
    if not isinstance(items, list) or not items:
        return [_p(empty)] if empty else []
    return [Paragraph(escape(str(item)), BODY, bulletText="•") for item in items]


def _code_block(text: str) -> XPreformatted:
    """Monospaced lines at the largest size (8pt down to 5.5pt) that fits the longest line,
    so the script is printed exactly as it must be typed, without wrapping."""
    longest = max((len(line) for line in text.splitlines()), default=1) or 1
    size = max(5.5, min(8.0, (WIDTH - 12) / (0.6 * longest)))
    style = ParagraphStyle(
        "CodeFitted", CODE, fontSize=size, leading=size * 1.2, borderPadding=5,
        leftIndent=5, rightIndent=5, spaceBefore=4, spaceAfter=6,
    )  # fmt: skip
    return XPreformatted(escape(text.rstrip("\n")), style)


def _command_lines(command: str, size: float = 8.0) -> str:
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


def _chart_or(drawing: Any, empty: str) -> list:
    return [drawing, Spacer(1, 6)] if drawing is not None else [_p(empty)]


# --- sections ---------------------------------------------------------------------------------


def _cover(figures: Mapping) -> list:
    report, cycle = _section(figures, "report"), _section(figures, "cycle")
    centred = partial(ParagraphStyle, parent=BODY, alignment=TA_CENTER)
    period = f"{_date(cycle.get('period_start'))} to {_date(cycle.get('period_end'))}"
    opinion = _opinion_words(_section(figures, "opinion").get("level"))
    grey = colors.HexColor("#555555")
    as_of = figures.get("as_of") if isinstance(figures, Mapping) else None
    interim = isinstance(figures, Mapping) and bool(figures.get("interim"))
    return [
        Spacer(1, 45 * mm),
        _p(report.get("title") or DEFAULT_TITLE, centred("T", fontSize=24, leading=30)),
        Spacer(1, 6 * mm),
        _p(_text(cycle.get("name")), centred("C", fontSize=16, leading=20)),
        _p(f"Period audited: {period}", centred("P", fontSize=11, leading=16)),
        _p(f"Figures as at {_datetime(as_of)}", centred("A", fontSize=10))
        if as_of
        else Spacer(1, 0),
        Spacer(1, 25 * mm),
        _p("Assurance opinion", centred("OL", fontSize=12, textColor=grey)),
        _p(opinion, centred("O", fontName="Helvetica-Bold", fontSize=34, leading=42)),
        *(_interim_notice(figures, centred) if interim else [Spacer(1, 30 * mm)]),
        _p(f"Report version {_text(report.get('version'))}", centred("V", fontSize=10)),
        _p("Report hash (SHA-256 of the report's data and figures):", centred("H", fontSize=9)),
        _p(_text(report.get("hash")), centred("HV", fontName="Courier", fontSize=8.5)),
        PageBreak(),
    ]


def _interim_notice(figures: Mapping, centred: Callable) -> list:
    """Compiled before the sample was (nearly) all audited: said on the cover, in red."""
    threshold = _section(figures, "opinion", "thresholds").get("completion_caveat", 0.9)
    red = colors.HexColor("#B00020")
    return [
        Spacer(1, 6 * mm),
        _p("Interim", centred("I", fontName="Helvetica-Bold", fontSize=22, textColor=red)),
        _p(
            f"Compiled before {threshold_percent(threshold)} of the sample was audited: "
            f"{headline(dict(figures))['completion']} completed.",
            centred("IW", fontSize=10, textColor=red),
        ),
        Spacer(1, 12 * mm),
    ]


CONDITION_COLUMNS = [
    Column("Level", 25, lambda c: _opinion_words(c.get("opinion"))),
    Column("Condition", 62, _field("text")),
    Column("Result", 13, lambda c: _p("Met" if c.get("held") else "Not met", CELL_BOLD)),
]


def _executive_summary(figures: Mapping) -> list:
    opinion, summary = _section(figures, "opinion"), _section(figures, "summary")
    key = headline(dict(figures))
    interim = "Interim report. " if figures.get("interim") else ""
    words = f"<b>{interim}Opinion: {escape(_opinion_words(opinion.get('level')))}.</b>"
    return [
        _p("Executive summary", H1),
        Paragraph(f"{words} {escape(opinion.get('reason') or '')}", BODY),
        _p("What the opinion rests on", H2),
        _p(
            "The opinion is the highest level whose conditions are all met. Every condition "
            "of every level is listed, so the reader can see what a higher level would need.",
            LEAD,
        ),
        *_table(_records(opinion, "conditions"), CONDITION_COLUMNS, "No conditions were tested."),
        _p("Caveats", H2),
        *_bullets(opinion.get("caveats"), "No caveats apply."),
        _p("Key figures", H2),
        _facts(
            [
                ("Cases planned", _count(summary.get("planned"))),
                ("Completed audits", key["completion"]),
                ("Good or better (stratified estimate)", key["good_or_better"]),
                ("95% interval", key["interval"]),
                ("The estimate covers", key["scope"]),
                ("Graded Inadequate", _count(summary.get("inadequate"))),
                ("Safeguarding escalations", _count(summary.get("escalations"))),
                ("Escalations acknowledged late", _count(summary.get("overdue_escalations"))),
                ("Actions overdue", _count(summary.get("overdue_actions"))),
            ]
        ),
        _p(
            "Good or better is the stratified estimate for the cases the line above names: "
            "each stratum counts in proportion to how many cases it holds in the frame, not "
            "to how many were audited. Every percentage of good or better in this report is "
            "this estimate unless it says 'of audited cases'. Completion is completed first "
            "audits over the cases in the sample now (after replacements).",
            SMALL,
        ),
        PageBreak(),
    ]


FRAME_LABELS = {
    "case_types": "Kinds of case",
    "teams": "Teams",
    "open_on": "Cases open on",
    "exclude_audited_months": "Left out if audited within (months)",
    "exclude_closed_before_period": "Left out if closed before the period",
    "stratify_by": "Sample drawn separately by",
}
STRATUM_COLUMNS = [
    Column("Stratum", 25, _field("stratum")),
    _number("Cases in frame", 15, "population"),
    _number("Planned", 12, "planned"),
    _number("Drawn", 12, "drawn"),
    _number("Replaced", 12, "replacements"),
    _number("In sample", 12, "in_sample"),
    _number("Completed", 12, "completed"),
]
REPLACEMENT_COLUMNS = [
    Column("Case", 13, _field("case_ref")),
    Column("Stratum", 11, _field("stratum")),
    Column("Rank", 7, _field("rank")),
    Column("Why it was replaced", 55, _field("reason")),
    Column("Replaced by", 14, _field("replaced_by")),
]
RULE_COLUMNS = [
    Column("Rule", 9, _field("rule")),
    Column("What it requires", 73, _field("text")),
    Column("This cycle", 18, lambda r: "Applied" if r.get("enabled") else "Switched off"),
]
OVERRIDE_COLUMNS = [
    Column("Case", 13, _field("case_ref")),
    Column("Auditor", 15, _field("auditor")),
    Column("Rule", 7, _field("rule")),
    Column("Reason", 50, _field("reason")),
    Column("Agreed by", 15, _field("by")),
]
UNASSIGNABLE_COLUMNS = [
    Column("Case", 30, _field("case_ref")),
    Column("Blocked by rules", 70, lambda u: ", ".join(map(str, u.get("rules") or []))),
]


def _frame_value(key: str, value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value)) if value else "all"
    if isinstance(value, bool):
        return _yes_no(value)
    return _date(value) if key == "open_on" else _text(value).replace("_", " ")


def _methodology(figures: Mapping) -> list:
    method = _section(figures, "methodology")
    definition = _section(method, "frame_definition")
    exclusions = [
        {"reason": str(reason).capitalize(), "cases": cases}
        for reason, cases in _section(method, "exclusions").items()
    ]
    left_out = {"reason": "Total left out", "cases": sum(e["cases"] or 0 for e in exclusions)}
    frame = [
        (FRAME_LABELS.get(key, key.replace("_", " ").capitalize()), _frame_value(key, value))
        for key, value in definition.items()
    ]
    strata = _records(method, "strata")
    totals = {"stratum": "Total"} | {
        key: sum(s.get(key) or 0 for s in strata)
        for key in ("population", "planned", "drawn", "replacements", "in_sample", "completed")
    }
    done = headline(dict(figures))["completion"]
    return [
        _p("Methodology", H1),
        _p("The sampling frame", H2),
        _p(
            "The frame is every case that met the cycle's definition when the sample was "
            "drawn, less the cases left out for the reasons below."
        ),
        _facts(frame) if frame else _p("The frame definition was not recorded."),
        _facts([("Cases in the frame (N)", _count(method.get("population")))]),
        Spacer(1, 6),
        *_table(
            exclusions,
            [Column("Reason left out", 80, _field("reason")), _number("Cases", 20, "cases")],
            "No cases were left out of the frame.",
            total=left_out,
        ),
        _p("The draw", H2),
        _facts(
            [
                ("Frame hash (SHA-256)", _mono(_text(method.get("frame_hash")), size=7)),
                *_seed_facts(method),
                ("Selection method", _text(method.get("algorithm"))),
                ("Drawn by", _text(method.get("drawn_by"))),
                ("Drawn at", _datetime(method.get("drawn_at"))),
                ("Sample size set by", _text(method.get("sample_size_method"))),
                ("Shared between kinds of case", _text(method.get("allocation_method"))),
            ]
        ),
        _p("Cases planned and drawn by stratum", H2),
        *_table(strata, STRATUM_COLUMNS, "No strata were recorded.", total=totals),
        _p("Replacements", H2),
        _p(
            "A case unsuitable for audit is replaced by the next case in its stratum's order.", LEAD
        ),
        *_table(_records(method, "replacements"), REPLACEMENT_COLUMNS, "No case was replaced."),
        _p("Independence of auditors", H2),
        _p("Each case went to an auditor who passed every rule switched on for this cycle.", LEAD),
        *_table(_records(method, "rules"), RULE_COLUMNS, "No rules were recorded."),
        _p("Rules set aside by a manager, with the reason recorded", LABEL),
        *_table(_records(method, "overrides"), OVERRIDE_COLUMNS, "No rule was set aside."),
        _p("Cases no eligible auditor could take", LABEL),
        *_table(
            _records(method, "unassignable"),
            UNASSIGNABLE_COLUMNS,
            "None: every sampled case had an eligible auditor.",
        ),
        _p("Completion", H2),
        _p(
            f"Completed first audits: {done}. The cases in the sample are those drawn less "
            "those replaced; follow-up audits are not counted."
            if done != NOT_MEASURED
            else "Not measured."
        ),
        *_thresholds(figures),
        *_verification(method),
        PageBreak(),
    ]


THRESHOLD_ROWS = [
    ("Substantial: lower end of the 95% interval for good or better at least", "substantial_lower"),
    ("Reasonable: lower end of the 95% interval at least", "reasonable_lower"),
    ("Limited: lower end of the 95% interval at least", "limited_lower"),
    ("Substantial: agreement between auditors (alpha), measured, at least", "substantial_alpha"),
    ("Caveat when alpha is below", "alpha_caveat"),
    ("Interim, with a caveat, when completion is below", "completion_caveat"),
    (
        "Above Limited only if strata with no completed audit hold less of the frame than",
        "unaudited_share_max",
    ),
    ("Agreement measured only with at least this many cases", "reliability_minimum"),
]


def _thresholds(figures: Mapping) -> list:
    thresholds = _section(figures, "opinion", "thresholds")
    if not thresholds:
        return []

    def shown(key: str) -> str:
        value = thresholds.get(key)
        if not isinstance(value, int | float):
            return NOT_MEASURED
        if key == "reliability_minimum":
            return str(value)
        return f"{value:g}" if "alpha" in key else threshold_percent(value)

    return [
        _p("Opinion thresholds used", H2),
        _p(
            "The organisation's thresholds when this report was compiled. Each is compared "
            "with the unrounded figure; the report rounds only to print.",
            LEAD,
        ),
        _facts([(label, shown(key)) for label, key in THRESHOLD_ROWS]),
    ]


def _seed_facts(method: Mapping) -> list[tuple]:
    """The seed and the parts it was derived from, and any other draw over the same cases."""
    parts = method.get("seed_parts") or {}
    facts = []
    if parts.get("server_random"):
        facts += [
            ("Frame frozen at", _datetime(parts.get("frozen_at"))),
            ("Random part from the server", _mono(_text(parts["server_random"]), size=7)),
            ("Witness input", _text(parts.get("witness_input") or "None given")),
            ("Seed", _mono(_text(method.get("seed")), size=7)),
            ("Seed derived as", _text(parts.get("seed_algorithm"))),
        ]
    else:
        facts.append(("Seed (typed at the draw)", _mono(_text(method.get("seed")))))
    others = method.get("overlapping_draws") or []
    facts.append((
        "Other draws over the same period and teams",
        _text("; ".join(f"{o['name']} (cycle {o['id']}, drawn {o['drawn_at'][:10]})"
                        for o in others) or "None"),
    ))  # fmt: skip
    return facts


def _verification(method: Mapping) -> list:
    command, script = method.get("verify_command"), method.get("verify_script")
    return [
        _p("Re-checking the sample", H2),
        _p(
            "Anyone with Python 3 can re-check this sample without CaseAssure. Download the "
            "cycle's frame file and its sample on record, save the script below as "
            "verify_sample.py and run the command in the same folder. The script recomputes "
            "the frame hash, the seed from its parts and the cases drawn in each stratum, "
            "compares each with the values in the command and the sample on record "
            "(including any case later replaced), prints what differs and ends with an "
            "error status on any difference."
        ),
        _p("The command:", LABEL),
        _code_block(_command_lines(command)) if command else _p("No command was recorded."),
        _p("The script, verify_sample.py:", LABEL),
        _code_block(script) if script else _p("No script was recorded."),
    ]


def _team_position(team: Mapping) -> str:
    flag, proportion = team.get("flag"), team.get("proportion")
    if flag not in ("above", "below") or proportion is None:
        return "Within limits" if flag == "within" else _text(flag)
    low, high = ([*(team.get("limits998") or []), None, None])[:2]
    beyond = (flag == "above" and high is not None and proportion > high) or (
        flag == "below" and low is not None and proportion < low
    )
    return f"{flag.capitalize()} the {'99.8%' if beyond else '95%'} limit"


TEAM_COLUMNS = [
    Column("No.", 6, _field("number")),
    Column("Team", 27, _field("team")),
    _number("Audited", 10, "audited"),
    _number("Good or better", 11, "good_or_better"),
    _number("Share of audited cases", 9, "proportion", _percent),
    Column("95% limits", 19, _field("limits95", _limits)),
    Column("Position", 18, _team_position),
]
CASE_TYPE_COLUMNS = [
    Column("Kind of case", 40, _field("case_type")),
    _number("Audited", 20, "audited"),
    _number("Good or better", 20, "good_or_better"),
    _number("Share of audited cases", 20, "proportion", _percent),
]
THEME_COLUMNS = [
    Column("Theme", 47, _field("theme")),
    _number("Cases", 9, "count"),
    _number("Share of audits", 13, "share", partial(_percent, places=0)),
    Column("", 31, lambda t: report_charts.share_bar(t.get("share"))),
]


def _domain_columns(grades: list[str]) -> list[Column]:
    def graded(grade: str) -> Callable[[Mapping], str]:
        return lambda d: _count(_section(d, "distribution").get(grade))

    return [
        Column("Area", 34, _field("domain")),
        _number("Rated", 8, "rated"),
        _number("Average grade", 10, "mean", _decimal),
        _number(
            "Share of rated audits good or better",
            10,
            "good_or_better",
            partial(_percent, places=0),
        ),
        *(Column(f"Graded {g}", 38 / len(grades), graded(g), right=True) for g in grades),
    ]


def _median(median: Any, scale: Mapping[str, str]) -> str:
    if median is None:
        return ""
    grade = f"{median:g}" if isinstance(median, float) else str(median)
    return f"The median grade is {grade}" + (f" ({scale[grade]})." if grade in scale else ".")


def _findings(figures: Mapping) -> list:
    findings = _section(figures, "findings")
    scale = _section(findings, "grade_scale") or DEFAULT_GRADE_SCALE
    scale = {str(grade): str(name) for grade, name in scale.items()}
    grades = sorted(scale, key=int)
    teams = [{**t, "number": n} for n, t in enumerate(_records(findings, "by_team"), start=1)]
    funnel = report_charts.funnel_chart(
        teams, _records(findings, "funnel"), findings.get("overall_proportion")
    )
    follow_ups = _section(findings, "follow_ups")
    return [
        _p("Findings", H1),
        _p("Grades", H2),
        _p(
            "Overall grade of each audited case, after moderation where a moderator changed it. "
            + _median(findings.get("median_grade"), scale),
            LEAD,
        ),
        *_chart_or(
            report_charts.grade_chart(_section(findings, "grade_distribution"), scale),
            "No grades were recorded.",
        ),
        _p("Good or better by team", H2),
        *(
            []
            if funnel is None
            else [
                _p(
                    "Each point is a team's share of audited cases graded good or better, around "
                    "the share of all audited cases (not weighted by strata). Small teams vary "
                    "more by chance, so the limits widen as fewer cases are audited. A team "
                    "outside the 95% limits is worth a look; outside the 99.8% limits, chance "
                    "is an unlikely explanation.",
                    LEAD,
                ),
                funnel,
            ]
        ),
        *_table(teams, TEAM_COLUMNS, "No team had an audited case."),
        _p("By kind of case", H2),
        *_table(_records(findings, "by_case_type"), CASE_TYPE_COLUMNS, "Nothing was audited."),
        _p("By area of practice", H2),
        *_table(_records(findings, "by_domain"), _domain_columns(grades), "Nothing was graded."),
        _p(f"Grades: {', '.join(f'{g} {scale[g]}' for g in grades)}.", SMALL),
        _p("Themes", H2),
        _p("How many audited cases were tagged with each recurring theme.", LEAD),
        *_table(_records(findings, "themes"), THEME_COLUMNS, "No themes were recorded."),
        *_trend(figures),
        _p("Follow-up audits", H2),
        _p(
            f"{_count(follow_ups.get('audited'))} cases were audited again as follow-ups, of "
            f"which {_count(follow_ups.get('good_or_better'))} were good or better. They are "
            "reported apart from the random sample and are not in the estimates above."
            if follow_ups.get("audited")
            else "No follow-up audits were made in this cycle."
        ),
        PageBreak(),
    ]


TREND_COLUMNS = [
    Column("Cycle", 22, _field("label")),
    Column("Period ended", 20, _field("period_end", _date)),
    _number("Audited", 14, "audited"),
    _number("Good or better (estimate)", 18, "value", _percent),
    Column("95% interval", 26, lambda p: _interval(p.get("low"), p.get("high"))),
]


def _trend(figures: Mapping) -> list:
    cycle, summary = _section(figures, "cycle"), _section(figures, "summary")
    good = _section(summary, "good_or_better")
    earlier = _records(_section(figures, "findings"), "trend")
    points = [{**t, "label": t.get("cycle"), "value": t.get("good_or_better")} for t in earlier]
    # The compiler lists earlier cycles; add this one unless it is already the last point.
    if not earlier or earlier[-1].get("period_end") != cycle.get("period_end"):
        points.append(
            {**good, "label": cycle.get("name"), "value": good.get("estimate")}
            | {"period_end": cycle.get("period_end"), "audited": summary.get("audited")}
        )
    points[-1]["current"] = True
    for point in points:
        point["label"] = _text(point["label"]).removesuffix(" case audit")
    story = [_p("Trend against earlier cycles", H2)]
    if not earlier:
        return [*story, _p("There are no earlier cycles to compare with.")]
    chart = _chart_or(report_charts.trend_chart(points), "No cycle has a measured rate.")
    lead = _p(
        "Each cycle's good or better is its stratified estimate over its own frame, with its "
        "95% interval: the figure that cycle's report headlined.",
        LEAD,
    )
    return [*story, lead, *chart, *_table(points, TREND_COLUMNS, "")]


def _agreement(alpha: float | None) -> str:
    if alpha is None:
        return ""
    if alpha >= 0.8:
        return "Good agreement"
    return "Tentative agreement" if alpha >= 0.667 else "Low: read with caution"


ALPHA_COLUMNS = [
    Column("Area of practice", 55, _field("domain")),
    _number("Alpha", 12, "alpha", _decimal),
    Column("Reading", 33, lambda d: _agreement(d.get("alpha"))),
]


def _reliability(figures: Mapping) -> list:
    reliability = _section(figures, "reliability")
    direction = _section(reliability, "direction")
    by_domain = _section(reliability, "alpha_by_domain")
    alphas = [{"domain": domain, "alpha": alpha} for domain, alpha in by_domain.items()]
    changed = _with_rate(reliability.get("changed"), reliability.get("change_rate"))
    kappa, alpha = reliability.get("kappa_quadratic"), reliability.get("alpha_overall")
    return [
        _p("Reliability of grading", H1),
        _p("Moderation", H2),
        _facts(
            [
                ("Audits moderated", _count(reliability.get("moderated"))),
                ("Grade changed by the moderator", changed),
                ("Changed to a better grade", _count(direction.get("up"))),
                ("Changed to a worse grade", _count(direction.get("down"))),
                ("Agreement of auditor and moderator (weighted kappa)", _decimal(kappa)),
            ]
        ),
        _p(
            "Kappa is 1 when auditor and moderator always agree and 0 when they agree no more "
            "than chance would give; near misses (Good against Outstanding) count less than "
            "wide ones.",
            SMALL,
        ),
        _p("Cases audited twice", H2),
        _facts(
            [
                ("Cases audited twice, blind", _count(reliability.get("double_audits"))),
                ("Agreement between auditors (Krippendorff's alpha)", _decimal(alpha)),
            ]
        ),
        _p("0.80 or more is good agreement; below 0.667 read grades with caution.", SMALL),
        *_table(alphas, ALPHA_COLUMNS, "Agreement by area of practice was not measured."),
        Spacer(1, 4),
        *_bullets(reliability.get("notes"), ""),
    ]


ESCALATION_COLUMNS = [
    Column("Case", 18, _field("case_ref")),
    Column("Raised", 33, _field("raised_at", _datetime)),
    Column("Acknowledged", 33, _field("acknowledged_at", _datetime)),
    Column("Overdue", 16, _field("overdue", _yes_no)),
]


ACTION_FACTS = [
    ("Actions agreed", "total"),
    ("Open", "open"),
    ("Done, awaiting check", "done"),
    ("Done and checked", "verified"),
    ("Overdue", "overdue"),
    ("Overdue and high priority", "overdue_high"),
]
PRIORITY_COLUMNS = [Column("Priority", 50, _field("priority")), _number("Actions", 50, "actions")]


def _escalations_and_actions(figures: Mapping) -> list:
    escalations, actions = _section(figures, "escalations"), _section(figures, "actions")
    priorities = [
        {"priority": str(priority).capitalize(), "actions": count}
        for priority, count in _section(actions, "by_priority").items()
    ]
    counts = (
        f"Raised: {_count(escalations.get('raised'))}. Acknowledged: "
        f"{_count(escalations.get('acknowledged'))}. Acknowledged late or not yet: "
        f"{_count(escalations.get('overdue'))}."
    )
    story = [
        PageBreak(),
        _p("Safeguarding escalations", H1),
        _p(counts),
        *_table(_records(escalations, "items"), ESCALATION_COLUMNS, "No escalations were raised."),
        _p("Actions", H1),
    ]
    if actions.get("total") == 0:
        return [*story, _p("No actions were agreed from this cycle's audits.")]
    facts = [(label, _count(actions.get(key))) for label, key in ACTION_FACTS]
    on_time = ("Completed by their due date", _percent(actions.get("on_time_rate")))
    return [
        *story,
        _facts([*facts, on_time]),
        Spacer(1, 6),
        *_table(priorities, PRIORITY_COLUMNS, ""),
    ]


APPENDIX_COLUMNS = {
    "Case": 40, "Team": 92, "Kind": 28, "Stratum": 34, "Auditor": 44, "Grade": 27,
    "Moderated": 44, "Final": 23, "Themes": 131, "Follow-up": 39,
}  # fmt: skip
APPENDIX_HEAD = ParagraphStyle("AppendixHead", TINY, fontName="Helvetica-Bold")
APPENDIX_STYLE = TableStyle(
    [
        ("FONT", (0, 0), (-1, -1), "Helvetica", 7),
        ("LEADING", (0, 0), (-1, -1), 8.5),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#F6F6F6")]),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.HexColor("#888888")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
)


def _appendix_row(row: Mapping, widths: list[float]) -> list:
    def fits(text: str, width: float) -> Any:
        # A Paragraph costs far more than a string; wrap only what would overflow.
        return text if stringWidth(text, "Helvetica", 7) <= width - 6 else _p(text, TINY)

    def grade(key: str) -> str:
        return "" if row.get(key) is None else str(row.get(key))

    themes = "; ".join(map(str, row.get("themes") or []))
    return [
        _text(row.get("case_ref")), fits(_text(row.get("team")), widths[1]),
        _text(row.get("case_type")), _text(row.get("stratum")),
        fits(_text(row.get("auditor")), widths[4]),
        grade("overall_grade"), grade("moderated_grade"), grade("final_grade"),
        fits(themes, widths[8]), "Yes" if row.get("follow_up") else "",
    ]  # fmt: skip


def _appendix(figures: Mapping) -> list:
    rows = sorted(_records(figures, "appendix"), key=lambda r: str(r.get("case_ref") or ""))
    scale = _section(figures, "findings", "grade_scale") or DEFAULT_GRADE_SCALE
    key = ", ".join(f"{g} {name}" for g, name in sorted(scale.items(), key=lambda i: int(i[0])))
    story = [PageBreak(), _p("Appendix: audited cases", H1)]
    if not rows:
        return [*story, _p("No cases were audited.")]
    story.append(
        _p(
            f"Every audited case, by case reference. Grades: {key}. 'Moderated' is the "
            "moderator's grade where the audit was moderated; 'Final' is the grade counted in "
            "the findings.",
            ParagraphStyle("AppendixKey", SMALL, spaceAfter=6),
        )
    )
    widths = [w * WIDTH / sum(APPENDIX_COLUMNS.values()) for w in APPENDIX_COLUMNS.values()]
    header = [_p(heading, APPENDIX_HEAD) for heading in APPENDIX_COLUMNS]
    for start in range(0, len(rows), APPENDIX_CHUNK_ROWS):
        chunk = [_appendix_row(r, widths) for r in rows[start : start + APPENDIX_CHUNK_ROWS]]
        table = LongTable([header, *chunk], colWidths=widths, repeatRows=1, hAlign="LEFT")
        table.setStyle(APPENDIX_STYLE)
        story.append(table)
    return [*story, *_recompute_recipe()]


RECOMPUTE_STEPS = [
    "Download data.json and audits.csv of this report (the same version: both carry its "
    "figures' source).",
    "Keep the CSV rows with counts_in_estimate = yes: the completed first audits of the "
    "random sample, one per case. Their final_grade is the grade counted; good or better "
    "means a final grade of 3 or more.",
    "Per stratum h, count the rows (n_h) and the good-or-better rows (g_h); N_h is the "
    "stratum's 'population' in data.json, methodology.strata. Strata with n_h = 0 are left "
    "out and named in summary.good_or_better.coverage.",
    "Estimate = sum of W_h * g_h / n_h with W_h = N_h / (sum of N_h over audited strata). "
    "The 95% interval is the one DESIGN.md section 7 names (definitions.good_or_better in "
    "data.json).",
    "Completion = rows counted / the sum of 'in_sample' in methodology.strata.",
    "Grade distribution = the counted rows by final_grade. Alpha pairs each case's "
    "'primary' and 'second' rows (role column), on their overall_grade.",
    "The script recompute_report.py (next to the report's files in the API: "
    "/api/v1/reports/<report>/recompute_report.py) does all of "
    "this with nothing but Python 3: python3 -I recompute_report.py data.json audits.csv. "
    "It prints each figure recomputed beside the report's and exits 1 on any difference.",
]


def _recompute_recipe() -> list:
    return [
        _p("Recomputing the headline figures", H2),
        *[
            Paragraph(escape(step), BODY, bulletText=f"{number}.")
            for number, step in enumerate(RECOMPUTE_STEPS, start=1)
        ],
    ]


# --- the document -----------------------------------------------------------------------------


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
    """Adds a bookmark for each heading so a long report can be navigated."""

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


def render_pdf(figures: dict, stream: BinaryIO) -> None:
    """Write the complete assurance report for ``figures`` to ``stream`` as a PDF."""
    report, cycle = _section(figures, "report"), _section(figures, "cycle")
    title = report.get("title") or DEFAULT_TITLE
    signature = f"Report hash {_text(report.get('hash'))} · version {_text(report.get('version'))}"
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
    )
    story = [
        *_cover(figures),
        *_keep_parts(
            [
                *_executive_summary(figures),
                *_methodology(figures),
                *_findings(figures),
                *_reliability(figures),
                *_escalations_and_actions(figures),
                # h9: the practitioners' responses (issue 15 item 5); h2 places it.
                *practitioner_responses_flowables(figures, heading=H2, body=BODY),
            ]
        ),
        *_appendix(figures),
    ]
    footer = partial(_footer, signature)
    document.build(story, onFirstPage=footer, onLaterPages=footer)
