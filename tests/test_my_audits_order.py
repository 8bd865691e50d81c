"""My audits sorts and pages an auditor's audits itself (their keys come in one query): each
list keeps the order the database gave it -- to complete: soonest due first, an audit with
no due date last, then by status; submitted: newest first."""

import re
from datetime import timedelta

from django.db.models import F
from django.test import Client
from django.utils import timezone

from audits.models import Audit, Staff
from tests.builders import finished_cycle

ROW = re.compile(r'<th scope="row"><a href="/audits/(\d+)/">')


def _busiest(cycle) -> Staff:
    audits = Audit.objects.filter(assignment__sampled_case__cycle=cycle)
    counts = {}
    for auditor_id in audits.values_list("assignment__auditor_id", flat=True):
        counts[auditor_id] = counts.get(auditor_id, 0) + 1
    return Staff.objects.get(pk=max(counts, key=counts.get))


def _listed(html: str, heading_id: str) -> list[int]:
    section = html.split(f'id="{heading_id}"', 1)[1].split("</section>", 1)[0]
    return [int(pk) for pk in ROW.findall(section)]


def test_each_list_keeps_its_order_and_pages(db):
    cycle = finished_cycle(n=60, complete=0.0)
    auditor = _busiest(cycle)
    mine = Audit.objects.filter(assignment__auditor=auditor)
    now, today = timezone.now(), timezone.localdate()
    keys = list(mine.order_by("pk").values_list("pk", flat=True))
    assert len(keys) >= 5
    Audit.objects.filter(pk__in=keys[::2]).update(status="submitted", submitted_at=now)
    waiting = list(mine.filter(status__in=("assigned", "in_progress", "returned")).order_by("pk"))
    done = list(mine.filter(status__in=("submitted", "final")).order_by("pk"))
    # Due dates out of key order, two the same, one missing; submissions out of key order.
    for n, audit in enumerate(waiting):
        due = None if n == 1 else today + timedelta(days=(7 * n) % 5)
        Audit.objects.filter(pk=audit.pk).update(due_date=due)
    Audit.objects.filter(pk=waiting[-1].pk).update(status="in_progress")
    for n, audit in enumerate(done):
        Audit.objects.filter(pk=audit.pk).update(submitted_at=now - timedelta(hours=(5 * n) % 3))
    client = Client()
    client.force_login(auditor.user)
    html = client.get("/audits/").content.decode()

    expected_waiting = mine.filter(status__in=("assigned", "in_progress", "returned")).order_by(
        F("due_date").asc(nulls_last=True), "status", "pk"
    )
    expected_done = mine.filter(status__in=("submitted", "final")).order_by(
        F("submitted_at").desc(nulls_first=True), "-pk"
    )
    assert _listed(html, "waiting-heading") == [a.pk for a in expected_waiting][:25]
    assert _listed(html, "done-heading") == [a.pk for a in expected_done][:25]
