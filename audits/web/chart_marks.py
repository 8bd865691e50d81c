"""The dashboard's repeated SVG marks and table rows, written here rather than in template
loops: the same markup, character for character, as the loops that drew them, at a small
part of the cost (Django's template engine resolves each variable of each mark in turn:
some 550 a view, 3.7 ms of the dashboard's time in bench/pages.py).

Values are written as the template wrote them: text escaped (``format_html``), numbers as
``localize`` gives them (``str`` while thousand separators are off, as they are),
``percent`` as the figures tag, ``truncatechars`` and ``floatformat`` by Django's filters."""

from django.conf import settings
from django.template.defaultfilters import floatformat, truncatechars
from django.utils import formats
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from audits.core import display


def _n(value) -> str:
    """A number as ``{{ value }}`` writes it (``localize``)."""
    return formats.localize(value) if settings.USE_THOUSAND_SEPARATOR else str(value)


def _add(value, arg: int) -> str:
    """``{{ value|add:arg }}`` for a number: Django's ``add`` makes both whole first."""
    return _n(int(value) + arg)


def _percent(value) -> str:
    return display.percent(value, 1)


def _marks(markup: str, rows) -> SafeString:
    """``markup`` once per row of values (``format_html``: text escaped)."""
    return format_html_join("", markup, rows)


def _list(separator: str, markup: str, rows) -> SafeString:
    return format_html_join(separator, markup, rows)


def ticks(chart: dict) -> SafeString:
    left, right, label_x = _n(chart["left"]), _n(chart["right"]), _add(chart["left"], -8)
    return _marks(
        '<line class="grid" x1="{}" x2="{}" y1="{}" y2="{}"/><text class="tick" x="{}" '
        'y="{}" text-anchor="end" dominant-baseline="middle">{}</text>',
        (
            (left, right, _n(t["y"]), _n(t["y"]), label_x, _n(t["y"]), t["label"])
            for t in chart["ticks"]
        ),
    )


def grades_title(rows: list[tuple]) -> SafeString:
    return _list(", ", "{} {}", ((label, _n(n)) for label, n in rows))


def grade_bars(chart: dict) -> SafeString:
    label_y = _n(chart["label_y"])
    return _marks(
        '<rect class="bar grade-{}" x="{}" y="{}" width="{}" height="{}"/>'
        '<text class="value" x="{}" y="{}" text-anchor="middle">{}</text>'
        '<text class="label" x="{}" y="{}" text-anchor="middle">{}</text>',
        (
            (
                _n(n),
                _n(b["x"]),
                _n(b["y"]),
                _n(b["width"]),
                _n(b["height"]),
                _n(b["centre"]),
                _n(b["value_y"]),
                _n(b["value"]),
                _n(b["centre"]),
                label_y,
                b["label"],
            )
            for n, b in enumerate(chart["bars"], start=1)
        ),
    )


def funnel_x_ticks(chart: dict) -> SafeString:
    label_y = _n(chart["label_y"])
    return _marks(
        '<text class="tick" x="{}" y="{}" text-anchor="middle">{}</text>',
        ((_n(t["x"]), label_y, t["label"]) for t in chart["x_ticks"]),
    )


def _funnel_point(p: dict) -> SafeString:
    cx, cy = _n(p["cx"]), _n(p["cy"])
    mark = format_html(
        '<circle class="point point-{}" cx="{}" cy="{}" r="6"><title>{}: {} of {} audited '
        "cases</title></circle>",
        p["flag"],
        cx,
        cy,
        p["label"],
        _percent(p["value"]),
        _n(p["audited"]),
    )
    if p["flag"] == "within":
        return mark
    return format_html(
        '{}<text class="value" x="{}" y="{}" dominant-baseline="middle">{}</text>',
        mark,
        _add(p["cx"], 9),
        cy,
        p["label"],
    )


def funnel_points(chart: dict) -> SafeString:
    return _marks("{}", ((_funnel_point(p),) for p in chart["points"]))


def team_rows(by_team: list[dict]) -> SafeString:
    return _marks(
        '<tr><th scope="row">{}</th><td class="num">{}</td><td class="num">{}</td>'
        '<td class="num">{}</td><td>{} to {}</td><td>{}</td><td class="num">{}</td></tr>',
        (
            (
                r["team"],
                _n(r["audited"]),
                _n(r["good_or_better"]),
                _percent(r["proportion"]),
                _percent(r["limits95"][0]),
                _percent(r["limits95"][1]),
                r["flag"],
                "" if r["tail_probability"] is None else floatformat(r["tail_probability"], 4),
            )
            for r in by_team
        ),
    )


def trend_title(chart: dict) -> SafeString:
    return _list("; ", "{} {}", ((p["label"], _percent(p["value"])) for p in chart["points"]))


def trend_points(chart: dict) -> SafeString:
    label_y = _n(chart["label_y"])
    return _marks(
        '<line class="interval" x1="{}" x2="{}" y1="{}" y2="{}"/><circle class="point" '
        'cx="{}" cy="{}" r="5"/><text class="label" x="{}" y="{}" '
        'text-anchor="middle">{}</text>',
        (
            (
                _n(p["cx"]),
                _n(p["cx"]),
                _n(p["low_y"]),
                _n(p["high_y"]),
                _n(p["cx"]),
                _n(p["cy"]),
                _n(p["cx"]),
                label_y,
                truncatechars(p["label"], 24),
            )
            for p in chart["points"]
        ),
    )


def themes_title(chart: dict) -> SafeString:
    return _list("; ", "{} {}", ((b["label"], _n(b["value"])) for b in chart["bars"]))


def theme_bars(chart: dict) -> SafeString:
    label_x = _n(chart["label_x"])
    return _marks(
        '<text class="label" x="{}" y="{}" text-anchor="end" dominant-baseline="middle">{}'
        '</text><rect class="bar" x="{}" y="{}" width="{}" height="{}"/>'
        '<text class="value" x="{}" y="{}" dominant-baseline="middle">{}</text>',
        (
            (
                label_x,
                _n(b["text_y"]),
                truncatechars(b["label"], 44),
                _n(b["x"]),
                _n(b["y"]),
                _n(b["width"]),
                _n(b["height"]),
                _n(b["value_x"]),
                _n(b["text_y"]),
                _n(b["value"]),
            )
            for b in chart["bars"]
        ),
    )


def _cell(value):
    """``{{ value }}`` of a table cell: a number localised, anything else as text."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _n(value)
    return value


def table_rows(table: dict) -> SafeString:
    """A chart's table body (``_chart_table.html``): the first value heads its row."""
    return _marks(
        "<tr>{}</tr>",
        (
            (
                _marks(
                    "{}",
                    (
                        (format_html('<th scope="row">{}</th>', _cell(v)),)
                        if n == 0
                        else (format_html("<td>{}</td>", _cell(v)),)
                        for n, v in enumerate(row)
                    ),
                ),
            )
            for row in table["rows"]
        ),
    )
