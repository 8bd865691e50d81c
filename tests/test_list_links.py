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
    with pytest.raises(ValueError):
        link("1/../../admin")
