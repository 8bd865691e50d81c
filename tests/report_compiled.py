"""Reports compiled the way the worker compiles them, from cycles built through the
services (tests/builders.py), for tests that read the PDF and CSV as a reader would.

Each cycle is built and its report compiled inside one transaction that is then rolled
back, so a test module can build a cycle once (module scope) and keep only what the
product wrote: the stored figures, PDF and CSV, and the facts the build recorded.
"""

import io
from collections.abc import Callable
from typing import NamedTuple

from django.contrib.auth.models import User
from django.db import transaction
from django.test import override_settings
from pypdf import PdfReader

from audits.core.figures import appendix
from audits.selectors import published_forms
from audits.selectors.report_appendix import audit_rows
from audits.services import reports
from worker.compile import report_compile


class Compiled(NamedTuple):
    figures: dict
    appendix: list[dict]  # the appendix's rows (not in the figures), read as the PDF reads them
    pdf: bytes
    csv: str
    pages: list[str]  # each page's text, every run of whitespace made one space
    facts: dict  # what the build recorded from the database, to compare the files with


def flat(text: str) -> str:
    """Text with every run of whitespace made one space, as table cells wrap lines."""
    return " ".join(text.split())


def page_texts(data: bytes) -> list[str]:
    return [flat(page.extract_text()) for page in PdfReader(io.BytesIO(data)).pages]


def compiled(blocker, build: Callable[[], tuple]) -> Compiled:
    """``build()`` makes a cycle and returns ``(cycle, facts)``; its report is requested
    and compiled through the report services, then the database is rolled back."""
    published_forms.clear()
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with blocker.unblock(), override_settings(PASSWORD_HASHERS=fast), transaction.atomic():
        cycle, facts = build()
        lead = User.objects.get(username="qa.lead")
        job = reports.report_request(cycle=cycle, actor=lead)
        report = report_compile(job.pk, f"task-{job.pk}")
        assert report is not None
        pdf = reports.report_file_bytes(report, "pdf")
        csv = reports.report_file_bytes(report, "csv").decode("utf-8")
        figures = report.figures
        rows = appendix(audit_rows(cycle))
        transaction.set_rollback(True)
    published_forms.clear()
    return Compiled(figures, rows, pdf, csv, page_texts(pdf), facts)
