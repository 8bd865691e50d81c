"""Inspection packs: request (a job row, sent to the worker by name on commit), the steps a
build takes (claim by a conditional update, progress, the zip saved to the packs storage
once, the job finished once), the sweep, and the download checked against the SHA-256.

The worker builds the zip (``worker/pack.py``) in a local temporary file and hands it here
whole: a crash mid-build leaves no pack in the storage, only a job to be retried.
"""

import hashlib
import logging
import time
from datetime import timedelta

from django.conf import settings
from django.core.files import File
from django.core.files.storage import storages
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from audits.core.errors import StateConflict
from audits.models import Cycle, PackJob
from audits.models.packs import PACK_MAX_ATTEMPTS
from audits.services.history import event_record
from backend.celery import app as celery_app

log = logging.getLogger(__name__)
PACK_TASK = "worker.tasks.build_pack"
QUEUED_GRACE = timedelta(seconds=30)
ACTIVE = (PackJob.Status.QUEUED, PackJob.Status.RUNNING)


def _storage():
    return storages["packs"]


def pack_enqueue(job_id: int) -> bool:
    """Send the job to the broker; if it is down the job stays queued for the sweep."""
    try:
        celery_app.send_task(PACK_TASK, args=(job_id,), retry=False)
    except Exception:
        log.warning("pack job %s could not be enqueued now; the sweep will retry", job_id)
        return False
    PackJob.objects.filter(pk=job_id).update(enqueued_at=timezone.now())
    return True


def pack_request(*, cycle: Cycle, actor) -> tuple[PackJob, bool]:
    """Queue a build of ``cycle``'s pack by ``actor``; a build already queued or running for
    the cycle is returned instead of a second one. Returns (job, created)."""
    if not hasattr(cycle, "frame"):
        raise StateConflict("An inspection pack needs a drawn sample.")
    with transaction.atomic():
        Cycle.objects.select_for_update().filter(pk=cycle.pk).first()
        running = PackJob.objects.filter(cycle=cycle, status__in=ACTIVE).first()
        if running is not None:
            return running, False
        job = PackJob.objects.create(cycle=cycle, requested_by=actor)
        event_record(actor=actor, verb="pack.requested", obj=job, after={"cycle": cycle.pk})
        transaction.on_commit(lambda: pack_enqueue(job.pk))
    return job, True


def pack_claim(job_id: int, task_id: str) -> bool:
    """Take the job for this task: a queued one, one this same message held (redelivered
    after a crash) or one whose lease ran out; never a finished one or one another live
    task holds. A job that has used its attempts is failed instead."""
    now = timezone.now()
    claimable = (
        Q(status=PackJob.Status.QUEUED)
        | Q(status=PackJob.Status.RUNNING, claimed_by=task_id)
        | Q(status=PackJob.Status.RUNNING, lease_until__lt=now)
    )
    claimed = PackJob.objects.filter(claimable, pk=job_id, attempts__lt=PACK_MAX_ATTEMPTS).update(
        status=PackJob.Status.RUNNING,
        claimed_by=task_id,
        attempts=F("attempts") + 1,
        started_at=now,
        lease_until=now + timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60),
        progress=0,
        error="",
    )
    if not claimed:
        PackJob.objects.filter(claimable, pk=job_id, attempts__gte=PACK_MAX_ATTEMPTS).update(
            status=PackJob.Status.FAILED,
            finished_at=now,
            error=f"gave up after {PACK_MAX_ATTEMPTS} attempts",
        )
    return bool(claimed)


def pack_progress(job_id: int, task_id: str, value: int) -> None:
    PackJob.objects.filter(pk=job_id, claimed_by=task_id).update(progress=value)
    if settings.REPORT_DRILL_PAUSE:
        # Fault drills only (off by default): hold each stage so a test can kill the worker
        # part-way through a build.
        time.sleep(settings.REPORT_DRILL_PAUSE)


def pack_name(job: PackJob) -> str:
    return f"cycle-{job.cycle_id}/inspection-pack-{job.pk}.zip"


