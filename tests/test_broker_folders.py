"""The embedded broker (kombu's filesystem transport) keeps every folder under DATA_DIR."""

import os
import subprocess
import sys
import time

import pytest
from django.conf import settings

# Ask the worker for a remote-control answer: the client binds its reply queue as any
# `celery inspect` would, and the answer proves the worker bound its own queues.
ANSWERED = (
    "import sys\n"
    "from backend.celery import app\n"
    "sys.exit(0 if app.control.ping(timeout=2) else 1)\n"
)


@pytest.mark.worker
def test_a_worker_on_the_filesystem_broker_writes_nothing_in_the_working_directory(tmp_path):
    working_directory = tmp_path / "started-here"
    working_directory.mkdir()
    data_dir = tmp_path / "data"
    env = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'worker.sqlite3'}",
        # The code under test, wherever the shared virtualenv's editable install points.
        "PYTHONPATH": os.pathsep.join([str(settings.BASE_DIR), os.environ.get("PYTHONPATH", "")]),
    }
    for name in ("REDIS_URL", "DATABASE_OWNER_URL"):
        env.pop(name, None)
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "backend",
            "worker",
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=WARNING",
        ],
        cwd=working_directory,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            asked = subprocess.run(
                [sys.executable, "-c", ANSWERED], cwd=working_directory, env=env, check=False
            )
            if asked.returncode == 0:
                break
            assert worker.poll() is None, "the worker stopped"
            assert time.monotonic() < deadline, "the worker never answered"
    finally:
        worker.terminate()
        worker.wait(timeout=30)

    assert sorted(path.name for path in working_directory.iterdir()) == []
    exchanges = {path.name for path in (data_dir / "broker" / "control").iterdir()}
    assert {"celery.exchange", "celery.pidbox.exchange"} <= exchanges
