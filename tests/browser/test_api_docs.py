"""The API docs (Swagger UI) work in a real browser under the site's Content-Security-Policy
(no inline style or script): signed in, the operations render and nothing is blocked."""

import pytest

from tests.browser import scenarios

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_api_docs_render_their_operations_under_the_csp(browser):
    scenarios.demo_council()
    page = browser.signed_in("internal.audit")
    response = page.goto("/api/docs/")
    assert response.status == 200
    csp = response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in csp
    assert "style-src 'self'" in csp
    # Swagger UI fetches the schema and renders one block per operation.
    page.locator(".opblock").first.wait_for()
    assert page.locator(".opblock").count() > 50
    assert page.get_by_text("/api/v1/cycles/{id}/draw/").first.is_visible()
    # Opening an operation renders its parameters and responses, still within the policy.
    page.locator(".opblock-summary-path", has_text="/api/v1/teams/").first.click()
    page.get_by_role("button", name="Try it out").first.wait_for()
    page.screenshot(path=str(browser_screenshot("api-docs")), full_page=False)
    assert not browser.csp_violations, browser.csp_violations


def browser_screenshot(name: str):
    from tests.browser.conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{name}.png"
