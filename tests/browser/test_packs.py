"""The QA lead builds a cycle's inspection pack from the cycle page: the progress bar,
driven by the job the live Celery worker builds, reaches 100% and the download link
appears; the zip downloaded in the browser passes ``check_pack``. Internal audit finds the
packs from the cycle's reports page."""

import io
import zipfile

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from audits.models import PackJob
from tests.browser import scenarios
from tests.browser.conftest import ROOT, progress_seen
from tests.builders import finished_cycle

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_pack_is_built_from_the_cycle_page_and_downloaded(browser, live_worker):
    scenarios.demo_council()
    cycle = finished_cycle(n=16)
    page = browser.signed_in("qa.lead")
    page.goto(f"/cycles/{cycle.pk}/")
    page.get_by_role("link", name="Inspection pack").first.click()
    page.get_by_role("button", name="Build inspection pack").click()
    job = PackJob.objects.get(cycle=cycle)
    page.wait_for_url(f"**/packs/{job.pk}/")
    expect(page.get_by_text("The inspection pack is being built.")).to_be_visible()
    seen = progress_seen(page, "#pack-progress-bar")
    assert seen[-1] == 100, f"progress stopped at {seen[-1]}"
    assert seen == sorted(seen), f"progress went backwards: {seen}"
    expect(page.locator("#pack-progress-text")).to_have_text("The inspection pack is ready.")
    expect(page.locator("#pack-facts")).to_contain_text(PackJob.objects.get().manifest_sha256)
    browser.check(page, "manager-pack-ready")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the inspection pack (zip)").click()
    download = download_info.value
    saved = ROOT / "artifacts" / "downloads" / download.suggested_filename
    saved.parent.mkdir(parents=True, exist_ok=True)
    download.save_as(saved)
    assert zipfile.is_zipfile(saved)
    out = io.StringIO()
    call_command("check_pack", str(saved), stdout=out, stderr=io.StringIO())
    assert "The pack matches its manifest" in out.getvalue()

    expect(page.locator("#pack-facts")).to_contain_text(PackJob.objects.get().manifest_sha256)
    page.get_by_role("link", name="Inspection packs").click()
    expect(page.locator("#pack-list")).to_contain_text("Ready")
    browser.check(page, "manager-pack-list")

    reader = browser.signed_in("internal.audit")
    reader.goto(f"/cycles/{cycle.pk}/reports/")
    reader.get_by_role("link", name="Inspection packs of this cycle").click()
    expect(reader.locator("#pack-list")).to_contain_text("Ready")
    browser.check(reader, "internal-pack-list")
