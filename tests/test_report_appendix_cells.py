"""The appendix's cells: wrapped by the report itself into lines that fit their columns, with
every row's height given, so a 50,000-case appendix costs about what bare tables cost."""

import io

import pdfplumber
from reportlab.lib.pagesizes import A4
from reportlab.platypus import SimpleDocTemplate

from worker.report_pdf.appendix import (
    APPENDIX_COLUMNS,
    LaterFlowables,
    appendix,
    unfold_later,
)
from worker.report_pdf.appendix_table import AppendixTable
from worker.report_pdf.styles import MARGIN, WIDTH

LONG_REF = "C" + "7" * 40  # no space to break at: wider than the Case column
LONG_TEAM = "Children in Need and Family Safeguarding Service (North East Locality)"


def rows(count: int) -> list[dict]:
    return [
        {
            "case_ref": LONG_REF if number == 0 else f"C{number:06d}",
            "team": LONG_TEAM if number % 3 == 0 else "North",
            "case_type": "cp",
            "stratum": "North/cp",
            "auditor": "S1",
            "overall_grade": 3,
            "moderated_grade": 2 if number % 5 == 0 else None,
            "final_grade": 3,
            "themes": ["voice of the\nchild", "planning"],
            "follow_up": number % 2 == 0,
        }
        for number in range(count)
    ]


def rendered(story: list) -> bytes:
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, invariant=1
    )
    document.filterFlowables = unfold_later
    document.build(story)
    return out.getvalue()


def test_a_word_wider_than_its_column_is_printed_whole_within_the_column():
    names = {"S1": "Alexandrina Montgomery-Fitzwilliam"}
    pdf = rendered(appendix({}, rows(80), names))
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        page = document.pages[1]  # the appendix starts on a page of its own
        left = min(c["x0"] for c in page.chars) - 3  # the cells' left padding
        right = left + WIDTH * APPENDIX_COLUMNS["Case"] / sum(APPENDIX_COLUMNS.values())
        refs = [c for c in page.chars if c["x0"] < right - 1 and c["top"] > 120]
        assert all(c["x1"] <= right for c in refs)
        text = " ".join(p.extract_text() for p in document.pages)
    printed = "".join(c["text"] for c in refs if c["text"] in "C7")
    assert LONG_REF in printed  # every character of it, over several lines
    assert LONG_REF[:6] in text
    assert LONG_TEAM.split()[0] in text
    assert "voice of the child; planning" in text  # a line break in a theme is a space


def test_every_appendix_row_has_its_height_given_so_reportlab_measures_none():
    story = appendix({}, rows(700), {"S1": "Sam"})
    (later,) = [flowable for flowable in story if isinstance(flowable, LaterFlowables)]
    tables = list(later.flowables)
    assert [len(table.rows) for table in tables] == [300, 300, 100]
    for table in tables:
        assert isinstance(table, AppendixTable)
        for cells, height in [table.header, *table.rows]:
            assert all(isinstance(line, str) for lines in cells for line in lines)
            assert height >= max(map(len, cells)) * 8.5


def test_a_table_split_across_pages_keeps_every_row_once_and_repeats_its_header():
    (later,) = [f for f in appendix({}, rows(300), {"S1": "Sam"}) if isinstance(f, LaterFlowables)]
    (table,) = list(later.flowables)
    first, rest = table.split(table.width, 200)
    assert first.wrap(table.width, 200)[1] <= 200 < first.height + rest.rows[0][1]
    assert first.rows + rest.rows == table.rows
    assert first.header == rest.header == table.header
    assert table.split(table.width, table.header[1] + 1) == []  # not even one row fits
    assert table.split(table.width, table.height) == [table]
    text = pdfplumber.open(io.BytesIO(rendered(appendix({}, rows(300), {"S1": "Sam"}))))
    with text as document:
        pages = [page.extract_text() for page in document.pages[1:]]
    assert all(page.startswith("Case Team Kind") for page in pages[1:])
    printed = " ".join(pages)
    assert all(f"C{number:06d}" in printed for number in range(1, 300))


def test_letters_beyond_ascii_and_pdf_delimiters_are_printed_as_given():
    names = {"S1": "Zoë (QA) \\ B"}
    team = "Équipe \N{EN DASH} Nord"
    many = [{**row, "team": team} for row in rows(3)]
    with pdfplumber.open(io.BytesIO(rendered(appendix({}, many, names)))) as document:
        text = " ".join(page.extract_text() for page in document.pages)
    assert "Zoë (QA) \\ B" in text
    assert team in text
