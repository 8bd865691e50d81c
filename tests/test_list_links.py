"""Row links on list pages are reversed once and filled in per row (audits.web.listing):
each must be the very URL ``reverse`` gives, for any key."""

import pytest
from django.urls import reverse

from audits.web.listing import link_to

ROW_ROUTES = ["web:moderate", "web:action", "web:action-evidence", "web:action-advance"]


@pytest.mark.parametrize("name", ROW_ROUTES)
def test_a_row_link_is_the_url_reverse_gives(name):
    link = link_to(name)
    for key in (1, 7, 42, 10_000, 987_654_321, 2**31 - 1):
        assert link(key) == reverse(name, args=[key])


def test_a_row_link_takes_only_integer_keys():
    link = link_to("web:moderate")
    with pytest.raises(ValueError, match="invalid literal"):
        link("1/../../admin")


HOSTILE = "<script>alert(1)</script> \"quoted\" & 'single'"


def test_the_case_suggestions_escape_what_they_list():
    from audits.templatetags.words import join_options

    html = str(join_options(["C1", HOSTILE]))
    assert "<script>" not in html
    assert html.startswith('<option value="C1"></option><option value="&lt;script&gt;')
    assert "&quot;quoted&quot; &amp; &#x27;single&#x27;" in html


@pytest.mark.django_db
def test_the_owner_options_escape_names_and_references():
    from audits.models import Staff, Team
    from audits.web.action_new import owner_groups

    team = Team.objects.create(name="Team <b>")
    Staff.objects.create(staff_ref="S<1>", name=HOSTILE, team=team)
    groups = {group["team"]: str(group["options"]) for group in owner_groups("S<1>")}
    html = groups["Team <b>"]
    assert "<script>" not in html
    assert "<b>" not in html
    assert html == (
        '<option value="S&lt;1&gt;" selected>&lt;script&gt;alert(1)&lt;/script&gt; '
        "&quot;quoted&quot; &amp; &#x27;single&#x27;, Team &lt;b&gt; (S&lt;1&gt;)</option>"
    )


@pytest.mark.django_db
@pytest.mark.parametrize("as_values", [False, True])
def test_reading_every_key_first_gives_the_same_pages(rf, as_values):
    from audits.models import Team
    from audits.web.listing import paginate

    Team.objects.bulk_create(Team(name=f"Team {n % 7} #{n}") for n in range(23))
    rows = Team.objects.order_by("name", "pk")
    if as_values:
        rows = rows.values("pk", "name")
    for number in ("1", "2", "3", "4", "x", ""):
        request = rf.get("/", {"page": number})
        counted = paginate(request, rows, noun=("team", "teams"), per_page=10)
        listed = paginate(request, rows, noun=("team", "teams"), per_page=10, keys_first=True)
        assert listed["rows"] == counted["rows"]
        assert len(listed["rows"]) in (3, 10)
        assert (listed["total"], listed["first_text"], listed["last_text"]) == (
            counted["total"],
            counted["first_text"],
            counted["last_text"],
        )
        assert listed["numbers"] == counted["numbers"]
        assert listed["total"] == 23
