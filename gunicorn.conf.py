"""gunicorn's settings, read from the working directory (`gunicorn backend.wsgi:application`
in the Dockerfile, docker-compose.yml and bench/load.py). Every value can be changed
through the environment; the defaults follow the machine's cores.

- workers: GUNICORN_WORKERS, default 2 x cores + 1 (gunicorn's own advice): a request
  spends part of its time waiting on PostgreSQL, so more processes than cores keep the
  cores busy.
- threads: GUNICORN_THREADS, default 2 (gthread workers): a second request per process
  while the first waits on the database; each process shares its database pool
  among its threads: DB_POOL_MAX_SIZE (backend/settings.py) defaults here to the thread
  count, so each thread can hold a connection and none waits for one.
- timeout: GUNICORN_TIMEOUT seconds, default 60; bind: GUNICORN_BIND, default 0.0.0.0:8000.
"""

import os


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the cores this container may use
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _whole(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    try:
        number = int(value) if value else default
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, not {value!r}") from None
    if number < 1:
        raise SystemExit(f"{name} must be at least 1, not {number}")
    return number


workers = _whole("GUNICORN_WORKERS", 2 * _cores() + 1)
threads = _whole("GUNICORN_THREADS", 2)
worker_class = "gthread" if threads > 1 else "sync"
timeout = _whole("GUNICORN_TIMEOUT", 60)
graceful_timeout = 30
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")

# The web processes' database pool: one connection per thread unless told otherwise.
if not os.environ.get("DB_POOL_MAX_SIZE"):
    os.environ["DB_POOL_MAX_SIZE"] = str(threads)
