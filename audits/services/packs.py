"""Inspection packs: request (a job row, sent to the worker by name on commit), the steps a
build takes (claim by a conditional update, progress, the zip saved to the packs storage
once, the job finished once), the sweep, and the download checked against the SHA-256.

The worker builds the zip (``worker/pack.py``) in a local temporary file and hands it here
whole: a crash mid-build leaves no pack in the storage, only a job to be retried.
"""

import hashlib
import logging

from django.core.files import File
from django.core.files.storage import storages
from django.db import transaction
from django.utils import timezone

from audits.core.errors import StateConflict
from audits.models import Cycle, PackJob
from audits.models.packs import PACK_MAX_ATTEMPTS
from audits.services.history import event_record
from audits.services.job_lease import LeasedJobs

log = logging.getLogger(__name__)
PACK_TASK = "worker.tasks.build_pack"
ACTIVE = (PackJob.Status.QUEUED, PackJob.Status.RUNNING)


def _storage():
    return storages["packs"]


JOBS = LeasedJobs(PackJob, PACK_TASK, PACK_MAX_ATTEMPTS, sweep_prefix="packs_")


def pack_enqueue(job_id: int) -> bool:
    """Send the job to the broker; if it is down the job stays queued for the sweep."""
    return JOBS.enqueue(job_id)


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
    """Take the job for this task (services/job_lease.py)."""
    return JOBS.claim(job_id, task_id)


def pack_progress(job_id: int, task_id: str, value: int) -> None:
    JOBS.progress(job_id, task_id, value)


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
    return JOBS.failed(job_id, task_id, error)


def packs_sweep() -> dict[str, int]:
    """Re-send jobs left queued (the broker was down, an attempt crashed) and free jobs whose
    lease ran out (their worker died)."""
    return JOBS.sweep()


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
