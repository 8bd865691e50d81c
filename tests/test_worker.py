"""A real Celery worker consumes a task from the real broker and writes to the database."""

import secrets

import pytest
from django.conf import settings
from django.db import connection

from audits.models import WorkerHeartbeat
from tests.conftest import service_missing, wait_for
from worker.tasks import ping


@pytest.mark.worker
def test_a_live_worker_answers_a_ping_task(live_worker):
    def heartbeat_with(token):
        def heartbeat_written():
            return WorkerHeartbeat.objects.filter(token=token).first()

        return heartbeat_written

    first_token, second_token = secrets.token_hex(8), secrets.token_hex(8)
    ping.delay(first_token)
    first = wait_for(heartbeat_with(first_token), timeout=60)
    ping.delay(second_token)
    second = wait_for(heartbeat_with(second_token), timeout=60)

    assert first.hostname.startswith("celery@")
    assert (second.pk, second.hostname) == (first.pk, first.hostname)  # updated in place
    assert WorkerHeartbeat.objects.count() == 1
    transport = settings.CELERY_BROKER_URL.split(":")[0]
    print(f"worker consumed ping via {transport} on {connection.vendor}")


def test_ci_really_uses_postgresql_and_redis(db):
    # Locally a missing service is skipped; in CI (CASEASSURE_REQUIRE_SERVICES=1) it fails.
    if connection.vendor != "postgresql":
        service_missing("PostgreSQL is not configured (DATABASE_URL)")
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        service_missing("Redis is not configured (REDIS_URL)")
