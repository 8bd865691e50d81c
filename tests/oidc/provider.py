"""The OpenID provider the single sign-on tests sign in at: tests/oidc/provider.mjs (the
npm `oidc-provider`) in its own node process on loopback, with CaseAssure's settings pointed
at it. Missing node or the package skips locally and fails in CI (CASEASSURE_REQUIRE_SERVICES)."""

import copy
import json
import shutil
import socket
import subprocess
import time
from pathlib import Path

import requests

from tests.conftest import service_missing

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("provider.mjs")
PACKAGE = ROOT / "node_modules" / "oidc-provider" / "package.json"
CLIENT_ID = "caseassure"
CLIENT_SECRET = "a-test-client-secret-of-some-length"
ORGANISATION = "Test Council"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class OpenIdProvider:
    def __init__(self, folder: Path, site_url: str):
        node = shutil.which("node")
        if node is None:
            service_missing("node is not installed (the test OpenID provider runs on it)")
        version = subprocess.run(  # oidc-provider 9 uses crypto.hash: node 20.12 or later
            [node, "-p", "process.versions.node"], capture_output=True, text=True, check=True
        ).stdout.strip()
        if tuple(int(part) for part in version.split(".")[:2]) < (20, 12):
            service_missing(f"node {version} is too old for oidc-provider (20.12 or later)")
        if not PACKAGE.is_file():
            service_missing("oidc-provider is not installed: run `npm ci` at the repository root")
        self.accounts_file = folder / "accounts.json"
        self.accounts: dict[str, dict] = {}
        self._write()
        port = _free_port()
        self.issuer = f"http://127.0.0.1:{port}"
        self.log = (folder / "provider.log").open("w")
        self.process = subprocess.Popen(
            [
                node,
                str(SCRIPT),
                str(port),
                str(self.accounts_file),
                f"{site_url}/accounts/sso/callback/",
                f"{site_url}/accounts/login/",
            ],
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self._wait()

    def _wait(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the OpenID provider stopped: {self.read_log()}")
            try:
                if requests.get(self.discovery_url, timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the OpenID provider did not start: {self.read_log()}")

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def read_log(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text()

    def person(self, login: str, *, groups: list[str], name: str = "", email: str = "") -> None:
        """Add or change someone at the provider (read at each of their sign-ins)."""
        self.accounts[login] = {
            "name": name or login.title(),
            "email": email or f"{login}@council.example",
            "groups": groups,
        }
        self._write()

    def _write(self) -> None:
        self.accounts_file.write_text(json.dumps(self.accounts))

    def configure(self, settings) -> None:
        """Point CaseAssure (pytest-django's ``settings``) at this provider."""
        from audits.web import sso

        settings.OIDC_ISSUER = self.issuer
        settings.OIDC_DISCOVERY_URL = self.discovery_url
        settings.OIDC_RP_CLIENT_ID = CLIENT_ID
        settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
        settings.OIDC_ORGANISATION = ORGANISATION
        # As settings.py does for OIDC_ISSUER: the sign-out form may be sent on to the provider.
        policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
        policy["DIRECTIVES"]["form-action"].append(self.issuer)
        settings.CONTENT_SECURITY_POLICY = policy
        sso._discovered.clear()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
