"""Database and broker checks for /health/ (no auth, no data)."""

import os

import redis
from django.conf import settings
from django.db import connection


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
