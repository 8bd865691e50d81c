"""Celery tasks: thin shells that load by id and call a service (a report compile is
orchestrated in ``worker/compile.py``)."""

import logging
import secrets
import socket
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from audits.models import WorkerHeartbeat

logger = logging.getLogger(__name__)

FORGET_WORKER_AFTER = timedelta(days=7)


@shared_task(bind=True, name="worker.tasks.ping")
def ping(self, token: str | None = None) -> None:
    """Record that this worker consumed a message (the beat sends one a minute): its one
    heartbeat row is updated in place, and workers silent for a week are forgotten."""
    hostname = self.request.hostname or socket.gethostname()
    WorkerHeartbeat.objects.update_or_create(
        hostname=hostname, defaults={"token": token or secrets.token_hex(8)}
    )
    WorkerHeartbeat.objects.filter(received_at__lt=timezone.now() - FORGET_WORKER_AFTER).delete()


@shared_task(name="worker.tasks.remind_overdue_escalations")
def remind_overdue_escalations() -> int:
    from audits.services.escalations import escalations_remind_overdue

    return escalations_remind_overdue()


@shared_task(name="worker.tasks.remind_actions")
def remind_actions() -> dict:
    from audits.services.actions import actions_remind

    return actions_remind()


@shared_task(name="worker.tasks.remind_audits")
def remind_audits() -> dict:
    from audits.services.audit_reminders import audits_remind

    return audits_remind()


@shared_task(name="worker.tasks.request_responses")
def request_responses() -> dict:
    from audits.services.responses import responses_request_and_remind

    return responses_request_and_remind()


@shared_task(
    bind=True,
    name="worker.tasks.compile_report",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=3,
)
def compile_report(self, job_id: int) -> int | None:
    """Compile one report job. The job row says what to do and records how far it got."""
    from audits.services.reports import job_failed
    from worker.compile import report_compile

    try:
        report = report_compile(job_id, self.request.id)
    except Exception as error:
        logger.exception("report job %s failed", job_id)
        if job_failed(job_id, self.request.id, f"{type(error).__name__}: {error}"):
            raise self.retry(countdown=5) from error
        return None
    return None if report is None else report.pk


@shared_task(name="worker.tasks.sweep_reports")
def sweep_reports() -> dict:
    from audits.services.import_jobs import import_jobs_sweep
    from audits.services.packs import packs_sweep
    from audits.services.reports import reports_sweep

    return {**reports_sweep(), **import_jobs_sweep(), **packs_sweep()}


@shared_task(
    bind=True,
    name="worker.tasks.build_pack",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=3,
)
def build_pack(self, job_id: int) -> int | None:
    """Build one cycle's inspection pack. A crash leaves no pack and the job is retried."""
    from audits.services.packs import pack_failed
    from worker.pack import pack_build

    try:
        job = pack_build(job_id, self.request.id)
    except Exception as error:
        logger.exception("pack job %s failed", job_id)
        if pack_failed(job_id, self.request.id, f"{type(error).__name__}: {error}"):
            raise self.retry(countdown=5) from error
        return None
    return None if job is None else job.pk


@shared_task(
    bind=True,
    name="worker.tasks.import_register",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=3,
)
def import_register(self, job_id: int) -> str | None:
    """Import one stored register file (all rows or none). A crash writes nothing and the
    job is tried again."""
    from audits.services.import_jobs import import_job_failed, import_job_run

    try:
        job = import_job_run(job_id=job_id, task_id=self.request.id)
    except Exception as error:
        logger.exception("import job %s failed", job_id)
        if import_job_failed(job_id, self.request.id, f"{type(error).__name__}: {error}"):
            raise self.retry(countdown=5) from error
        return None
    return None if job is None else job.status


@shared_task(name="worker.tasks.purge_retention")
def purge_retention() -> dict:
    from audits.services.retention import retention_purge

    return retention_purge(dry_run=False)


@shared_task(name="worker.tasks.run_programme")
def run_programme() -> dict:
    from audits.services.programme import programme_run

    return programme_run()
