"""Assurance reports: request (a job row, enqueued on commit), compile (claimed by a
conditional update, files written atomically, one immutable version), sweep, and the check
whether the data have changed since a report."""

import hashlib
import io
import json
import logging
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from audits.core.errors import StateConflict
from audits.core.figures import appendix, compute_figures
from audits.core.opinion import OpinionThresholds
from audits.core.responses import response_figures
from audits.infra.files import write_atomically
from audits.models import Cycle, Report, ReportJob
from audits.models.opinion import opinion_thresholds
from audits.models.reports import MAX_ATTEMPTS
from audits.selectors import snapshot
from audits.selectors.report_appendix import audit_rows, sampled_rows
from audits.selectors.report_inputs import report_inputs
from audits.selectors.report_responses import response_inputs
from audits.services.history import event_record
from audits.services.sample import sample_verify
from worker.report_csv import render_csv
from worker.report_pdf import render_pdf

log = logging.getLogger(__name__)
QUEUED_GRACE = timedelta(seconds=30)
FILES = {"pdf": "report.pdf", "json": "data.json", "csv": "audits.csv"}


def canonical_hash(data) -> str:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)
    return hashlib.sha256(text.encode()).hexdigest()


def enqueue(job_id: int) -> bool:
    """Send the job to the broker. If the broker is down the job stays queued in the
    database and the sweep sends it later, so a request never fails for that."""
    from worker.tasks import compile_report

    try:
        compile_report.apply_async((job_id,), retry=False)
    except Exception:
        log.warning("report job %s could not be enqueued now; the sweep will retry", job_id)
        return False
    ReportJob.objects.filter(pk=job_id).update(enqueued_at=timezone.now())
    return True


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
    """Take the job for this task. A queued job, a job this same message already held (it
    was redelivered after a crash), or one whose lease ran out can be taken; never one that
    another live task holds or that is finished."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    claimable = (
        Q(status=ReportJob.Status.QUEUED)
        | Q(status=ReportJob.Status.RUNNING, claimed_by=task_id)
        | Q(status=ReportJob.Status.RUNNING, lease_until__lt=now)
    )
    claimed = ReportJob.objects.filter(claimable, pk=job_id, attempts__lt=MAX_ATTEMPTS).update(
        status=ReportJob.Status.RUNNING, claimed_by=task_id, attempts=F("attempts") + 1,
        started_at=now, lease_until=lease, progress=0, error="",
    )  # fmt: skip
    if not claimed:
        ReportJob.objects.filter(
            pk=job_id, status=ReportJob.Status.QUEUED, attempts__gte=MAX_ATTEMPTS
        ).update(status=ReportJob.Status.FAILED, finished_at=now, error="gave up after 3 attempts")
    return bool(claimed)


def _progress(job_id: int, task_id: str, value: int) -> None:
    ReportJob.objects.filter(pk=job_id, claimed_by=task_id).update(progress=value)
    if settings.REPORT_DRILL_PAUSE:
        # Fault drills only (off by default): hold each stage so a test can kill the worker
        # part-way through a compile.
        time.sleep(settings.REPORT_DRILL_PAUSE)


def build(
    cycle: Cycle, as_of, thresholds: OpinionThresholds | None = None
) -> tuple[dict, str, list[dict]]:
    """Inputs -> figures with the appendix, and the report hash over the inputs, the
    details (every audit's and sampled case's row) and the figures; plus the CSV rows.
    The opinion uses ``thresholds``, by default the organisation's thresholds now."""
    with snapshot.one_snapshot():  # figures, rows and hash of the same moment
        inputs = report_inputs(cycle, as_of)
        verify = sample_verify(cycle=cycle) if hasattr(cycle, "frame") else {}
        rows = audit_rows(cycle)
        responses = response_inputs(cycle, as_of)
        details = {"audits": rows, "sampled": sampled_rows(cycle), "responses": responses}
    figures = compute_figures(
        inputs,
        verify={k: verify.get(k) for k in ("command", "script")},
        thresholds=thresholds or opinion_thresholds(),
    )
    figures["appendix"] = appendix(rows)
    figures["practitioner_responses"] = response_figures(responses)
    return figures, canonical_hash({"inputs": inputs, "details": details, "figures": figures}), rows


def _reserve_version(job: ReportJob) -> int:
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


