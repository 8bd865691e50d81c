"""PATCH /api/v1/audits/{id}/, the autosave: the fast path keeps every check -- token,
roles, the auditor's own audit, the version, the form's rules, the history of grades --
and costs a few queries."""

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from rest_framework.test import APIClient

from audits.core import roles
from audits.core.errors import StateConflict
from audits.infra.authentication import token_lookup
from audits.models import (
    ApiToken,
    Assignment,
    Audit,
    Case,
    Cycle,
    Event,
    SampledCase,
    Staff,
    Template,
)
from audits.selectors import published_forms, scoping
from audits.services import audits as audits_service
from audits.services.audits import audit_save
from audits.services.history import event_record


@pytest.fixture
def audit(people, teams):
    cp = teams["Child Protection One"]
    case = Case.objects.create(
        case_ref="C800001", team=cp, case_type="cp", opened_on=date(2025, 1, 1)
    )
    # A case in a team Bob does not manage: the cycle over every team is not his to see.
    Case.objects.create(
        case_ref="C800002",
        team=teams["Children Looked After"],
        case_type="cla",
        opened_on=date(2025, 1, 1),
    )
    template = Template.objects.get(status="published")
    cycle = Cycle.objects.create(
        name="Q4",
        period_start=date(2025, 10, 1),
        period_end=date(2025, 12, 31),
        template=template,
    )
    sampled = SampledCase.objects.create(
        cycle=cycle, case=case, stratum="all", rank=1, selection_key="b" * 64
    )
    assignment = Assignment.objects.create(
        sampled_case=sampled, auditor=Staff.objects.get(user=people["auditor_alice"])
    )
    return Audit.objects.create(assignment=assignment, template=template)


