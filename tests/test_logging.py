"""What a developer reads on the console: each log record once, and no warning about a
broker setting nobody needs to change."""

import logging
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Emitted in a fresh process with the project's LOGGING applied, as runserver, the worker and
# every management command do; the markers are counted on the console (stderr).
EMIT = """
import logging
import django
django.setup()
for name in ("django", "django.request", "django.server", "audits", "worker", "celery"):
    logging.getLogger(name).warning("marker-from-%s", name)
logging.getLogger().warning("marker-from-root")
"""


def test_each_log_record_is_printed_once(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "backend.settings", "DATA_DIR": str(tmp_path)}
    env.pop("LOG_LEVEL", None)
    result = subprocess.run(
        [sys.executable, "-c", EMIT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    console = (result.stdout + result.stderr).splitlines()
    for name in ("django", "django.request", "django.server", "audits", "worker", "celery", "root"):
        lines = [line for line in console if line.endswith(f"marker-from-{name}")]
        assert len(lines) == 1, f"{name}: {lines}"


def test_the_broker_connection_names_its_host(caplog):
    # kombu warns "No hostname was supplied" each time it describes a connection whose URL
    # has no host (the filesystem transport's "filesystem://"): the URL names one instead.
    from backend.celery import app

    caplog.set_level(logging.WARNING, logger="kombu")
    with app.connection_for_write() as connection:
        connection.as_uri()
        connection.info()
    assert not [r for r in caplog.records if "hostname" in r.getMessage()]
