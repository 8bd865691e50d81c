"""The demo council: realistic, deterministic for a seed, never in production."""

import io
from datetime import date

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from audits.core.demo_council import build_council
from audits.models import Allocation, Case, Conflict, Team


def test_the_same_seed_builds_the_same_council():
    first = build_council(cases=200, seed=7, today=date(2026, 11, 1))
    again = build_council(cases=200, seed=7, today=date(2026, 11, 1))
    other = build_council(cases=200, seed=8, today=date(2026, 11, 1))
    assert first == again
    assert first.cases != other.cases


def test_seed_demo_loads_a_council_with_the_promised_logins(db):
    call_command("seed_demo", cases=300, stdout=io.StringIO())
    assert Team.objects.count() == 12
    assert Case.objects.count() == 300
    assert Allocation.objects.count() > 300
    assert Conflict.objects.exists()
    usernames = set(User.objects.values_list("username", flat=True))
    expected = {"qa.lead", "internal.audit", "admin", "manager.child-protection-one"}
    expected |= {f"auditor.{n}" for n in range(1, 9)}
    assert expected <= usernames
    # Every social worker signs in as a practitioner, with no other role.
    worker = User.objects.get(username="sw0401")
    assert set(worker.groups.values_list("name", flat=True)) == {"practitioner"}
    assert worker.staff.staff_ref == "SW0401"
    assert worker.check_password("caseassure-demo-2026")
    case_types = set(Case.objects.values_list("case_type", flat=True))
    assert {"cin", "cp", "cla", "referral", "assessment", "care_leaver", "early_help"} <= case_types
    # Running again changes nothing.
    call_command("seed_demo", cases=300, stdout=io.StringIO())
    assert Case.objects.count() == 300


def test_seed_demo_refuses_production(db, settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        call_command("seed_demo", cases=10, stdout=io.StringIO())
    assert not Case.objects.exists()
