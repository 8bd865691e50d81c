"""Single sign-on end to end against a real OpenID provider (tests/oidc/provider.mjs, the
npm `oidc-provider` in its own process): Chromium signs in on the provider's own page
(authorisation code flow with PKCE), lands in CaseAssure with the role its groups map to,
loses it when the group is taken away at the provider, and signs out at the provider."""

import re

import pytest
from axes.models import AccessLog as SignInLog
from django.contrib.auth import get_user_model

from audits.models import Event, GroupMapping, SingleSignOnIdentity, Staff, Team
from tests.oidc.provider import ORGANISATION, OpenIdProvider

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
User = get_user_model()


@pytest.fixture
def provider(live_server, tmp_path, settings):
    started = OpenIdProvider(tmp_path, live_server.url)
    started.configure(settings)
    yield started
    started.stop()


@pytest.fixture
def mappings():
    east = Team.objects.create(name="Assessment East")
    GroupMapping.objects.create(group="g-east-managers", label="East managers", role="manager")
    GroupMapping.objects.create(group="g-east-managers", team=east, manages=True)
    GroupMapping.objects.create(group="g-auditors", label="Auditors", role="auditor")
    return east


def sign_in_at_provider(browser, provider, page, login: str, start: str = "/"):
    """From CaseAssure's sign-in page, through the provider's, back to where they started
    (the sign-in page remembers it as ``next``)."""
    page.goto(start)
    page.wait_for_url(re.compile(re.escape(browser.base_url) + "/accounts/login/"))
    page.get_by_role("link", name=f"Sign in with {ORGANISATION}").click()
    page.wait_for_url(re.compile(re.escape(provider.issuer) + "/interaction/"))
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any password: the development sign-in page")
    page.get_by_role("button", name="Sign-in").click()
    page.wait_for_url(f"{browser.base_url}{start}")


def sign_out_at_provider(browser, provider, page):
    page.get_by_role("button", name="Sign out").first.click()
    page.wait_for_url(re.compile(re.escape(provider.issuer) + "/session/end"))
    page.get_by_role("button", name=re.compile("Yes, sign me out", re.I)).click()
    page.wait_for_url(re.compile(re.escape(browser.base_url) + "/accounts/login/"))


def test_a_mapped_group_gives_its_role_and_a_removed_group_takes_it_away(
    browser, provider, mappings
):
    provider.person("mo.manager", groups=["g-east-managers", "g-not-mapped"], name="Mo Manager")
    page = browser.page()
    page.goto("/accounts/login/")
    browser.check(page, "sso-sign-in")
    sign_in_at_provider(browser, provider, page, "mo.manager")

    user = User.objects.get(sso_identity__subject="mo.manager")
    assert user.groups.filter(name="manager").exists()
    assert not user.has_usable_password()
    staff = Staff.objects.get(user=user)
    assert list(staff.managed_teams.values_list("name", flat=True)) == ["Assessment East"]
    assert page.get_by_role("link", name="Cycles").first.is_visible()
    assert page.goto("/cycles/").status == 200
    browser.check(page, "sso-manager-cycles")
    # Evented and logged like a password sign-in: the Events, and django-axes' sign-in log.
    signed_in = Event.objects.get(verb="sso.signed_in", object_id=str(user.pk))
    assert signed_in.after["groups"] == ["g-east-managers", "g-not-mapped"]
    assert signed_in.after["roles"] == ["manager"]
    assert Event.objects.filter(verb="staff.access_changed", actor=user).exists()
    assert SignInLog.objects.filter(username=user.username, logout_time=None).exists()

    sign_out_at_provider(browser, provider, page)
    assert page.get_by_text("You have signed out.").is_visible()
    assert SignInLog.objects.filter(username=user.username).exclude(logout_time=None).exists()
    assert page.goto("/cycles/").url.startswith(f"{browser.base_url}/accounts/login/")

    # The group is taken away at the provider: the role goes at the next sign-in.
    provider.person("mo.manager", groups=["g-not-mapped"], name="Mo Manager")
    sign_in_at_provider(browser, provider, page, "mo.manager")
    assert page.get_by_text("Your account has no role yet").is_visible()
    for url in ("/cycles/", "/moderation/", "/dashboard/", "/audits/"):
        assert page.goto(url).status == 404, url
    user.refresh_from_db()
    assert not user.groups.filter(name="manager").exists()
    assert not Staff.objects.get(user=user).managed_teams.exists()
    taken = Event.objects.filter(verb="staff.access_changed", actor=user).latest("pk")
    assert taken.before["roles"] == ["manager"]
    assert taken.after["roles"] == []
    assert SingleSignOnIdentity.objects.get(user=user).groups == ["g-not-mapped"]


def test_a_person_whose_groups_carry_no_role_gets_404s(browser, provider, mappings):
    provider.person("nora.nobody", groups=["g-staff-canteen"])
    page = browser.page()
    sign_in_at_provider(browser, provider, page, "nora.nobody")
    assert page.get_by_text("Your account has no role yet").is_visible()
    browser.check(page, "sso-no-role-home")
    for url in ("/cycles/", "/audits/", "/assurance/", "/actions/", "/admin/"):
        response = page.goto(url)
        assert response.status == 404 or "/admin/login/" in page.url, url
    user = User.objects.get(sso_identity__subject="nora.nobody")
    assert not user.groups.exists()
    assert not Staff.objects.filter(user=user).exists()


def test_an_auditor_signs_in_and_a_second_sign_in_keeps_one_login(browser, provider, mappings):
    provider.person("ann.auditor", groups=["g-auditors"])
    page = browser.page()
    sign_in_at_provider(browser, provider, page, "ann.auditor", start="/audits/")
    assert page.get_by_role("heading", name="My audits").is_visible()
    sign_out_at_provider(browser, provider, page)
    sign_in_at_provider(browser, provider, page, "ann.auditor")
    assert User.objects.filter(sso_identity__subject="ann.auditor").count() == 1
    assert Event.objects.filter(verb="sso.signed_in").count() == 2


def test_with_passwords_off_only_the_break_glass_account_signs_in_with_one(
    browser, provider, settings
):
    settings.LOCAL_PASSWORDS = False
    User.objects.create_user("wanda.worker", password="a-long-pass-phrase-7")
    User.objects.create_superuser("breakglass", password="a-long-pass-phrase-7")
    page = browser.page()
    page.goto("/accounts/login/")
    assert page.get_by_role("link", name=f"Sign in with {ORGANISATION}").is_visible()
    assert not page.get_by_label("Password").is_visible()  # folded away
    page.get_by_text("Emergency administrator sign-in").click()
    page.get_by_label("Username").fill("wanda.worker")
    page.get_by_label("Password").fill("a-long-pass-phrase-7")
    page.get_by_role("button", name="Sign in", exact=True).click()
    assert page.get_by_text("Only the emergency administrator account may sign in").is_visible()
    browser.check(page, "sso-passwords-off-refused")
    page.get_by_label("Username").fill("breakglass")
    page.get_by_label("Password").fill("a-long-pass-phrase-7")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(f"{browser.base_url}/")
    assert page.get_by_role("link", name="Administration").is_visible()
