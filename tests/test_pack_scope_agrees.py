"""The cycle page asks "may this manager have the pack?" of its one cycle
(``packs.may_pack_managed_cycle``), not through the whole pack scope: both must give the
same answer for every person and every cycle they run, including a manager who is still
blind to the other half of a double audit in that cycle (people: tests/scope_world.py)."""

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from audits.models import Audit, Staff
from audits.selectors import scoping
from audits.selectors.packs import may_pack_managed_cycle, pack_cycles_for
from tests import scope_world

pytestmark = pytest.mark.django_db


def _fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)  # roles are kept on the user object


def _make_blind(world) -> User:
    """two_tom runs the South cycle; he takes over the second half of a double audit whose
    first half is submitted, and has not submitted his: he is still blind to the first."""
    tom = world.people["two_tom"]
    second = (
        world.audits("south", assignment__role="second")
        .filter(assignment__sampled_case__assignments__audit__status="submitted")
        .first()
    )
    assert second is not None
    Audit.objects.filter(pk=second.pk).update(status="assigned")
    staff = Staff.objects.get(user=tom)
    second.assignment.auditor = staff
    second.assignment.save(update_fields=["auditor"])
    tom.groups.add(Group.objects.get(name="auditor"))
    return _fresh(tom)


def _agree(people) -> list[tuple[str, str, bool]]:
    seen = []
    for name, person in people.items():
        person = _fresh(person)
        packed = set(pack_cycles_for(person).values_list("pk", flat=True))
        for cycle in scoping.cycles_managed_by(person):
            answer = may_pack_managed_cycle(person, cycle)
            assert answer == (cycle.pk in packed), (name, cycle.name)
            seen.append((name, cycle.name, answer))
    return seen


def test_the_page_rule_and_the_pack_scope_agree_for_every_person_and_cycle():
    world = scope_world.build()
    before = _agree(world.people)
    assert ("lead", "Whole council", True) in before
    assert ("two_tom", "South spring", True) in before
    # People who run no cycle (auditors, internal audit, admins, practitioners) are asked
    # nothing by the page: it is a manager's page (404 for them).
    assert {name for name, _, _ in before} <= {"lead", "two_tom", "peer_nora", "aud_mia"}

    _make_blind(world)
    after = _agree(world.people)
    assert ("two_tom", "South spring", False) in after
    assert ("two_tom", "South and East", True) in after  # blind in one cycle only
    assert ("lead", "South spring", True) in after  # the lead audits nothing there


def test_a_manager_still_blind_is_offered_no_pack_button_on_the_cycle_page():
    world = scope_world.build()
    tom = _make_blind(world)
    browser = Client()
    browser.force_login(tom)
    south = world.cycles["south"]
    page = browser.get(f"/cycles/{south.pk}/")
    assert page.status_code == 200
    assert b'id="cycle-build-pack"' not in page.content
    assert b"once you have submitted your own audits" in page.content
    # The lead, who runs the same cycle and audits nothing in it, is offered it.
    browser.force_login(world.people["lead"])
    assert b'id="cycle-build-pack"' in browser.get(f"/cycles/{south.pk}/").content


def test_a_signed_out_person_may_have_no_pack():
    from django.contrib.auth.models import AnonymousUser

    world = scope_world.build()
    assert not may_pack_managed_cycle(AnonymousUser(), world.cycles["south"])
