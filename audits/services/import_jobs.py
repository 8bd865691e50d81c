"""Register imports as jobs: the upload is stored with its SHA-256 and a worker checks and
writes it (``register_import``: every row or none), recording how far it got.

A worker that dies mid-import leaves no row written (the write is one transaction) and the
job running under a lease; the task is redelivered (acks late) or the lease runs out, and
the job is claimed again and imported from the stored file. The file is deleted once the
job is finished or has failed for good.
"""

import hashlib
import logging
import uuid
from contextlib import closing
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import storages
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from audits.core.errors import DomainError
from audits.core.register_csv import KINDS
from audits.infra import files
from audits.models import ImportJob
from audits.services.history import event_record
from audits.services.import_progress import JobProgress
from audits.services.register_import import ImportRejected, import_scope, register_import
from audits.services.register_import_sql import Stages
from backend.celery import app as celery_app

log = logging.getLogger(__name__)

IMPORT_TASK = "worker.tasks.import_register"
MAX_ATTEMPTS = 3


def _storage():
    return storages["imports"]


def import_job_enqueue(job_id: int) -> bool:
    """Send the job to the broker; if it is down the job stays queued for the sweep."""
    try:
        celery_app.send_task(IMPORT_TASK, args=(job_id,), retry=False)
    except Exception:
        log.warning("import job %s could not be enqueued now; the sweep will retry", job_id)
        return False
    return True


def import_job_start(*, actor, kind: str, upload, dry_run: bool = False) -> ImportJob:
    """Store ``upload`` (a Django File) and queue its import by ``actor``. Refuses at once
    what the worker would refuse before reading a row: an unknown kind, a person who may not
    import this kind (403)."""
    if kind not in KINDS:
        raise DomainError("Unknown import kind.", fields={"kind": [f"one of {', '.join(KINDS)}"]})
    import_scope(actor=actor, kind=kind)
    digest, lines, last = hashlib.sha256(), 0, b"\n"
    for chunk in upload.chunks():
        digest.update(chunk)
        lines += chunk.count(b"\n")
        last = chunk[-1:] or last
    lines += last != b"\n"  # a last line without its line break
    try:
        name = _storage().save(f"{uuid.uuid4().hex}.csv", upload)
    except Exception as error:  # object storage down or refusing: 503, nothing queued
        log.error("the register upload could not be stored: %r", error)
        raise files.StorageUnavailable(files.UNAVAILABLE) from error
    with transaction.atomic():
        job = ImportJob.objects.create(
            kind=kind,
            dry_run=dry_run,
            file_name=name,
            file_sha256=digest.hexdigest(),
            file_size=upload.size,
            total_rows=max(lines - 1, 0),
            requested_by=actor,
        )
        event_record(
            actor=actor,
            verb="register.import_requested",
            obj=job,
            after={"kind": kind, "dry_run": dry_run, "sha256": job.file_sha256},
        )
        transaction.on_commit(lambda: import_job_enqueue(job.pk))
    return job


def import_job_claim(job_id: int, task_id: str) -> bool:
    """Take the job for this task: a queued one, one this same message held (redelivered
    after a crash) or one whose lease ran out; never a finished or failed one."""
    now = timezone.now()
    claimable = (
        Q(status=ImportJob.Status.QUEUED)
        | Q(status=ImportJob.Status.RUNNING, claimed_by=task_id)
        | Q(status=ImportJob.Status.RUNNING, lease_until__lt=now)
    )
    return bool(
        ImportJob.objects.filter(claimable, pk=job_id, attempts__lt=MAX_ATTEMPTS).update(
            status=ImportJob.Status.RUNNING,
            claimed_by=task_id,
            attempts=F("attempts") + 1,
            started_at=now,
            lease_until=now + timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60),
            rows_checked=0,
            rows_written=0,
        )
    )


def _finish(job: ImportJob, **fields) -> None:
    ImportJob.objects.filter(pk=job.pk).update(finished_at=timezone.now(), **fields)
    _storage().delete(job.file_name)
    job.refresh_from_db()


def import_job_run(*, job_id: int, task_id: str) -> ImportJob | None:
    """Import a claimed job's stored file; None if the job is not this task's."""
    if not import_job_claim(job_id, task_id):
        return None
    job = ImportJob.objects.select_related("requested_by").get(pk=job_id)
    progress, stages = JobProgress(job, task_id), Stages()
    with _storage().open(job.file_name, "rb") as stream, closing(progress):
        digest = hashlib.sha256()
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
        if digest.hexdigest() != job.file_sha256:
            _finish(job, status=ImportJob.Status.FAILED, message="The stored file has changed.")
            return job
        stream.seek(0)
        stages.lap("hash")
        try:
            outcome = register_import(
                kind=job.kind,
                fileobj=stream,
                actor=job.requested_by,
                dry_run=job.dry_run,
                progress=progress,
                stages=stages,
            )
        except ImportRejected as rejected:
            with transaction.atomic():
                _finish(
                    job,
                    status=ImportJob.Status.FAILED,
                    errors=[error.as_dict() for error in rejected.errors],
                    error_count=rejected.error_count,
                    message=rejected.message,
                )
                event_record(
                    actor=job.requested_by,
                    verb="register.import_rejected",
                    obj=job,
                    after={"error_count": rejected.error_count},
                )
            return job
        except DomainError as refused:  # the importer lost the right to import meanwhile
            _finish(job, status=ImportJob.Status.FAILED, message=refused.message)
            return job
    _finish(
        job,
        status=ImportJob.Status.FINISHED,
        rows_checked=outcome.rows,
        rows_written=0 if job.dry_run else outcome.rows,
        created=outcome.created,
        updated=outcome.updated,
    )
    stages.lap("finish")
    # Where the time went (bench/register_import.py reads it from this record).
    log.info("import job %s finished: %s", job.pk, stages.rounded(), extra={"stages": stages})
    return job


def import_job_failed(job_id: int, task_id: str, error: str) -> bool:
    """Record a crashed attempt (nothing was written: the write is one transaction). Returns
    True if another attempt is allowed."""
    job = ImportJob.objects.filter(pk=job_id, claimed_by=task_id).first()
    if job is None:
        return False
    retry = job.attempts < MAX_ATTEMPTS
    if retry:
        ImportJob.objects.filter(pk=job_id).update(status=ImportJob.Status.QUEUED)
    else:
        _finish(job, status=ImportJob.Status.FAILED, message=f"The import failed: {error[:500]}")
    return retry


def import_jobs_sweep() -> dict[str, int]:
    """Re-send jobs left queued (the broker was down, or an attempt crashed) and free jobs
    whose lease ran out (their worker died)."""
    now = timezone.now()
    expired = ImportJob.objects.filter(status=ImportJob.Status.RUNNING, lease_until__lt=now)
    freed = expired.update(status=ImportJob.Status.QUEUED)
    queued = ImportJob.objects.filter(
        status=ImportJob.Status.QUEUED, requested_at__lt=now - timedelta(seconds=30)
    ).values_list("pk", flat=True)
    sent = sum(import_job_enqueue(pk) for pk in queued)
    return {"import_jobs_freed": freed, "import_jobs_sent": sent}
