"""The pair stays blind whatever other role an auditor holds: a manager of the cycle who
audits one half of a double audit (an override) does not see the other half before both
are submitted, in the API or on the moderation pages."""

from django.urls import reverse

from audits.models import Staff
from tests.test_audits_api import url
from tests.test_reconciliation import GOOD, pair, submit  # noqa: F401 (fixture)


def test_a_manager_auditing_one_half_cannot_read_the_other_before_both_submit(
    people,
    pair,  # noqa: F811
    client_for,
    client,
):
    quinn = people["qa_lead_quinn"]
    quinn.groups.add(*people["auditor_alice"].groups.all())  # the QA lead also audits
    second = pair["second"].assignment
    second.auditor = Staff.objects.get(user=quinn)
    second.save(update_fields=["auditor"])
    submit(client_for(people["auditor_alice"]), pair["first"], GOOD)
    first = pair["first"]
    first.refresh_from_db()
    first.status = "submitted"  # waiting for moderation
    first.save(update_fields=["status"])
    as_quinn = client_for(quinn)
    assert as_quinn.get(url(first)).status_code == 404
    assert first.pk not in [a["id"] for a in as_quinn.get("/api/v1/audits/").json()["results"]]
    client.force_login(quinn)
    assert client.get(reverse("web:moderate", args=[first.pk])).status_code == 404
    queue = client.get(reverse("web:moderation")).content.decode()
    assert reverse("web:moderate", args=[first.pk]) not in queue
    assert as_quinn.get(url(pair["second"])).status_code == 200  # her own half
