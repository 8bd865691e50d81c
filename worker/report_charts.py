"""Charts for the assurance report, drawn with reportlab.graphics.

Each function takes plain figures and returns a Drawing (a platypus flowable) or None when
there is nothing to draw, so the caller can say so in words instead. Colours follow the
Okabe-Ito palette, which stays distinguishable for readers with colour blindness, and every
series is also told apart by line style or label, never by colour alone.
"""

import math
from collections.abc import Callable, Sequence

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Circle, Drawing, Group, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

BLUE = colors.HexColor("#0072B2")
SKY = colors.HexColor("#56B4E9")
ORANGE = colors.HexColor("#E69F00")
VERMILLION = colors.HexColor("#D55E00")
GREEN = colors.HexColor("#009E73")
GRID = colors.HexColor("#D9D9D9")
INK = colors.HexColor("#222222")
MUTED = colors.HexColor("#666666")

GRADE_COLOURS = {"1": VERMILLION, "2": ORANGE, "3": SKY, "4": BLUE}
FONT = "Helvetica"
BOLD = "Helvetica-Bold"


def _nice_step(span: float, most_ticks: int = 10) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, ... giving at most ``most_ticks`` intervals."""
    magnitude = 1
    while True:
        for step in (magnitude, 2 * magnitude, 5 * magnitude):
            if span / step <= most_ticks:
                return step
        magnitude *= 10


def _percent_axes(
    drawing: Drawing,
    box: tuple[float, float, float, float],
    x_range: tuple[float, float],
    x_ticks: Sequence[tuple[float, str]],
    *,
    x_title: str,
    y_title: str = "Good or better",
) -> tuple[Callable[[float], float], Callable[[float], float]]:
    """Grid, ticks and labels for a 0-100% vertical axis; returns the x and y scales."""
    left, bottom, width, height = box
    x_min, x_max = x_range

    def x_at(value: float) -> float:
        return left + (value - x_min) / (x_max - x_min) * width

    def y_at(value: float) -> float:
        return bottom + max(0.0, min(1.0, value)) * height

    for tenth in range(0, 11, 2):
        y = y_at(tenth / 10)
        drawing.add(Line(left, y, left + width, y, strokeColor=GRID, strokeWidth=0.5))
        drawing.add(
            String(left - 4, y - 3, f"{tenth * 10}%", fontName=FONT, fontSize=7, textAnchor="end")
        )
    for value, label in x_ticks:
        x = x_at(value)
        drawing.add(Line(x, bottom, x, bottom - 3, strokeColor=INK, strokeWidth=0.5))
        drawing.add(String(x, bottom - 12, label, fontName=FONT, fontSize=7, textAnchor="middle"))
    drawing.add(Line(left, bottom, left + width, bottom, strokeColor=INK, strokeWidth=0.7))
    drawing.add(Line(left, bottom, left, bottom + height, strokeColor=INK, strokeWidth=0.7))
    drawing.add(
        String(
            left + width / 2, bottom - 24, x_title, fontName=FONT, fontSize=8, textAnchor="middle"
        )
    )
    title = String(0, 0, y_title, fontName=FONT, fontSize=8, textAnchor="middle")
    drawing.add(_turned(title, left - 30, bottom + height / 2))
    return x_at, y_at


def _turned(shape: String, x: float, y: float) -> Group:
    """The shape turned a quarter to read upwards, placed at (x, y), for a vertical axis title."""
    group = Group(shape)
    group.transform = (0, 1, -1, 0, x, y)
    return group


def _legend(drawing: Drawing, x: float, y: float, entries: Sequence[tuple[str, dict]]) -> None:
    """A one-line key: a short sample of each line or point style and its words."""
    for label, style in entries:
        if style.get("point"):
            drawing.add(
                Circle(x + 8, y + 3, 3, fillColor=style["point"], strokeColor=INK, strokeWidth=0.4)
            )
        else:
            drawing.add(
                Line(
                    x,
                    y + 3,
                    x + 16,
                    y + 3,
                    strokeColor=style["colour"],
                    strokeWidth=style.get("width", 1),
                    strokeDashArray=style.get("dash"),
                )
            )
        drawing.add(String(x + 20, y, label, fontName=FONT, fontSize=7))
        x += 28 + len(label) * 3.5


def grade_chart(
    distribution: dict, scale: dict, *, width: float = 480, height: float = 170
) -> Drawing | None:
    """Bars of how many audits got each grade, counts printed on the bars."""
    grades = sorted(scale, key=int)
    counts = [int(distribution.get(grade) or 0) for grade in grades]
    if not grades or sum(counts) == 0:
        return None
    drawing = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 40, 25, width - 60, height - 40
    chart.data = [counts]
    chart.categoryAxis.categoryNames = [scale[grade] for grade in grades]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 8
    chart.categoryAxis.labels.dy = -4
    chart.valueAxis.valueMin = 0
    top = max(counts)
    step = _nice_step(top, 6)
    chart.valueAxis.valueMax = math.ceil(top * 1.15 / step) * step
    chart.valueAxis.valueStep = step
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = GRID
    chart.valueAxis.gridStrokeWidth = 0.5
    chart.barWidth = 10
    chart.groupSpacing = 30
    chart.bars.strokeColor = None
    for index, grade in enumerate(grades):
        chart.bars[(0, index)].fillColor = GRADE_COLOURS.get(grade, MUTED)
    chart.barLabelFormat = "%d"
    chart.barLabels.fontName = BOLD
    chart.barLabels.fontSize = 8
    chart.barLabels.nudge = 7
    drawing.add(chart)
    drawing.add(
        _turned(
            String(0, 0, "Audits", fontName=FONT, fontSize=8, textAnchor="middle"),
            14,
            chart.y + chart.height / 2,
        )
    )
    return drawing


def funnel_chart(
    by_team: Sequence[dict],
    funnel: Sequence[dict],
    overall: float | None,
    *,
    width: float = 480,
    height: float = 250,
) -> Drawing | None:
    """Good-or-better rate of each team (numbered points) against the number audited, with
    the overall rate and its 95% and 99.8% control limits drawn as a funnel."""
    points = [
        (index, row["audited"], row["proportion"])
        for index, row in enumerate(by_team, start=1)
        if row.get("audited") and row.get("proportion") is not None
    ]
    if not points or overall is None:
        return None
    largest = max([n for _, n, _ in points] + [row["n"] for row in funnel if row.get("n")])
    step = _nice_step(largest, 10)
    x_max = math.ceil((largest + 0.5) / step) * step
    drawing = Drawing(width, height)
    box = (50, 55, width - 65, height - 70)
    ticks = [(value, str(value)) for value in range(0, x_max + 1, step)]
    x_at, y_at = _percent_axes(
        drawing,
        box,
        (0, x_max),
        ticks,
        x_title="Cases audited in team",
        y_title="Share of audited cases",
    )

    limits = [
        ("low998", "high998", {"colour": MUTED, "dash": [4, 2], "width": 1}),
        ("low95", "high95", {"colour": MUTED, "width": 0.8}),
    ]
    for low_key, high_key, style in limits:
        for key in (low_key, high_key):
            line = [
                (x_at(row["n"]), y_at(row[key]))
                for row in funnel
                if row.get("n") and row.get(key) is not None
            ]
            if len(line) > 1:
                drawing.add(
                    PolyLine(
                        [coordinate for point in line for coordinate in point],
                        strokeColor=style["colour"],
                        strokeWidth=style["width"],
                        strokeDashArray=style.get("dash"),
                    )
                )
    drawing.add(
        Line(x_at(0), y_at(overall), x_at(x_max), y_at(overall), strokeColor=BLUE, strokeWidth=1.2)
    )
    # Teams with the same count and rate share one point and one label ("2, 5").
    shared: dict[tuple[int, float], list[int]] = {}
    for index, n, proportion in points:
        shared.setdefault((n, round(proportion, 4)), []).append(index)
    for (n, proportion), indexes in shared.items():
        x, y = x_at(n), y_at(proportion)
        drawing.add(Circle(x, y, 3.2, fillColor=ORANGE, strokeColor=INK, strokeWidth=0.5))
        label = ", ".join(str(index) for index in indexes)
        drawing.add(String(x + 5, y + 3, label, fontName=BOLD, fontSize=7.5))
    _legend(
        drawing,
        50,
        6,
        [
            ("Team (number as in the table)", {"point": ORANGE}),
            (f"All audited cases {overall:.0%}", {"colour": BLUE, "width": 1.2}),
            ("95% limits", limits[1][2]),
            ("99.8% limits", limits[0][2]),
        ],
    )
    return drawing


def trend_chart(
    cycles: Sequence[dict], *, width: float = 480, height: float = 210
) -> Drawing | None:
    """Good-or-better rate per cycle with its 95% interval as a whisker.

    ``cycles`` are dicts with label, value, low, high and current (bool); a cycle whose
    value is None keeps its place on the axis but has no point.
    """
    if not any(cycle.get("value") is not None for cycle in cycles):
        return None
    drawing = Drawing(width, height)
    box = (50, 55, width - 65, height - 70)
    count = len(cycles)
    ticks = [(index, cycle["label"]) for index, cycle in enumerate(cycles)]
    x_at, y_at = _percent_axes(
        drawing,
        box,
        (-0.5, count - 0.5),
        ticks,
        x_title="Audit cycle",
        y_title="Good or better (estimate)",
    )
    line = []
    for index, cycle in enumerate(cycles):
        value = cycle.get("value")
        if value is None:
            continue
        x = x_at(index)
        low, high = cycle.get("low"), cycle.get("high")
        if low is not None and high is not None:
            drawing.add(Line(x, y_at(low), x, y_at(high), strokeColor=MUTED, strokeWidth=0.8))
            for end in (low, high):
                drawing.add(Line(x - 4, y_at(end), x + 4, y_at(end), strokeColor=MUTED))
        line.append((x, y_at(value)))
    if len(line) > 1:
        drawing.add(
            PolyLine(
                [coordinate for point in line for coordinate in point],
                strokeColor=BLUE,
                strokeWidth=1.2,
            )
        )
    for index, cycle in enumerate(cycles):
        value = cycle.get("value")
        if value is None:
            continue
        x, y = x_at(index), y_at(value)
        fill = ORANGE if cycle.get("current") else BLUE
        drawing.add(Circle(x, y, 3.5, fillColor=fill, strokeColor=INK, strokeWidth=0.5))
        label = f"{value:.0%}"
        # A white backing keeps the figure readable where the line runs through it.
        label_width = stringWidth(label, BOLD, 7.5)
        drawing.add(
            Rect(x + 6, y + 3, label_width + 2, 9, fillColor=colors.white, strokeColor=None)
        )
        drawing.add(String(x + 7, y + 5, label, fontName=BOLD, fontSize=7.5))
    _legend(
        drawing,
        50,
        6,
        [
            ("Earlier cycles", {"point": BLUE}),
            ("This cycle", {"point": ORANGE}),
            ("95% interval", {"colour": MUTED, "width": 0.8}),
        ],
    )
    return drawing


def share_bar(share: float | None, *, width: float = 110, height: float = 9) -> Drawing:
    """A small horizontal bar for a share between 0 and 1, to sit in a table cell."""
    drawing = Drawing(width, height)
    drawing.add(
        Rect(0, 1, width, height - 2, fillColor=colors.HexColor("#F0F0F0"), strokeColor=None)
    )
    if share:
        filled = width * max(0.0, min(1.0, share))
        drawing.add(Rect(0, 1, filled, height - 2, fillColor=BLUE, strokeColor=None))
    return drawing
