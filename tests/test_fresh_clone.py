"""The first ten minutes, as a newcomer meets them: clone the repository, run the README's first
command, wait for /health/, sign in as each demo role the script prints and open that role's
pages, look for a finished report and its PDF, then stop the script with SIGTERM and find no
process of it left. Then start it again on the same clone. Both times to a healthy server are
printed and written to artifacts/fresh-clone.json.

It installs every dependency into a new .venv, so it runs in CI (CASEASSURE_REQUIRE_SERVICES=1)
or when asked (CASEASSURE_FRESH_CLONE=1); elsewhere it skips."""

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import REQUIRE_SERVICES

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts"
FIRST_COMMAND = ["bash", "scripts/dev.sh"]  # the README's first command
FRESH_START_LIMIT = 20 * 60  # seconds: the whole install from the package index
SECOND_START_LIMIT = 120
# What each role opens first (README, "A five-minute tour"); each must answer 200.
PAGES_BY_LOGIN = {
    "qa.lead": ["/", "/cycles/", "/cycles/new/", "/moderation/", "/actions/", "/dashboard/"],
    "manager.child-protection-one": ["/", "/cycles/", "/escalations/"],
    "auditor.1": ["/", "/audits/"],
    # A social worker, as a practitioner: the findings of audits of their cases, their actions.
    "sw0101": ["/", "/findings/", "/actions/mine/"],
    "internal.audit": ["/", "/assurance/", "/api/docs/"],
    "admin": ["/", "/admin/"],
}

pytestmark = pytest.mark.fresh_clone


@pytest.fixture
def clone(tmp_path):
    if not (REQUIRE_SERVICES or os.environ.get("CASEASSURE_FRESH_CLONE") == "1"):
        pytest.skip("installs everything into a new clone: CI, or CASEASSURE_FRESH_CLONE=1")
    target = tmp_path / "caseassure"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(target)], check=True, timeout=300)
    return target


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _session_processes(session_id: int) -> list[str]:
    """Every process still in the script's session (its children lead their own groups)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name, rest = text[text.index("(") + 1 : text.rindex(")")], text[text.rindex(")") + 2 :]
        state, _parent, _group, session = rest.split()[:4]
        if int(session) == session_id and state != "Z":
            found.append(f"{stat.parent.name} {name}")
    return found


class DevScript:
    """scripts/dev.sh in its own session, its output collected as it comes."""

    def __init__(self, clone: Path, env: dict):
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            FIRST_COMMAND,
            cwd=clone,
            env=env,
            start_new_session=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_healthy(self, base: str, limit: float) -> float:
        started = time.monotonic()
        while time.monotonic() - started < limit:
            if self.process.poll() is not None:
                pytest.fail(f"dev.sh ended before the server was healthy:\n{self.output[-5000:]}")
            try:
                if requests.get(f"{base}/health/", timeout=2).status_code == 200:
                    return time.monotonic() - started
            except requests.RequestException:
                pass
            time.sleep(0.5)
        pytest.fail(f"no healthy server after {limit}s:\n{self.output[-5000:]}")

    def wait_printed(self, text: str, limit: float = 30) -> None:
        deadline = time.monotonic() + limit
        while text not in self.output:
            assert time.monotonic() < deadline, f"dev.sh never printed {text!r}:\n{self.output}"
            time.sleep(0.1)

    def terminate(self) -> list[str]:
        """SIGTERM to the script alone; what is left of its session once it has returned."""
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)
        self.reader.join(timeout=10)
        time.sleep(0.5)
        return _session_processes(self.process.pid)

    def kill_leftovers(self) -> None:
        for entry in _session_processes(self.process.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(entry.split()[0]), signal.SIGKILL)


def _printed_logins(output: str) -> tuple[str, list[str]]:
    """The password and the first login of each line of the block the script prints."""
    block = output.split("Demo logins (password: ", 1)[1]
    password, rest = block.split(")", 1)
    logins = []
    for line in rest.splitlines()[1:]:
        if not line.startswith("  "):
            break
        logins.append(line.split()[0])
    return password, logins


def _signed_in(base: str, username: str, password: str) -> requests.Session:
    session = requests.Session()
    session.get(f"{base}/accounts/login/", timeout=30).raise_for_status()
    response = session.post(
        f"{base}/accounts/login/",
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": f"{base}/accounts/login/"},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, f"{username} could not sign in ({response.status_code})"
    return session


def check_finished_report_with_pdf(base: str, lead: requests.Session) -> str:
    """The report check of the fresh-clone test: the demo has its history (two finished
    cycles and one in progress) and a finished report whose PDF opens."""
    cycles = lead.get(f"{base}/api/v1/cycles/", timeout=30).json()
    assert cycles["count"] >= 3, cycles
    done = lead.get(f"{base}/api/v1/reports/?status=done", timeout=30).json()["results"]
    assert done, "the demo has cycles but no finished report"
    pdf = lead.get(done[0]["files"]["pdf"], timeout=60)
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF"), pdf.content[:20]
    return f"report {done[0]['id']} finished, PDF of {len(pdf.content)} bytes"


def _environment(clone: Path, port: int) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "REDIS_", "CASEASSURE_", "DJANGO_", "VIRTUAL_ENV"))
        and key not in ("DATA_DIR", "PYTHONPATH", "HOST", "PORT")
    }
    return {**env, "PORT": str(port), "DATA_DIR": str(clone.parent / "data")}


def test_a_fresh_clone_starts_talks_serves_every_role_and_stops(clone):
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = _environment(clone, port)
    timings = {}

    first = DevScript(clone, env)
    try:
        timings["fresh_clone_seconds"] = round(first.wait_healthy(base, FRESH_START_LIMIT), 1)
        first.wait_printed("Press Ctrl-C")
        # A line per step, each with its time.
        steps = [line for line in first.lines if re.match(r"^\[\s*\d+\.\ds\] ", line)]
        assert any("installing" in line for line in steps), first.output
        assert any("ready" in line for line in steps), first.output
        password, logins = _printed_logins(first.output)
        assert set(logins) == set(PAGES_BY_LOGIN), logins
        sessions = {}
        for username in logins:
            sessions[username] = _signed_in(base, username, password)
            for url in PAGES_BY_LOGIN[username]:
                response = sessions[username].get(f"{base}{url}", timeout=60)
                assert response.status_code == 200, f"{username} {url}: {response.status_code}"
        report = check_finished_report_with_pdf(base, sessions["qa.lead"])
        left = first.terminate()
        assert not left, f"left running after SIGTERM: {left}"
        assert first.process.returncode == 0, first.output[-3000:]
        assert "stopped" in first.lines[-1], first.output[-3000:]
    finally:
        first.kill_leftovers()

    second = DevScript(clone, env)
    try:
        timings["second_start_seconds"] = round(second.wait_healthy(base, SECOND_START_LIMIT), 1)
        assert "dependencies up to date" in second.output, second.output
        assert "Demo data is already loaded" in second.output, second.output
        left = second.terminate()
        assert not left, f"left running after SIGTERM: {left}"
    finally:
        second.kill_leftovers()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{base}/health/", timeout=2)

    timings["report"] = report
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "fresh-clone.json").write_text(json.dumps(timings, indent=1))
    print(json.dumps({"fresh_clone": timings}))
