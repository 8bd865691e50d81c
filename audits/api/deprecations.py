"""What the API still accepts but will stop accepting, and how a client hears of it.

The rule (README, "API changelog"): a deprecated field is announced in the changelog and
marked ``deprecated`` in the schema the day it is deprecated, keeps working for at least
``LIFETIME`` after that, and every response to a request that used it carries
``Deprecation: @<when it was deprecated>`` (RFC 9745) and ``Sunset: <the earliest day it
may go>`` (RFC 8594), so a client's logs show it long before anything breaks."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.utils.http import http_date

LIFETIME = timedelta(days=183)  # six months, two quarterly report cycles


@dataclass(frozen=True)
class Deprecated:
    what: str
    since: date

    @property
    def sunset(self) -> date:
        return self.since + LIFETIME


TEAM_NAMES = Deprecated("a team's name in a cycle's teams (send its id)", date(2026, 12, 2))


def _moment(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def deprecation_used(request, deprecated: Deprecated) -> None:
    """Note that ``request`` used ``deprecated`` (``announce`` puts it on the response)."""
    if request is not None:
        request.deprecations_used = {*getattr(request, "deprecations_used", ()), deprecated}


def announce(request, response) -> None:
    used = getattr(request, "deprecations_used", ())
    if used:
        response["Deprecation"] = f"@{_moment(min(d.since for d in used))}"
        response["Sunset"] = http_date(_moment(min(d.sunset for d in used)))
