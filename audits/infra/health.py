"""Database, broker and worker checks for /health/ (no auth, no data)."""

import os
from datetime import timedelta

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from audits.models import WorkerHeartbeat

# The beat pings every minute; a few missed pings mean no worker is consuming the queue.
WORKER_LATE_AFTER = timedelta(minutes=5)


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


def broker_ok() -> bool:
    if settings.REDIS_URL:
        try:
            client = redis.Redis.from_url(
                settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2
            )
            return bool(client.ping())
        except (redis.RedisError, OSError):
            return False
    folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]
    return os.path.isdir(folder) and os.access(folder, os.W_OK)


def worker_report() -> dict:
    """How long ago a worker last consumed the beat's ping: "ok", "late" or "never".
    Informational: pages and the API work without a worker, so it does not fail /health/."""
    try:
        newest = WorkerHeartbeat.objects.values_list("received_at", flat=True).first()
    except DatabaseError:
        newest = None
    if newest is None:
        return {"worker": "never", "worker_last_seen_seconds": None}
    age = max(timezone.now() - newest, timedelta(0))
    return {
        "worker": "late" if age > WORKER_LATE_AFTER else "ok",
        "worker_last_seen_seconds": round(age.total_seconds()),
    }


@require_GET
@never_cache
def health_view(request):
    checks = {"database": database_ok(), "broker": broker_ok()}
    body = {name: "ok" if good else "down" for name, good in checks.items()}
    body["status"] = "ok" if all(checks.values()) else "down"
    body.update(worker_report())
    return JsonResponse(body, status=200 if all(checks.values()) else 503)