def report_compile(job_id: int, task_id: str) -> Report | None:
    """Compile a claimed job into the next report version. Safe to run twice."""
    if not job_claim(job_id, task_id):
        return None
    job = ReportJob.objects.select_related("cycle__frame").get(pk=job_id)
    folder = Path(settings.MEDIA_ROOT) / "reports" / f"cycle-{job.cycle_id}" / f"job-{job.pk}"
    folder.mkdir(parents=True, exist_ok=True)
    for leftover in folder.glob(".*"):
        leftover.unlink()  # temporary files of an attempt that was killed mid-write
    _progress(job_id, task_id, 10)
    figures, report_hash, rows = build(job.cycle, job.as_of)
    _progress(job_id, task_id, 40)
    version = _reserve_version(job)
    figures["report"] = {
        "version": version, "hash": report_hash, "cycle_id": job.cycle_id,
        "title": "Case audit assurance report",
    }  # fmt: skip
    data = json.dumps(figures, indent=1, cls=DjangoJSONEncoder).encode()
    write_atomically(folder / FILES["json"], lambda out: out.write(data))
    _progress(job_id, task_id, 60)
    write_atomically(folder / FILES["pdf"], lambda out: render_pdf(figures, out))
    _progress(job_id, task_id, 85)

    def csv_bytes(out):
        text = io.StringIO(newline="")
        render_csv(rows, text)
        out.write(text.getvalue().encode())

    write_atomically(folder / FILES["csv"], csv_bytes)
    _progress(job_id, task_id, 95)
    with transaction.atomic():
        job = ReportJob.objects.select_for_update().get(pk=job_id)
        if job.status != ReportJob.Status.RUNNING or job.claimed_by != task_id:
            return None  # another task took over after our lease ran out
        report = Report.objects.create(
            cycle=job.cycle, job=job, version=version, report_hash=report_hash,
            opinion=figures["opinion"]["level"], figures=figures, as_of=job.as_of,
            folder=str(folder.relative_to(settings.MEDIA_ROOT)),
        )  # fmt: skip
        job.status, job.progress, job.finished_at = ReportJob.Status.DONE, 100, timezone.now()
        job.save(update_fields=["status", "progress", "finished_at"])
        Cycle.objects.filter(pk=job.cycle_id, status=Cycle.Status.CLOSED).update(
            status=Cycle.Status.REPORTED
        )
        event_record(
            actor=None, verb="report.compiled", obj=report,
            after={"version": version, "hash": report_hash, "opinion": report.opinion,
                   "interim": figures["interim"]},
        )  # fmt: skip
    return report


def job_failed(job_id: int, task_id: str, error: str) -> bool:
    """Record a failed attempt. Returns True if another attempt is allowed."""
    job = ReportJob.objects.filter(pk=job_id, claimed_by=task_id).first()
    if job is None:
        return False
    retry = job.attempts < MAX_ATTEMPTS
    ReportJob.objects.filter(pk=job_id, claimed_by=task_id).update(
        status=ReportJob.Status.QUEUED if retry else ReportJob.Status.FAILED,
        error=error[:2000],
        finished_at=None if retry else timezone.now(),
    )
    return retry


def reports_sweep() -> dict[str, int]:
    """Re-send jobs left queued (the broker was down) and free jobs whose lease ran out."""
    now = timezone.now()
    expired = ReportJob.objects.filter(status=ReportJob.Status.RUNNING, lease_until__lt=now)
    given_up = expired.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=ReportJob.Status.FAILED, finished_at=now, error="ran past its time limit 3 times"
    )
    freed = expired.update(status=ReportJob.Status.QUEUED)
    stale = ReportJob.objects.filter(
        Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=now - QUEUED_GRACE * 10),
        status=ReportJob.Status.QUEUED,
        requested_at__lt=now - QUEUED_GRACE,
    ).values_list("pk", flat=True)
    sent = sum(enqueue(job_id) for job_id in list(stale))
    return {"failed": given_up, "freed": freed, "sent": sent}


def report_data_changed(report: Report) -> dict:
    """Recompute the hash as at the report's moment: a different hash means the data changed."""
    cycle = Cycle.objects.select_related("frame").get(pk=report.cycle_id)
    # The thresholds the report used: a later change of thresholds is not a change of data.
    used = report.figures.get("opinion", {}).get("thresholds")
    thresholds = OpinionThresholds.from_dict(used) if used else None
    _, current_hash, _ = build(cycle, report.as_of, thresholds)
    return {
        "report_hash": report.report_hash,
        "current_hash": current_hash,
        "changed": current_hash != report.report_hash,
    }


def report_file(report: Report, kind: str) -> Path:
    return Path(settings.MEDIA_ROOT) / report.folder / FILES[kind]
