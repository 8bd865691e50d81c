"""Helpers shared by bench/load.py and bench/report.py: Django set-up on a scratch
PostgreSQL database, progress lines on stderr, checks and percentiles."""

import math
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def log(bench: str, message: str) -> None:
    print(f"[bench {bench} {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def check(condition: bool, message: str) -> None:
    """Stop the bench if a method did not do the work it is timed for."""
    if not condition:
        raise RuntimeError(message)


def bench_environment(bench: str) -> dict[str, str]:
    """The environment the bench (and any server it starts) runs with. Refuses to go on
    without a PostgreSQL DATABASE_URL: the benches measure PostgreSQL, and they empty the
    database they are given."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://", "pgsql://")):
        sys.exit(
            f"bench/{bench}.py needs PostgreSQL, not "
            f"{'SQLite (no DATABASE_URL)' if not url else url.split(':', 1)[0]}. Set "
            "DATABASE_URL=postgres://user@host:port/scratch_database -- a scratch database: "
            "the bench empties it."
        )
    return {
        "DJANGO_SETTINGS_MODULE": "backend.settings",
        "DJANGO_ENV": "development",
        # DEBUG would keep every query in memory and change the error pages.
        "DEBUG": "0",
        "DATA_DIR": os.environ.get("DATA_DIR") or f"/tmp/bench-{bench}",
        # Notifications would go to stdout with the console backend, among the JSON lines.
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
        "DATABASE_URL": url,
    }


def setup_django(bench: str) -> dict[str, str]:
    """Configure Django for the bench, refuse anything but PostgreSQL, run migrate.
    Returns the environment used (for child processes)."""
    environment = bench_environment(bench)
    os.environ.update(environment)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit(f"bench/{bench}.py needs PostgreSQL, not {connection.vendor}.")
    log(bench, f"migrate {connection.settings_dict['NAME']} (DATA_DIR {environment['DATA_DIR']})")
    call_command("migrate", interactive=False, verbosity=0)
    return environment


def empty_database(bench: str) -> None:
    """TRUNCATE every table of the project (flush); the append-only triggers allow it."""
    from django.core.management import call_command
    from django.db import connection

    log(bench, f"emptying {connection.settings_dict['NAME']}")
    call_command("flush", interactive=False, verbosity=0)


def libpq_env() -> dict[str, str]:
    """The bench's database as libpq environment variables, for psql and child processes."""
    from django.db import connection

    settings = connection.settings_dict
    libpq = {
        "PGHOST": settings["HOST"],
        "PGPORT": str(settings["PORT"] or ""),
        "PGUSER": settings["USER"],
        "PGPASSWORD": settings["PASSWORD"],
        "PGDATABASE": settings["NAME"],
    }
    return {key: value for key, value in libpq.items() if value}


def percentile(sorted_values: list[float], share: float) -> float | None:
    """Nearest-rank percentile of an already sorted list (share in 0..1)."""
    if not sorted_values:
        return None
    rank = max(1, min(len(sorted_values), math.ceil(share * len(sorted_values))))
    return sorted_values[rank - 1]
