"""The appendix: every audited case by case reference, and how to recompute the headline
figures from the report's files."""

from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from itertools import islice
from xml.sax.saxutils import escape

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, PageBreak, Paragraph

from worker.report_pdf.appendix_table import (
    BOLD,
    FONT,
    LEADING,
    PAD_X,
    PAD_Y,
    SIZE,
    AppendixTable,
    Row,
    row_height,
)
from worker.report_pdf.blocks import para
from worker.report_pdf.styles import (
    BODY,
    DEFAULT_GRADE_SCALE,
    H1,
    H2,
    SMALL,
    WIDTH,
)
from worker.report_pdf.words import (
    as_text,
    case_type_text,
    section,
    staff_names,
    stratum_text,
    team_names,
)

# A table holds a chunk of rows, split across pages by slicing: the memory held is one chunk
# whatever the number of cases.
APPENDIX_CHUNK_ROWS = 300


class LaterFlowables(Flowable):
    """Stands in the story for flowables made only when the layout reaches them (the
    document's ``filterFlowables`` asks for the next one): the appendix's tables are built
    one chunk at a time, so the memory held is one chunk whatever the number of cases."""

    def __init__(self, flowables: Iterator):
        super().__init__()
        self.flowables = flowables


def unfold_later(flowables: list) -> None:
    """Put the next of a leading LaterFlowables' flowables before it, or drop it when it has
    no more (a DocTemplate's filterFlowables)."""
    while flowables and isinstance(flowables[0], LaterFlowables):
        following = next(flowables[0].flowables, None)
        if following is None:
            del flowables[0]
        else:
            flowables.insert(0, following)
    if not flowables:
        flowables.append(None)  # the document skips None


# Relative widths: the columns of names and labels get the room, and every cell wraps within
# its column, so a long team, stratum or name never runs into the next column.
APPENDIX_COLUMNS = {
    "Case": 40,
    "Team": 72,
    "Kind": 44,  # "Assessment" on one line
    "Stratum": 58,
    "Auditor": 58,
    "Grade": 27,
    "Moderated": 42,
    "Final": 23,
    "Themes": 99,
    "Follow-up": 39,
}
# Cells are plain strings wrapped here, line by line, and every row's height is given: a
# Paragraph per cell and reportlab measuring each row cost most of the compile at 50,000 cases.
APPENDIX_FONT, APPENDIX_BOLD, APPENDIX_SIZE, APPENDIX_LEADING = FONT, BOLD, SIZE, LEADING
APPENDIX_PAD_X, APPENDIX_PAD_Y = PAD_X, PAD_Y


@lru_cache(maxsize=4096)  # teams, strata, names and themes repeat down the appendix
def wrap_lines(text: str, width: float, font: str = APPENDIX_FONT) -> tuple[str, ...]:
    """``text`` in lines that each fit ``width`` points at the appendix's size: broken
    between words, and a word wider than the column broken between its letters."""
    text = " ".join(text.split())  # as a Paragraph prints it: no line breaks of its own
    if stringWidth(text, font, APPENDIX_SIZE) <= width:
        return (text,)
    lines = []
    for line in simpleSplit(text, font, APPENDIX_SIZE, width) or [""]:
        while stringWidth(line, font, APPENDIX_SIZE) > width and len(line) > 1:
            cut = next(
                n
                for n in range(len(line) - 1, 0, -1)
                if stringWidth(line[:n], font, APPENDIX_SIZE) <= width or n == 1
            )
            lines.append(line[:cut])
            line = line[cut:]
        lines.append(line)
    return tuple(lines)


def wrapped_row(cells: list[str], widths: list[float], font: str = APPENDIX_FONT) -> Row:
    """The row's cells as their lines within their columns, and its height."""
    wrapped = [
        wrap_lines(text, width - 2 * APPENDIX_PAD_X, font)
        for text, width in zip(cells, widths, strict=True)
    ]
    return wrapped, row_height(wrapped)


def _appendix_row(
    row: Mapping, widths: list[float], names: Mapping[str, str], teams: Mapping[str, str]
) -> Row:
    def grade(key: str) -> str:
        return "" if row.get(key) is None else str(row.get(key))

    auditor = as_text(row.get("auditor"))
    cells = [
        as_text(row.get("case_ref")),
        as_text(row.get("team")),
        case_type_text(row.get("case_type")),
        stratum_text(row.get("stratum"), teams),
        names.get(auditor, auditor),
        grade("overall_grade"),
        grade("moderated_grade"),
        grade("final_grade"),
        "; ".join(map(str, row.get("themes") or [])),
        "Yes" if row.get("follow_up") else "",
    ]
    return wrapped_row(cells, widths)


def appendix(
    figures: Mapping, rows: Iterable[Mapping] = (), names: Mapping[str, str] | None = None
) -> list:
    """The appendix of ``rows`` (completed first audits, by case reference), read as the
    tables are laid out; ``names``: the report's names of its staff (``staff_names``)."""
    scale = section(figures, "findings", "grade_scale") or DEFAULT_GRADE_SCALE
    key = ", ".join(f"{g} {name}" for g, name in sorted(scale.items(), key=lambda i: int(i[0])))
    story = [PageBreak(), para("Appendix: audited cases", H1)]
    if next(iter(rows), None) is None:
        return [*story, para("No cases were audited.")]
    story.append(
        para(
            f"Every audited case, by case reference. Grades: {key}. 'Moderated' is the "
            "moderator's grade where the audit was moderated; 'Final' is the grade counted in "
            "the findings.",
            ParagraphStyle("AppendixKey", SMALL, spaceAfter=6),
        )
    )
    widths = [w * WIDTH / sum(APPENDIX_COLUMNS.values()) for w in APPENDIX_COLUMNS.values()]
    header = wrapped_row(list(APPENDIX_COLUMNS), widths, APPENDIX_BOLD)
    names = staff_names(figures, rows) if names is None else names
    teams = team_names(figures)

    def tables() -> Iterator[AppendixTable]:
        remaining = iter(rows)
        while chunk := list(islice(remaining, APPENDIX_CHUNK_ROWS)):
            yield AppendixTable(
                header, [_appendix_row(row, widths, names, teams) for row in chunk], widths
            )

    return [*story, LaterFlowables(tables()), *_recompute_recipe()]


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
        para("Recomputing the headline figures", H2),
        *[
            Paragraph(escape(step), BODY, bulletText=f"{number}.")
            for number, step in enumerate(RECOMPUTE_STEPS, start=1)
        ],
    ]