def pack_store(
    *, job_id: int, task_id: str, path, sha256: str, manifest_sha256: str, report_hash: str
) -> PackJob | None:
    """Save the finished zip at ``path`` to the packs storage, once, and finish the job.
    None if the job is no longer this task's (another took over after the lease ran out).
    A file left under the job's name by an attempt that died while saving is replaced: no
    one can download it, as its job was never finished."""
    job = PackJob.objects.get(pk=job_id)
    if job.status != PackJob.Status.RUNNING or job.claimed_by != task_id:
        return None
    name = pack_name(job)
    storage = _storage()
    if storage.exists(name):
        storage.delete(name)
    with open(path, "rb") as stream:
        stored = storage.save(name, File(stream, name=name))
    size = storage.size(stored)
    with transaction.atomic():
        job = PackJob.objects.select_for_update().get(pk=job_id)
        if job.status != PackJob.Status.RUNNING or job.claimed_by != task_id:
            return None
        job.status, job.progress, job.finished_at = PackJob.Status.DONE, 100, timezone.now()
        job.stored_name, job.sha256, job.size = stored, sha256, size
        job.manifest_sha256, job.report_hash = manifest_sha256, report_hash or ""
        job.save()
        event_record(
            actor=None,
            verb="pack.built",
            obj=job,
            after={
                "cycle": job.cycle_id,
                "sha256": sha256,
                "manifest_sha256": manifest_sha256,
                "report_hash": report_hash,
                "size": size,
            },
        )
    return job


def pack_failed(job_id: int, task_id: str, error: str) -> bool:
    """Record a failed attempt. Returns True if another attempt is allowed."""
    job = PackJob.objects.filter(pk=job_id, claimed_by=task_id).first()
    if job is None:
        return False
    retry = job.attempts < PACK_MAX_ATTEMPTS
    PackJob.objects.filter(pk=job_id, claimed_by=task_id).update(
        status=PackJob.Status.QUEUED if retry else PackJob.Status.FAILED,
        error=error[:2000],
        finished_at=None if retry else timezone.now(),
    )
    return retry


def packs_sweep() -> dict[str, int]:
    """Re-send jobs left queued (the broker was down, an attempt crashed) and free jobs whose
    lease ran out (their worker died)."""
    now = timezone.now()
    expired = PackJob.objects.filter(status=PackJob.Status.RUNNING, lease_until__lt=now)
    given_up = expired.filter(attempts__gte=PACK_MAX_ATTEMPTS).update(
        status=PackJob.Status.FAILED, finished_at=now, error="ran past its time limit 3 times"
    )
    freed = expired.update(status=PackJob.Status.QUEUED)
    stale = PackJob.objects.filter(
        Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=now - QUEUED_GRACE * 10),
        status=PackJob.Status.QUEUED,
        requested_at__lt=now - QUEUED_GRACE,
    ).values_list("pk", flat=True)
    sent = sum(pack_enqueue(job_id) for job_id in list(stale))
    return {"packs_failed": given_up, "packs_freed": freed, "packs_sent": sent}


class PackUnreadable(StateConflict):
    pass


def pack_open(*, job: PackJob, actor):
    """The stored zip, open for reading, after its SHA-256 is checked against the one taken
    when it was built (read once to hash, then streamed: memory stays flat). The download
    is recorded as an Event, as well as in the access log."""
    if job.status != PackJob.Status.DONE:
        raise StateConflict("The inspection pack is not ready yet.")
    storage = _storage()
    try:
        stream = storage.open(job.stored_name, "rb")
    except OSError:
        log.error("pack %s: the stored file is missing", job.pk)
        raise PackUnreadable("This pack cannot be found. Build it again.") from None
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(1 << 20), b""):
        digest.update(chunk)
    if digest.hexdigest() != job.sha256:
        stream.close()
        log.error("pack %s: the stored file does not match its SHA-256", job.pk)
        raise PackUnreadable(
            "This pack has changed since it was built, so it is not given out. Build it again."
        )
    stream.seek(0)
    event_record(actor=actor, verb="pack.downloaded", obj=job, after={"sha256": job.sha256})
    return stream
