"""Fields shared by the API's serializers."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from audits.api.deprecations import TEAM_NAMES, deprecation_used
from audits.models import Team


@extend_schema_field(
    {
        "oneOf": [
            {"type": "integer", "description": "the team's id, as GET /api/v1/teams/ lists it"},
            {
                "type": "string",
                "deprecated": True,
                "description": "the team's name (accepted for older clients; send the id)",
            },
        ]
    }
)
class TeamField(serializers.RelatedField):
    """A team by its id, as the teams list gives it; reads back as the id. A name (a
    string) is still accepted on writes, as the first version of the API took names."""

    default_error_messages = {
        "no_team": "There is no team {value}.",
        "not_a_team": "Give a team's id (a whole number) from /api/v1/teams/.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Team.objects.all())
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("not_a_team")
        if isinstance(data, str):
            deprecation_used(self.context.get("request"), TEAM_NAMES)
        lookup = {"pk": data} if isinstance(data, int) else {"name": data}
        team = self.get_queryset().filter(**lookup).first()
        if team is None:
            self.fail("no_team", value=f"with id {data}" if isinstance(data, int) else repr(data))
        return team

    def to_representation(self, value):
        return value.pk
