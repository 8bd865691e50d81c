"""What an evidence file is, decided from its bytes and never from its name.

An auditor attaches what a social-work case file holds: scanned letters and plans (PDF,
JPEG, PNG), screenshots of the case system (PNG, JPEG), notes (plain text) and Word or Excel
documents. Anything else is refused, whatever it is called: a program renamed ``.pdf`` is
still a program. CSV is not a type of its own: it is plain text, and accepted as such.
Legacy Office files (.doc, .xls) are refused: they can carry macros, and every supported
Office saves the XML formats.
"""

import io
import re
import unicodedata
import zipfile

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
TEXT = "text/plain"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# The words a person reads for each type (in lists and in error messages).
TYPE_WORDS = {PDF: "PDF", PNG: "PNG", JPEG: "JPG", TEXT: "text", DOCX: "Word", XLSX: "Excel"}
EXTENSIONS = {PDF: "pdf", PNG: "png", JPEG: "jpg", TEXT: "txt", DOCX: "docx", XLSX: "xlsx"}
ALLOWED_WORDS = "a PDF, JPG, PNG, text, Word or Excel file"

# The main part each Office format must declare in [Content_Types].xml.
_OFFICE_MAIN_PARTS = {
    DOCX: b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    XLSX: b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
}
_MACRO_PART = b"vbaProject"
_TEXT_SAMPLE = 64 * 1024
_MAX_NAME = 120


def _is_plain_text(data: bytes) -> bool:
    sample = data[:_TEXT_SAMPLE]
    if not sample or b"\x00" in sample:
        return False
    try:
        # A sample cut through a multi-byte character is still text.
        sample.decode("utf-8") if len(data) <= _TEXT_SAMPLE else sample[:-4].decode("utf-8")
    except UnicodeDecodeError:
        return False
    controls = sum(1 for byte in sample if byte < 32 and byte not in b"\t\n\r\f")
    return controls == 0


def _office_type(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "[Content_Types].xml" not in names:
                return None
            declared = archive.read("[Content_Types].xml")
    except (zipfile.BadZipFile, KeyError, ValueError, NotImplementedError, OSError):
        return None
    if _MACRO_PART in declared or any("vbaProject" in name for name in names):
        return None
    for content_type, main_part in _OFFICE_MAIN_PARTS.items():
        if main_part in declared:
            return content_type
    return None


def sniff(data: bytes) -> str | None:
    """The content type of ``data`` when it is one the service accepts, else None."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"PK\x03\x04"):
        return _office_type(data)
    if _is_plain_text(data):
        return TEXT
    return None


def display_name(name: str, content_type: str) -> str:
    """The uploader's file name made safe to show and to offer as a download name: no
    folders, no control or quote characters, short, and ending in the sniffed type's
    extension (so the name never promises a type the file is not)."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r'["<>:|?*;]+', "", name).strip(" .")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    extension = EXTENSIONS[content_type]
    stem = (stem or "evidence")[: _MAX_NAME - len(extension) - 1]
    return f"{stem}.{extension}"


def size_words(size: int) -> str:
    """A size as people say it: "10 MB", "350 KB"."""
    if size >= 1024 * 1024:
        megabytes = size / (1024 * 1024)
        return f"{megabytes:.0f} MB" if megabytes >= 10 else f"{megabytes:.1f} MB"
    return f"{max(1, round(size / 1024))} KB"


def too_large(max_bytes: int) -> str:
    return f"The selected file must be smaller than {size_words(max_bytes)}"


def upload_problem(
    *,
    size: int,
    content_type: str | None,
    max_bytes: int,
    used_bytes: int,
    used_files: int,
    quota_bytes: int,
    quota_files: int,
) -> str | None:
    """What is wrong with an upload, in words that say what to do, or None."""
    if size == 0:
        return "The selected file is empty"
    if size > max_bytes:
        return too_large(max_bytes)
    if content_type is None:
        return f"The selected file must be {ALLOWED_WORDS}"
    if used_files + 1 > quota_files:
        return f"This audit already has {quota_files} files: delete one to add another"
    if used_bytes + size > quota_bytes:
        left = max(0, quota_bytes - used_bytes)
        return (
            f"This audit has {size_words(left)} of space left for evidence: "
            "choose a smaller file or delete one"
        )
    return None
