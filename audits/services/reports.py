"""Assurance reports: request (a job row, sent to the worker by name on commit), the steps a
compile takes (claim by a conditional update, progress, the version, the files written
atomically, the report row stored once), the sweep, and the check whether the data have
changed since a report.

The worker orchestrates a compile (``worker/compile.py``: claim, build, render, store) and
imports this module; this module starts a job by the task's name and never imports the
worker.
"""

import logging

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from audits.core.errors import StateConflict
from audits.infra import files
from audits.models import Cycle, Report, ReportJob
from audits.models.reports import MAX_ATTEMPTS
from audits.selectors.report_build import report_fingerprint
from audits.services.history import event_record
from audits.services.job_lease import LeasedJobs

log = logging.getLogger(__name__)
FILES = {"pdf": "report.pdf", "json": "data.json", "csv": "audits.csv"}
COMPILE_TASK = "worker.tasks.compile_report"
REPORTS = "reports"  # the named storage of report files (settings.STORAGES)


JOBS = LeasedJobs(ReportJob, COMPILE_TASK, MAX_ATTEMPTS)


def enqueue(job_id: int) -> bool:
    """Send the job to the broker. If the broker is down the job stays queued in the
    database and the sweep sends it later, so a request never fails for that."""
    return JOBS.enqueue(job_id)


def report_request(*, cycle: Cycle, actor) -> ReportJob:
    if not hasattr(cycle, "frame"):
        raise StateConflict("A report needs a drawn sample.")
    with transaction.atomic():
        job = ReportJob.objects.create(
            cycle=cycle, requested_by=actor, as_of=timezone.now().replace(microsecond=0)
        )
        event_record(actor=actor, verb="report.requested", obj=job, after={"cycle": cycle.pk})
        transaction.on_commit(lambda: enqueue(job.pk))
    return job


def job_claim(job_id: int, task_id: str) -> bool:
    """Take the job for this task (services/job_lease.py)."""
    return JOBS.claim(job_id, task_id)


def job_progress(job_id: int, task_id: str, value: int) -> None:
    JOBS.progress(job_id, task_id, value)


def job_reserve_version(job: ReportJob) -> int:
    """The job's version number, fixed once (under the cycle's lock) so a redelivered job
    rewrites the same files and two jobs on one cycle never share a number."""
    with transaction.atomic():
        Cycle.objects.select_for_update().filter(pk=job.cycle_id).first()
        job.refresh_from_db(fields=["version"])
        if job.version is None:
            taken = [
                Report.objects.filter(cycle=job.cycle_id).aggregate(v=Max("version"))["v"],
                ReportJob.objects.filter(cycle=job.cycle_id).aggregate(v=Max("version"))["v"],
            ]
            job.version = max(v or 0 for v in taken) + 1
            ReportJob.objects.filter(pk=job.pk).update(version=job.version)
    return job.version


def job_folder(job: ReportJob) -> str:
    """The job's folder in the reports storage (``reports/cycle-X/job-Y``); on a local disk,
    emptied of the temporary files of an attempt killed mid-write (object storage has
    none: a file is uploaded whole from a local temporary file)."""
    folder = f"reports/cycle-{job.cycle_id}/job-{job.pk}"
    path = files.local_path(REPORTS, folder)
    if path is not None and path.is_dir():
        for leftover in path.glob(".*"):
            leftover.unlink()
    return folder


def report_files_write(job_id: int, task_id: str, folder: str, writers: dict) -> dict:
    """Write each file, ``writers[kind](stream)``, whole or not at all, in the order given,
    recording progress after each (from 60 to 95). Returns each file's SHA-256."""
    steps = {"json": 60, "pdf": 85, "csv": 95}
    hashes = {}
    for kind, write in writers.items():
        _, hashes[kind] = files.store(REPORTS, f"{folder}/{FILES[kind]}", write)
        job_progress(job_id, task_id, steps[kind])
    return hashes


def report_store(
    *,
    job_id: int,
    task_id: str,
    folder: str,
    figures: dict,
    report_hash: str,
    fingerprint: str,
    file_hashes: dict | None = None,
) -> Report | None:
    """Record the compiled report, once: the job must still be this task's (not taken over
    after its lease ran out). The files are already whole in ``folder`` (reports storage),
    and ``file_hashes`` their SHA-256, checked at every download."""
    with transaction.atomic():
        job = ReportJob.objects.select_for_update().select_related("cycle").get(pk=job_id)
        if job.status != ReportJob.Status.RUNNING or job.claimed_by != task_id:
            return None  # another task took over after our lease ran out
        report = Report.objects.create(
            cycle=job.cycle,
            job=job,
            version=figures["report"]["version"],
            report_hash=report_hash,
            inputs_fingerprint=fingerprint,
            opinion=figures["opinion"]["level"],
            figures=figures,
            as_of=job.as_of,
            folder=folder,
            file_hashes=file_hashes or {},
        )
        job.status, job.progress, job.finished_at = ReportJob.Status.DONE, 100, timezone.now()
        job.save(update_fields=["status", "progress", "finished_at"])
        Cycle.objects.filter(pk=job.cycle_id, status=Cycle.Status.CLOSED).update(
            status=Cycle.Status.REPORTED
        )
        event_record(
            actor=None,
            verb="report.compiled",
            obj=report,
            after={
                "version": report.version,
                "hash": report_hash,
                "opinion": report.opinion,
                "interim": figures["interim"],
            },
        )
    return report


def job_failed(job_id: int, task_id: str, error: str) -> bool:
    """Record a failed attempt. Returns True if another attempt is allowed."""
    return JOBS.failed(job_id, task_id, error)


def reports_sweep() -> dict[str, int]:
    """Re-send jobs left queued (the broker was down) and free jobs whose lease ran out."""
    return JOBS.sweep()


def report_data_changed(report: Report) -> dict:
    """Whether the data the report covers have changed since it was compiled: its stored
    fingerprint against the fingerprint now (a few aggregate queries, never a rebuild).
    A later change of the opinion thresholds is not a change of data."""
    current = report_fingerprint(report.cycle)
    return {
        "report_hash": report.report_hash,
        "fingerprint": report.inputs_fingerprint,
        "current_fingerprint": current,
        "changed": current != report.inputs_fingerprint,
    }


def report_file_name(report: Report, kind: str) -> str:
    """The file's name in the reports storage."""
    return f"{report.folder}/{FILES[kind]}"


def report_file_open(report: Report, kind: str):
    """The stored file open at its start, its SHA-256 checked first (a changed or missing
    file raises files.StoredFileUnreadable, logged; the storage down, StorageUnavailable)."""
    return files.open_checked(
        REPORTS,
        report_file_name(report, kind),
        report.file_hashes.get(kind),
        what=f"report {FILES[kind]}",
    )


def report_file_bytes(report: Report, kind: str) -> bytes:
    with report_file_open(report, kind) as stream:
        return stream.read()
