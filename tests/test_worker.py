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
    token = secrets.token_hex(8)
    ping.delay(token)

    def heartbeat_written():
        return WorkerHeartbeat.objects.filter(token=token).first()

    beat = wait_for(heartbeat_written, timeout=60)
    assert beat.hostname
    transport = settings.CELERY_BROKER_URL.split(":")[0]
    print(f"worker consumed ping via {transport} on {connection.vendor}")


def test_ci_really_uses_postgresql_and_redis(db):
    # Locally a missing service is skipped; in CI (CASEASSURE_REQUIRE_SERVICES=1) it fails.
    if connection.vendor != "postgresql":
        service_missing("PostgreSQL is not configured (DATABASE_URL)")
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        service_missing("Redis is not configured (REDIS_URL)")
