"""The lease a report or pack job is held by (audits/services/job_lease.py), the same rules
for both kinds: who may take a job, when it is given up, and what the sweep does."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audits.models import PackJob, ReportJob
from audits.services import packs, reports


def _report_job(cycle, user):
    return ReportJob.objects.create(cycle=cycle, requested_by=user, as_of=timezone.now())


def _pack_job(cycle, user):
    return PackJob.objects.create(cycle=cycle, requested_by=user)


KINDS = {
    "report": (_report_job, reports.JOBS),
    "pack": (_pack_job, packs.JOBS),
}


@pytest.fixture(params=sorted(KINDS))
def kind(request, work, people):
    make, jobs = KINDS[request.param]
    return lambda: make(work["cycle"], people["qa_lead_quinn"]), jobs


def test_one_live_task_holds_a_job_and_its_own_redelivery_takes_it_again(kind):
    make, jobs = kind
    job = make()
    assert jobs.claim(job.pk, "first")
    assert not jobs.claim(job.pk, "second")
    jobs.progress(job.pk, "second", 80)  # not its job: nothing moves
    jobs.progress(job.pk, "first", 40)
    job.refresh_from_db()
    assert (job.status, job.claimed_by, job.progress, job.attempts) == ("running", "first", 40, 1)
    assert jobs.claim(job.pk, "first")  # the same message, redelivered after a crash
    job.refresh_from_db()
    assert (job.attempts, job.progress) == (2, 0)


def test_a_job_whose_lease_ran_out_is_taken_over(kind):
    make, jobs = kind
    job = make()
    assert jobs.claim(job.pk, "dead-worker")
    type(job).objects.filter(pk=job.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert jobs.claim(job.pk, "next-worker")
    assert type(job).objects.get(pk=job.pk).claimed_by == "next-worker"


def test_failed_attempts_queue_the_job_again_until_its_last(kind):
    make, jobs = kind
    job = make()
    for attempt in range(1, jobs.max_attempts + 1):
        assert jobs.claim(job.pk, f"task-{attempt}")
        assert jobs.failed(job.pk, f"task-{attempt}", "OSError: disk") is (
            attempt < jobs.max_attempts
        )
    job.refresh_from_db()
    assert (job.status, job.error) == ("failed", "OSError: disk")
    assert job.finished_at is not None
    assert not jobs.claim(job.pk, "one-more")
    assert not jobs.failed(job.pk, "not-its-task", "x")


def test_a_job_out_of_attempts_is_given_up_when_claimed(kind):
    make, jobs = kind
    job = make()
    type(job).objects.filter(pk=job.pk).update(attempts=jobs.max_attempts)
    assert not jobs.claim(job.pk, "late")
    job.refresh_from_db()
    assert (job.status, job.error) == ("failed", f"gave up after {jobs.max_attempts} attempts")


def test_the_sweep_frees_expired_jobs_fails_spent_ones_and_resends_queued_ones(kind, monkeypatch):
    make, jobs = kind
    sent = []
    monkeypatch.setattr(jobs.__class__, "enqueue", lambda self, job_id: sent.append(job_id) or True)
    expired, spent, waiting = make(), make(), make()
    past = timezone.now() - timedelta(minutes=5)
    model = type(expired)
    model.objects.filter(pk=expired.pk).update(status="running", lease_until=past, attempts=1)
    model.objects.filter(pk=spent.pk).update(
        status="running", lease_until=past, attempts=jobs.max_attempts
    )
    model.objects.filter(pk=waiting.pk).update(requested_at=past)
    counts = jobs.sweep()
    prefix = jobs.sweep_prefix
    assert counts == {f"{prefix}failed": 1, f"{prefix}freed": 1, f"{prefix}sent": 1}
    assert sent == [waiting.pk]
    assert model.objects.get(pk=expired.pk).status == "queued"
    spent.refresh_from_db()
    assert (spent.status, spent.error) == ("failed", "ran past its time limit 3 times")
