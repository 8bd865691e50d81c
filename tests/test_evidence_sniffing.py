"""The type of an evidence file is read from its bytes, never from its name."""

import io
import zipfile

import pytest

from audits.core import evidence as rules

PDF_BYTES = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 20
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20
PROGRAM_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 50
WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
EXCEL_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


def office_file(main_type: str, *, extra: dict | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            f'<Types><Override PartName="/word/document.xml" ContentType="{main_type}"/></Types>',
        )
        archive.writestr("word/document.xml", "<w:document/>")
        for name, text in (extra or {}).items():
            archive.writestr(name, text)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (PDF_BYTES, rules.PDF),
        (PNG_BYTES, rules.PNG),
        (JPEG_BYTES, rules.JPEG),
        (b"Visit notes: seen alone, room checked.\n", rules.TEXT),
        (b"case_ref,visit\nC1,2026-01-02\n", rules.TEXT),  # a CSV is text
        (office_file(WORD_MAIN), rules.DOCX),
        (office_file(EXCEL_MAIN), rules.XLSX),
    ],
)
def test_each_kind_of_file_an_auditor_attaches_is_recognised(data, expected):
    assert rules.sniff(data) == expected


@pytest.mark.parametrize(
    "data",
    [
        PROGRAM_BYTES,  # a Windows program, whatever its name says
        b"\x7fELF\x02\x01\x01" + b"\x00" * 40,  # a Linux program
        b"PK\x03\x04not really a zip",
        office_file("application/zip"),  # a zip with no Office document in it
        office_file(WORD_MAIN, extra={"word/vbaProject.bin": "macro"}),  # macros
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40,  # a legacy .doc / .xls
        b"text with a \x00 NUL",
        b"",
    ],
)
def test_anything_else_is_refused(data):
    assert rules.sniff(data) is None


def test_the_name_is_display_text_with_the_sniffed_types_extension():
    assert rules.display_name("C:\\scans\\letter.exe", rules.PDF) == "letter.pdf"
    assert rules.display_name("../../etc/passwd", rules.TEXT) == "passwd.txt"
    assert rules.display_name('a"b\r\n<c>.png', rules.PNG) == "abc.png"
    assert rules.display_name("", rules.JPEG) == "evidence.jpg"
    assert len(rules.display_name("x" * 500 + ".docx", rules.DOCX)) <= 120


def test_the_problems_are_said_in_words_that_say_what_to_do():
    limits = {
        "max_bytes": 10 * 1024 * 1024,
        "used_bytes": 0,
        "used_files": 0,
        "quota_bytes": 50 * 1024 * 1024,
        "quota_files": 20,
    }
    assert rules.upload_problem(size=100, content_type=rules.PDF, **limits) is None
    assert rules.upload_problem(size=11 * 1024 * 1024, content_type=rules.PDF, **limits) == (
        "The selected file must be smaller than 10 MB"
    )
    assert rules.upload_problem(size=100, content_type=None, **limits) == (
        "The selected file must be a PDF, JPG, PNG, text, Word or Excel file"
    )
    full = {**limits, "used_files": 20}
    assert "20 files" in rules.upload_problem(size=100, content_type=rules.PDF, **full)
