"""The names of the teams behind stratum labels, for the ``stratum`` filter on any page
(a context processor: read once a request, and only by a page that prints a stratum)."""

from django.utils.functional import SimpleLazyObject

from audits.selectors.frames import team_names_by_label


def stratum_teams(request) -> dict:
    return {"stratum_teams": SimpleLazyObject(team_names_by_label)}
