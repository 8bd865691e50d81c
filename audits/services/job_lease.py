"""The lease a long job is held by, for the jobs a worker builds from a row (reports,
inspection packs): the row, not the broker, is the source of truth.

- ``enqueue``: send the job by name; with the broker down it stays queued for the sweep.
- ``claim``: a conditional update takes the job for one task: a queued job, one this same
  message held (redelivered after a crash) or one whose lease ran out; never a finished one
  or one another live task holds. A job that has used its attempts is failed instead.
- ``progress``: only the task holding the job moves it.
- ``failed``: an attempt's error recorded; queued again while attempts are left.
- ``sweep``: jobs whose lease ran out are freed (or failed after their last attempt), and
  jobs left queued are sent again.

Each kind of job names its model, its task and its attempts (``services/reports.py``,
``services/packs.py``); what a job writes when it finishes stays with its kind.
"""

import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from backend.celery import app as celery_app

log = logging.getLogger(__name__)
QUEUED_GRACE = timedelta(seconds=30)


@dataclass(frozen=True)
class LeasedJobs:
    model: type  # a job model: status, progress, attempts, claimed_by, lease_until, ...
    task: str  # the Celery task's name
    max_attempts: int
    sweep_prefix: str = ""  # the sweep's counts are named with it ("packs_freed")

    def enqueue(self, job_id: int) -> bool:
        try:
            celery_app.send_task(self.task, args=(job_id,), retry=False)
        except Exception:
            log.warning("%s %s could not be enqueued now; the sweep will retry", self.task, job_id)
            return False
        self.model.objects.filter(pk=job_id).update(enqueued_at=timezone.now())
        return True

    def claim(self, job_id: int, task_id: str) -> bool:
        status = self.model.Status
        now = timezone.now()
        claimable = (
            Q(status=status.QUEUED)
            | Q(status=status.RUNNING, claimed_by=task_id)
            | Q(status=status.RUNNING, lease_until__lt=now)
        )
        jobs = self.model.objects.filter(claimable, pk=job_id)
        claimed = jobs.filter(attempts__lt=self.max_attempts).update(
            status=status.RUNNING,
            claimed_by=task_id,
            attempts=F("attempts") + 1,
            started_at=now,
            lease_until=now + timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60),
            progress=0,
            error="",
        )
        if not claimed:
            jobs.filter(attempts__gte=self.max_attempts).update(
                status=status.FAILED,
                finished_at=now,
                error=f"gave up after {self.max_attempts} attempts",
            )
        return bool(claimed)

    def progress(self, job_id: int, task_id: str, value: int) -> None:
        self.model.objects.filter(pk=job_id, claimed_by=task_id).update(progress=value)
        if settings.REPORT_DRILL_PAUSE:
            # Fault drills only (off by default): hold each stage so a test can kill the
            # worker part-way through a job.
            time.sleep(settings.REPORT_DRILL_PAUSE)

    def failed(self, job_id: int, task_id: str, error: str) -> bool:
        """Record a failed attempt. Returns True if another attempt is allowed."""
        job = self.model.objects.filter(pk=job_id, claimed_by=task_id).first()
        if job is None:
            return False
        retry = job.attempts < self.max_attempts
        status = self.model.Status
        self.model.objects.filter(pk=job_id, claimed_by=task_id).update(
            status=status.QUEUED if retry else status.FAILED,
            error=error[:2000],
            finished_at=None if retry else timezone.now(),
        )
        return retry

    def sweep(self) -> dict[str, int]:
        status = self.model.Status
        now = timezone.now()
        expired = self.model.objects.filter(status=status.RUNNING, lease_until__lt=now)
        given_up = expired.filter(attempts__gte=self.max_attempts).update(
            status=status.FAILED,
            finished_at=now,
            error=f"ran past its time limit {self.max_attempts} times",
        )
        freed = expired.update(status=status.QUEUED)
        stale = self.model.objects.filter(
            Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=now - QUEUED_GRACE * 10),
            status=status.QUEUED,
            requested_at__lt=now - QUEUED_GRACE,
        ).values_list("pk", flat=True)
        sent = sum(self.enqueue(job_id) for job_id in list(stale))
        prefix = self.sweep_prefix
        return {f"{prefix}failed": given_up, f"{prefix}freed": freed, f"{prefix}sent": sent}
