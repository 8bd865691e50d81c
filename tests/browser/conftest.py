"""Browser tests: Debian's Chromium driven by Playwright against the live dev server
(pytest-django's live_server, sharing the test database with a real Celery worker where a
test needs one). Each page is checked with axe-core and photographed into
artifacts/screenshots/. Missing Chromium or axe-core skips locally and fails in CI."""

import json
import shutil
from pathlib import Path

import pytest

from tests.browser import scenarios
from tests.conftest import service_missing

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
ACCESSIBILITY = ROOT / "artifacts" / "accessibility"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LAPTOP = {"width": 1280, "height": 800}
TABLET = {"width": 768, "height": 1024}
PHONE = {"width": 375, "height": 740}
BLOCKING_IMPACTS = ("serious", "critical")


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        service_missing("Chromium is not installed (Debian package 'chromium')")
    return path


@pytest.fixture
def chromium(monkeypatch):
    from playwright.sync_api import sync_playwright

    executable = _chromium()
    # Playwright's sync API keeps an event loop on this thread while it runs; the tests'
    # ORM calls between browser steps are ordinary blocking calls, never made from it.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.is_file():
        service_missing("axe-core is not installed: run `npm ci` at the repository root")
    return AXE.read_text()


class Browser:
    """Open pages as named people; check and photograph them as we go."""

    def __init__(self, chromium, base_url: str, axe_source: str):
        self.chromium, self.base_url, self.axe_source = chromium, base_url, axe_source
        self.contexts = []
        self.csp_violations: list[str] = []

    def page(self, viewport=LAPTOP):
        context = self.chromium.new_context(
            base_url=self.base_url, viewport=viewport, locale="en-GB", timezone_id="Europe/London"
        )
        context.set_default_timeout(15_000)
        self.contexts.append(context)
        page = context.new_page()
        page.on("console", self._watch_console)
        return page

    def _watch_console(self, message):
        if "Content Security Policy" in message.text:
            self.csp_violations.append(message.text)

    def signed_in(self, username: str, viewport=LAPTOP):
        page = self.page(viewport)
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(scenarios.PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{self.base_url}/")
        return page

    def check(self, page, name: str, *, screenshot: bool = True) -> None:
        """No serious or critical axe violation on the page as it stands; a screenshot."""
        if screenshot:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        # evaluate() runs through the DevTools protocol, which the page's CSP does not
        # govern; the page itself still gets no inline script.
        page.evaluate(self.axe_source)
        results = page.evaluate(
            "async () => await axe.run(document, {resultTypes: ['violations']})"
        )
        ACCESSIBILITY.mkdir(parents=True, exist_ok=True)
        (ACCESSIBILITY / f"{name}.json").write_text(json.dumps(results["violations"], indent=1))
        blocking = [
            f"{v['id']} ({v['impact']}): {v['help']} at "
            + ", ".join(str(node["target"]) for node in v["nodes"][:5])
            for v in results["violations"]
            if v["impact"] in BLOCKING_IMPACTS
        ]
        assert not blocking, f"{name}: accessibility problems\n" + "\n".join(blocking)
        assert not self.csp_violations, f"{name}: CSP violations {self.csp_violations}"

    def close(self):
        for context in self.contexts:
            context.close()


@pytest.fixture
def browser(chromium, live_server, axe_source):
    opened = Browser(chromium, live_server.url, axe_source)
    yield opened
    opened.close()


def fill_date(page, label: str, day) -> None:
    """Type a date into a day, month and year field (GOV.UK date input) found by its legend."""
    group = page.get_by_role("group", name=label)
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))


def progress_seen(page, selector: str, tries: int = 240) -> list[int]:
    """The values a job page's progress bar shows, polled every half second until 100. The
    page loads itself again when the job ends (static/audits/job-progress.js): a read that
    meets that reload is tried again."""
    from playwright.sync_api import Error

    seen: list[int] = []
    for _ in range(tries):
        try:
            value = int(page.locator(selector).evaluate("bar => bar.value"))
        except Error:  # the page was reloading
            page.wait_for_timeout(200)
            continue
        seen.append(value)
        if value == 100:
            break
        page.wait_for_timeout(500)
    return seen