def with_token(user):
    _, raw = ApiToken.issue(user=user, name="autosave test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return client


def url(audit):
    return f"/api/v1/audits/{audit.pk}/"


def save(client, audit, version, **changes):
    return client.patch(url(audit), {"version": version, **changes}, format="json")


def grade_events(audit):
    return Event.objects.filter(verb="audit.saved", object_id=str(audit.pk))


def test_it_saves_and_answers_with_the_new_version(people, audit):
    alice = with_token(people["auditor_alice"])
    response = save(alice, audit, 1, answers={"plan_smart": "3", "audit_type": "Desk audit"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["version"], body["status"]) == (2, "in_progress")
    assert response["ETag"] == '"2"'
    assert body["answers"] == {"plan_smart": 3, "audit_type": "Desk audit"}  # cleaned
    audit.refresh_from_db()
    assert (audit.version, audit.answers["plan_smart"]) == (2, 3)
    assert audit.started_at is not None


def test_one_autosave_costs_a_few_queries(people, audit, django_assert_max_num_queries):
    alice = with_token(people["auditor_alice"])
    assert save(alice, audit, 1, answers={"plan_smart": 3}).status_code == 200  # form cached
    # The token with its user and roles, the audit, the write and its Event (on SQLite
    # the write is also wrapped in a savepoint pair).
    with django_assert_max_num_queries(6):
        assert save(alice, audit, 2, answers={"plan_smart": 2}).status_code == 200
    with django_assert_max_num_queries(3):
        assert save(alice, audit, 3, strengths="Clear chronology").status_code == 200


def test_a_change_of_grades_is_recorded_and_other_changes_are_not(people, audit):
    alice = with_token(people["auditor_alice"])
    assert save(alice, audit, 1, answers={"plan_smart": 3}).status_code == 200
    first = grade_events(audit).get()
    assert first.before == {"overall_grade": None, "grades": {}, "status": "assigned"}
    assert first.after == {
        "overall_grade": None,
        "grades": {"plan_smart": 3},
        "status": "in_progress",
        "version": 2,
    }
    assert first.actor == people["auditor_alice"]

    assert save(alice, audit, 2, answers={"audit_type": "Desk audit"}).status_code == 200
    assert save(alice, audit, 3, strengths="Clear chronology").status_code == 200
    assert save(alice, audit, 4, answers={"plan_smart": 3}).status_code == 200  # same grade
    assert grade_events(audit).count() == 1

    assert save(alice, audit, 5, overall_grade=3).status_code == 200
    assert save(alice, audit, 6, answers={"plan_smart": None}).status_code == 200  # cleared
    latest = grade_events(audit).order_by("-id")[0]
    assert latest.before["grades"] == {"plan_smart": 3}
    assert latest.after["grades"] == {}
    assert grade_events(audit).count() == 3


def test_a_stale_version_gets_409_with_the_current_version(people, audit):
    alice = with_token(people["auditor_alice"])
    assert save(alice, audit, 1, answers={"plan_smart": 3}).status_code == 200
    stale = save(alice, audit, 1, answers={"plan_smart": 1})
    assert stale.status_code == 409
    assert stale.json()["current_version"] == 2
    audit.refresh_from_db()
    assert (audit.version, audit.answers) == (2, {"plan_smart": 3})


def test_a_save_that_loses_the_race_writes_nothing(people, audit):
    # Another tab saves between this save reading the audit and writing it: the write
    # matches no row, the auditor is told the current version, and no Event is left.
    read_earlier = Audit.objects.get(pk=audit.pk)
    audit_save(
        audit=Audit.objects.get(pk=audit.pk),
        actor=people["auditor_alice"],
        version=1,
        changes={"answers": {"plan_smart": 4}},
    )
    events = Event.objects.count()
    with pytest.raises(StateConflict) as lost:
        audit_save(
            audit=read_earlier,
            actor=people["auditor_alice"],
            version=1,
            changes={"answers": {"plan_smart": 1}},
        )
    assert lost.value.extra["current_version"] == 2
    audit.refresh_from_db()
    assert (audit.version, audit.answers) == (2, {"plan_smart": 4})
    assert Event.objects.count() == events


def test_a_save_racing_a_submission_is_refused(people, audit):
    read_earlier = Audit.objects.get(pk=audit.pk)
    Audit.objects.filter(pk=audit.pk).update(status=Audit.Status.SUBMITTED)
    with pytest.raises(StateConflict) as refused:
        audit_save(
            audit=read_earlier,
            actor=people["auditor_alice"],
            version=1,
            changes={"strengths": "late"},
        )
    assert "current_version" not in refused.value.extra
    audit.refresh_from_db()
    assert (audit.version, audit.strengths) == (1, "")


def test_answers_are_checked_against_the_form(people, audit):
    # A body naming a question that is not on the form is wrong as a whole: nothing saved.
    alice = with_token(people["auditor_alice"])
    response = save(alice, audit, 1, answers={"plan_smart": 3, "no_such": 1}, themes=["x"])
    assert response.status_code == 400
    assert set(response.json()) >= {"answers.no_such"}
    audit.refresh_from_db()
    assert (audit.version, audit.answers) == (1, {})
    assert save(alice, audit, None, answers={"plan_smart": 3}).status_code == 400  # no version
    assert save(alice, audit, 1, answers=["plan_smart"]).status_code == 400
    # Every field sent refused: nothing written, and a 400 says so.
    only_bad = save(alice, audit, 1, answers={"cases_open_days": "about 140"})
    assert only_bad.status_code == 400
    assert only_bad.json()["answers.cases_open_days"] == ["Enter a number, like 140"]
    audit.refresh_from_db()
    assert (audit.version, audit.answers) == (1, {})


def test_one_answer_typed_wrong_does_not_stop_the_others_being_saved(people, audit):
    # The finding: "about 140" in an optional number field made every autosave fail.
    alice = with_token(people["auditor_alice"])
    assert save(alice, audit, 1, answers={"cases_open_days": 120}).status_code == 200
    answers = {
        "plan_smart": 3,
        "cases_open_days": "about 140",
        "risk_recognised": 9,
        "audit_type": None,
    }
    response = save(
        alice, audit, 2, answers=answers, strengths="Clear chronology", themes=["not a theme"]
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["version"], response["ETag"]) == (3, '"3"')
    assert body["invalid"] == {
        "answers.cases_open_days": ["Enter a number, like 140"],
        "answers.risk_recognised": ["Choose a grade from 1 to 4"],
        "themes": ["Tick only themes from the list"],
    }
    assert body["saved"] == ["answers.audit_type", "answers.plan_smart", "strengths"]
    # The answer stored before the wrong one stays, and the response shows it.
    assert body["answers"] == {"plan_smart": 3, "cases_open_days": 120}
    audit.refresh_from_db()
    assert audit.answers == {"plan_smart": 3, "cases_open_days": 120}
    assert (audit.strengths, audit.themes, audit.version) == ("Clear chronology", [], 3)
    # The grade saved is in the history; the refused one is not.
    assert grade_events(audit).order_by("-id")[0].after["grades"] == {"plan_smart": 3}
    # The version and the 409 work as before for a partial save.
    assert save(alice, audit, 2, answers={"plan_smart": 1}).status_code == 409


def test_other_people_get_404_or_403_and_change_nothing(people, audit):
    # Bob cannot see the cycle: 404. Quinn oversees every team (the audit is in her scope)
    # but is not its auditor: 403. Internal audit and people with no role may not write.
    expected = {"outsider_eve": 403, "manager_bob": 404, "qa_lead_quinn": 403, "internal_ian": 403}
    got = {
        name: save(with_token(people[name]), audit, 1, answers={"plan_smart": 1}).status_code
        for name in expected
    }
    assert got == expected
    assert APIClient().patch(url(audit), {"version": 1}, format="json").status_code == 401
    audit.refresh_from_db()
    assert (audit.version, audit.answers) == (1, {})


def test_losing_the_auditor_role_takes_effect_on_the_next_request(people, audit):
    alice = with_token(people["auditor_alice"])
    assert save(alice, audit, 1, answers={"plan_smart": 3}).status_code == 200
    people["auditor_alice"].groups.remove(Group.objects.get(name="auditor"))
    assert save(alice, audit, 2, answers={"plan_smart": 2}).status_code == 403


def test_a_revoked_token_stops_the_next_autosave(people, audit):
    alice = with_token(people["auditor_alice"])
    assert save(alice, audit, 1, answers={"plan_smart": 3}).status_code == 200
    ApiToken.objects.update(revoked_at=timezone.now())
    assert save(alice, audit, 2, answers={"plan_smart": 2}).status_code == 401


def test_a_token_records_its_use_at_most_once_a_minute(people, audit):
    alice = with_token(people["auditor_alice"])
    assert save(alice, audit, 1, answers={"plan_smart": 3}).status_code == 200
    first_use = ApiToken.objects.get().last_used_at
    assert first_use is not None
    assert save(alice, audit, 2, answers={"plan_smart": 2}).status_code == 200
    assert ApiToken.objects.get().last_used_at == first_use
    ApiToken.objects.update(last_used_at=first_use - timedelta(minutes=2))
    assert save(alice, audit, 3, answers={"plan_smart": 1}).status_code == 200
    assert ApiToken.objects.get().last_used_at > first_use


def test_the_form_cache_never_serves_a_draft(people, audit):
    # An audit on a draft form (possible while a form is being tried out) is checked
    # against the draft as it is now, even after the draft was edited.
    draft = Template.objects.create(
        name="Trial form",
        definition={
            "sections": [
                {
                    "title": "One",
                    "questions": [{"key": "first", "text": "First?", "kind": "yes_no_na"}],
                }
            ]
        },
    )
    Audit.objects.filter(pk=audit.pk).update(template=draft)
    alice = with_token(people["auditor_alice"])
    assert save(alice, audit, 1, answers={"first": "yes"}).status_code == 200
    assert save(alice, audit, 2, answers={"second": "no"}).status_code == 400
    draft.definition["sections"][0]["questions"].append(
        {"key": "second", "text": "Second?", "kind": "yes_no_na"}
    )
    draft.save()
    assert save(alice, audit, 2, answers={"second": "no"}).status_code == 200


def test_a_published_form_is_read_once_per_process(audit, django_assert_num_queries):
    published_forms.clear()
    with django_assert_num_queries(1):
        first = published_forms.template_for_grading(audit.template_id)
    with django_assert_num_queries(0):
        again = published_forms.template_for_grading(audit.template_id)
    assert again is first
    assert first.definition == Template.objects.get(pk=audit.template_id).definition


def test_the_hand_written_loads_read_what_the_orm_reads(people, audit):
    # The token lookup and the auditor's audit are read with written-out SQL
    # (audits/selectors/hot_reads.py) whose columns come in the table's order, not the
    # model's: every field must still land where the ORM puts it, with the same type.
    alice = people["auditor_alice"]
    audit_save(
        audit=Audit.objects.get(pk=audit.pk),
        actor=alice,
        version=1,
        changes={"answers": {"plan_smart": 3}, "themes": [], "strengths": "Clear"},
    )
    loaded = scoping.audit_editable_by(alice, audit.pk)
    expected = Audit.objects.get(pk=audit.pk)
    for field in Audit._meta.concrete_fields:
        assert getattr(loaded, field.attname) == getattr(expected, field.attname), field.name
    assert loaded.auditor_user_id == alice.pk

    _, raw = ApiToken.issue(user=alice, name="load check")
    user, token = token_lookup(raw)
    for field in User._meta.concrete_fields:
        assert getattr(user, field.attname) == getattr(alice, field.attname), field.name
    assert user.is_active is True
    assert user.is_superuser is False
    assert roles.roles_of(user) == {"auditor"}
    assert token.user_id == alice.pk
    assert scoping.audit_editable_by(people["outsider_eve"], audit.pk) is None
    assert scoping.audit_editable_by(alice, "not-a-number") is None
    assert scoping.audit_editable_by(alice, 2**70) is None
    huge = APIClient()
    huge.force_authenticate(alice)
    assert huge.patch(f"/api/v1/audits/{2**70}/", {"version": 1}, format="json").status_code == 404


def _draft_write_by_the_orm(*, audit, read_version, read_status, values, event) -> bool:
    """The ORM equivalent of services/draft_write.py."""
    closed_cycle = Cycle.objects.filter(
        status__in=(Cycle.Status.CLOSED, Cycle.Status.REPORTED),
        sampled_cases__assignments=OuterRef("assignment_id"),
    )
    unchanged = Audit.objects.filter(pk=audit.pk, version=read_version, status=read_status)
    unchanged = unchanged.exclude(Exists(closed_cycle))
    with transaction.atomic():
        if unchanged.update(**values) != 1:
            return False
        if event is not None:
            event_record(obj=audit, **event)
    return True


@pytest.fixture(params=["as the database allows", "through the ORM alone"])
def write_path(request, monkeypatch):
    """The autosave's write is hand-written (services/draft_write.py: one statement on
    PostgreSQL); the same save through the ORM (a conditional ``update()``, then the Event,
    in a transaction) must leave the same rows."""
    if request.param == "through the ORM alone":
        monkeypatch.setattr(audits_service, "draft_write", _draft_write_by_the_orm)
    return request.param


def test_a_grade_save_writes_the_row_and_its_event_or_neither(people, audit, write_path):
    alice = with_token(people["auditor_alice"])
    assert save(alice, audit, 1, answers={"plan_smart": 3}, overall_grade=3).status_code == 200
    row = Audit.objects.get(pk=audit.pk)
    assert (row.version, row.status, row.answers["plan_smart"], row.overall_grade) == (
        2,
        "in_progress",
        3,
        3,
    )
    event = grade_events(audit).get()
    assert event.actor == people["auditor_alice"]
    assert event.before == {"overall_grade": None, "grades": {}, "status": "assigned"}
    assert event.after == {
        "overall_grade": 3,
        "grades": {"plan_smart": 3},
        "status": "in_progress",
        "version": 2,
    }

    # A stale save and a save in a closed cycle write neither the row nor an Event.
    assert save(alice, audit, 1, answers={"plan_smart": 1}).status_code == 409
    Cycle.objects.filter(sampled_cases__assignments__audit=audit).update(status="closed")
    assert save(alice, audit, 2, answers={"plan_smart": 1}).status_code == 409
    assert Audit.objects.get(pk=audit.pk).answers["plan_smart"] == 3
    assert grade_events(audit).count() == 1
