"""No page is reachable by a role that should not see it: each role meets a 404 (the
site's own page, itself accessible) for a page outside its job."""

import pytest

from tests.browser import scenarios

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_each_role_gets_404_outside_its_job(browser):
    cycle = scenarios.assigned_cycle()
    audit = scenarios.first_audit(cycle)
    scenarios.outsider()
    attempts = {
        audit.assignment.auditor.user.username: ["/cycles/", f"/cycles/{cycle.pk}/", "/assurance/"],
        "qa.lead": ["/assurance/", "/audits/"],
        "internal.audit": ["/audits/", f"/cycles/{cycle.pk}/", "/dashboard/"],
        "admin": ["/audits/", "/moderation/"],
        "outsider.eve": ["/audits/", "/cycles/", "/assurance/", f"/audits/{audit.pk}/"],
    }
    for username, urls in attempts.items():
        page = browser.signed_in(username)
        for url in urls:
            response = page.goto(url)
            assert response.status == 404, f"{username} reached {url}"
        assert page.get_by_role("heading", name="Page not found").is_visible()
    browser.check(page, "not-found")
