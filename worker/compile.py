"""Compiling a report, orchestrated: claim the job, build the figures (selectors and the pure
core), render the files (here, in the worker), store them and the report row (the service).

Safe to run twice: a redelivered message finds the job it held and rewrites the same
version; a crash at any point leaves the job to be retried and never a half-written file
(each is written whole: renamed into place on disk, one upload to object storage) or a
report row without its files (the row is stored last, once, with each file's SHA-256).
"""

import io
import json

from django.core.serializers.json import DjangoJSONEncoder

from audits.core.figures import AppendixRows
from audits.models import Report, ReportJob
from audits.selectors.report_build import report_build
from audits.services import reports
from worker.report_csv import render_csv
from worker.report_pdf import render_pdf


def report_compile(job_id: int, task_id: str) -> Report | None:
    """Compile a claimed job into the next report version; None if the job is not this
    task's to compile (finished, or held by another live task)."""
    if not reports.job_claim(job_id, task_id):
        return None
    job = ReportJob.objects.select_related("cycle__frame").get(pk=job_id)
    folder = reports.job_folder(job)
    reports.job_progress(job_id, task_id, 10)
    figures, report_hash, rows, fingerprint = report_build(job.cycle, job.as_of)
    try:
        reports.job_progress(job_id, task_id, 40)
        return _render_and_store(job, task_id, folder, figures, report_hash, rows, fingerprint)
    finally:
        rows.close()


def _render_and_store(job, task_id, folder, figures, report_hash, rows, fingerprint):
    """The files, each written from the figures and the audit rows read back one at a time
    (the appendix is not in the figures), then the report row."""
    job_id = job.pk
    version = reports.job_reserve_version(job)
    figures["report"] = {
        "version": version,
        "hash": report_hash,
        "cycle_id": job.cycle_id,
        "title": "Case audit assurance report",
    }
    data = json.dumps(figures, indent=1, cls=DjangoJSONEncoder).encode()

    def csv_bytes(out) -> None:
        text = io.TextIOWrapper(out, encoding="utf-8", newline="")
        render_csv(rows, text, domains=rows.domains)
        text.detach()  # flushes; the file is closed by its writer

    file_hashes = reports.report_files_write(
        job_id,
        task_id,
        folder,
        {
            "json": lambda out: out.write(data),
            "pdf": lambda out: render_pdf(figures, out, appendix_rows=AppendixRows(rows)),
            "csv": csv_bytes,
        },
    )
    return reports.report_store(
        job_id=job_id,
        task_id=task_id,
        folder=folder,
        figures=figures,
        report_hash=report_hash,
        fingerprint=fingerprint,
        file_hashes=file_hashes,
    )
