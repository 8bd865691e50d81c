"""A fresh PostgreSQL cluster for a test: ``initdb`` from ``$PG_BIN`` (CI; else the newest
/usr/lib/postgresql/*/bin) into a new folder, started on a spare loopback port, with
CaseAssure's two roles and its empty database made by scripts/postgres-roles.sh, as an
operator would prepare a new server before a restore. Run as the ``postgres`` user (with
``runuser``) when the tests run as root, as .ci/run does. Stopped and removed afterwards."""

import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psycopg

from tests.conftest import service_missing

ROOT = Path(__file__).resolve().parent.parent


def pg_bin() -> Path | None:
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


def _spare_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Cluster:
    port: int
    folder: Path
    database: str = "caseassure"
    owner: str = "caseassure_owner"
    app: str = "caseassure_app"

    def url(self, role: str) -> str:
        return f"postgres://{role}@127.0.0.1:{self.port}/{self.database}"

    def connect(self, role: str = "postgres"):
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user=role, dbname=self.database, autocommit=True
        )

    def tables(self) -> list[str]:
        with self.connect() as db:
            rows = db.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            return sorted(row[0] for row in rows)


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def start_cluster() -> Cluster:
    binaries = pg_bin()
    if binaries is None or not (binaries / "initdb").is_file():
        service_missing("no PostgreSQL server binaries (PG_BIN) to make a fresh cluster")
    folder = Path(tempfile.mkdtemp(prefix="caseassure-restore-"))
    folder.chmod(0o755)
    data, sockets = folder / "pg", folder / "sock"
    data.mkdir()
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
        shutil.chown(sockets, "postgres", "postgres")
    port = _spare_port()
    run = {"check": True, "capture_output": True, "timeout": 120}
    subprocess.run(
        [
            *_as_postgres(
                [str(binaries / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]
            ),
            "-E",
            "UTF8",
        ],
        **run,
    )
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {sockets} -c fsync=off"
    subprocess.run(
        _as_postgres(
            [
                str(binaries / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(sockets / "log"),
                "-w",
                "-o",
                options,
                "start",
            ]
        ),
        **run,
    )
    cluster = Cluster(port=port, folder=folder)
    env = {**os.environ, "PGHOST": "127.0.0.1", "PGPORT": str(port), "PGUSER": "postgres"}
    env["CASEASSURE_DB"] = cluster.database
    subprocess.run(["sh", str(ROOT / "scripts/postgres-roles.sh")], env=env, **run)
    return cluster


def stop_cluster(cluster: Cluster) -> None:
    binaries = pg_bin()
    subprocess.run(
        [
            *_as_postgres(
                [str(binaries / "pg_ctl"), "-D", str(cluster.folder / "pg"), "-m", "fast"]
            ),
            "stop",
        ],
        capture_output=True,
        timeout=60,
    )
    shutil.rmtree(cluster.folder, ignore_errors=True)
