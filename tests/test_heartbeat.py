"""The beat's ping keeps one heartbeat per worker, and /health/ says how long ago the
newest one came (a worker that stopped shows as late; the web itself stays healthy)."""

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from audits.models import WorkerHeartbeat
from worker.tasks import ping


def test_pings_keep_one_row_per_worker_updated_in_place(db):
    ping.apply(args=("first",))
    first = WorkerHeartbeat.objects.get()
    ping.apply(args=("second",))

    kept = WorkerHeartbeat.objects.get()
    assert (kept.pk, kept.hostname) == (first.pk, first.hostname)
    assert kept.token == "second"
    assert kept.received_at > first.received_at


def test_a_worker_silent_for_a_week_is_forgotten_at_the_next_ping(db):
    gone = WorkerHeartbeat.objects.create(hostname="celery@old-container", token="t")
    WorkerHeartbeat.objects.filter(pk=gone.pk).update(
        received_at=timezone.now() - timedelta(days=8)
    )
    recent = WorkerHeartbeat.objects.create(hostname="celery@other-worker", token="t")

    ping.apply(args=("now",))

    assert not WorkerHeartbeat.objects.filter(pk=gone.pk).exists()
    assert WorkerHeartbeat.objects.filter(pk=recent.pk).exists()
    assert WorkerHeartbeat.objects.count() == 2


def test_health_says_no_worker_has_answered_yet(db):
    response = Client().get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert (body["worker"], body["worker_last_seen_seconds"]) == ("never", None)


def test_health_reports_the_age_of_the_newest_heartbeat(db):
    ping.apply(args=("now",))
    body = Client().get("/health/").json()
    assert body["worker"] == "ok"
    assert 0 <= body["worker_last_seen_seconds"] < 5


def test_health_reports_a_worker_late_but_stays_up(db):
    beat = WorkerHeartbeat.objects.create(hostname="celery@quiet", token="t")
    WorkerHeartbeat.objects.filter(pk=beat.pk).update(
        received_at=timezone.now() - timedelta(minutes=10)
    )
    response = Client().get("/health/")
    assert response.status_code == 200  # pages and the API work without a worker
    body = response.json()
    assert body["status"] == "ok"
    assert body["worker"] == "late"
    assert 595 <= body["worker_last_seen_seconds"] <= 605
