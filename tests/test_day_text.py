"""The dates a list shows, made once per day in Python (``listing.day_text`` and
``moment_text``), read exactly as the template filter would show them: every day of a year
and moments either side of the clock changes, where the council's day differs from UTC's."""

from datetime import UTC, date, datetime, timedelta

from django.template import engines

from audits.web import listing

DAY = engines["django"].from_string('{{ v|date:"j M Y" }}')
MOMENT = engines["django"].from_string('{{ v|date:"j M Y H:i" }}')


def _shown(value) -> tuple[str, str]:
    return DAY.render({"v": value}), MOMENT.render({"v": value})


def test_every_day_of_a_year_reads_as_the_filter_shows_it():
    first = date(2026, 1, 1)
    for n in range(366):
        day = first + timedelta(days=n)
        assert listing.day_text(day) == DAY.render({"v": day})


def test_moments_read_as_the_council_sees_them():
    # Around the changes to and from British Summer Time, and late in the evening (UTC)
    # when the council's day has already turned.
    starts = [datetime(2026, 3, 28, 22, tzinfo=UTC), datetime(2026, 10, 24, 22, tzinfo=UTC)]
    moments = [start + timedelta(minutes=25 * n) for start in starts for n in range(30)]
    moments.append(datetime(2026, 6, 30, 23, 30, tzinfo=UTC))  # 1 July in London
    for moment in moments:
        day, shown = _shown(moment)
        assert listing.day_text(moment) == day, moment
        assert listing.moment_text(moment) == shown, moment
    assert listing.day_text(datetime(2026, 6, 30, 23, 30, tzinfo=UTC)) == "1 Jul 2026"
    assert listing.day_text(None) == listing.moment_text(None) == ""
