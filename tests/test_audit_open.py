"""GET /api/v1/audits/{id}/, opening an audit: the auditor's own audit is read with narrow
queries (the full scope query joined seven tables with a subquery, and planning and
compiling it cost the open most of its time: bench/load.py (iii)), and shows exactly what
the full scope shows, with its AccessLog row."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audits.models import AccessLog, Template
from audits.selectors import published_forms
from tests.test_autosave import audit, url, with_token  # noqa: F401 (fixture)


def _open(client, target):
    return client.get(target)


def _reads(captured) -> list[str]:
    return [q["sql"] for q in captured if q["sql"].lstrip().upper().startswith("SELECT")]


def test_the_auditor_sees_what_the_full_scope_shows(people, audit):  # noqa: F811
    alice, quinn = with_token(people["auditor_alice"]), with_token(people["qa_lead_quinn"])
    mine, theirs = _open(alice, url(audit)), _open(quinn, url(audit))
    assert (mine.status_code, theirs.status_code) == (200, 200)
    assert mine.json() == theirs.json()
    assert mine.json()["template_name"] == audit.template.name
    assert mine["ETag"] == theirs["ETag"] == '"1"'
    readers = AccessLog.objects.filter(object_type="audit", object_id=str(audit.pk))
    assert sorted(readers.values_list("user__username", flat=True)) == [
        "auditor_alice",
        "qa_lead_quinn",
    ]


def test_opening_ones_own_audit_reads_narrow_rows(people, audit):  # noqa: F811
    alice = with_token(people["auditor_alice"])
    assert _open(alice, url(audit)).status_code == 200  # the published form is now kept
    with CaptureQueriesContext(connection) as captured:
        assert _open(alice, url(audit)).status_code == 200
    reads = _reads(captured.captured_queries)
    assert reads, "the open read nothing"
    for sql in reads:
        # No read joins more than four tables or nests a query (PostgreSQL plans every join
        # order of a wide join on every request), and the form's definition is not re-read.
        assert sql.upper().count(" JOIN ") <= 4, sql
        assert "(SELECT" not in sql.upper(), sql
        assert '"audits_template"' not in sql, sql


def test_a_draft_form_is_read_afresh(people, audit):  # noqa: F811
    Template.objects.filter(pk=audit.template_id).update(status=Template.Status.DRAFT)
    published_forms.clear()
    alice = with_token(people["auditor_alice"])
    assert _open(alice, url(audit)).status_code == 200
    Template.objects.filter(pk=audit.template_id).update(name="Renamed draft")
    assert _open(alice, url(audit)).json()["template_name"] == "Renamed draft"


@pytest.mark.parametrize("who", ["manager_bob", "outsider_eve"])
def test_others_outside_scope_get_404_and_no_log(people, audit, who):  # noqa: F811
    assert _open(with_token(people[who]), url(audit)).status_code == 404
    assert not AccessLog.objects.filter(object_type="audit", object_id=str(audit.pk)).exists()


def test_a_filter_on_the_detail_is_refused_by_name(people, audit):  # noqa: F811
    # The detail reads no filter (strict queries): a status on it is a 400 naming it, never
    # the audit quietly opened by the fast path as if no filter had been asked for.
    alice = with_token(people["auditor_alice"])
    for query in ("?status=submitted", "?status=in_progress", "?status="):
        response = _open(alice, url(audit) + query)
        assert response.status_code == 400, query
        assert "status" in response.json(), query
