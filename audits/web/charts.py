"""Chart geometry for the dashboard's inline SVG: plain numbers in, coordinates out. The
templates draw them; no chart library and no script, so the strict CSP holds."""

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 56


def _ticks(top: float, count: int = 4, percent: bool = False) -> list[dict]:
    plot = HEIGHT - TOP - BOTTOM
    ticks = []
    for step in range(count + 1):
        value = top * step / count
        label = f"{value:.0%}" if percent else f"{value:g}"
        ticks.append({"y": round(HEIGHT - BOTTOM - plot * step / count, 1), "label": label})
    return ticks


def _nice_top(value: float) -> int:
    for top in (4, 8, 10, 20, 40, 50, 100, 200, 400, 500, 1000):
        if value <= top:
            return top
    return int(value) + 1


def column_chart(items: list[tuple[str, int]]) -> dict:
    """Vertical bars, e.g. the grade distribution."""
    top = _nice_top(max([value for _, value in items] + [1]))
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_width / max(len(items), 1)
    bars = []
    for index, (label, value) in enumerate(items):
        height = plot_height * value / top
        x = LEFT + index * slot + slot * 0.15
        bars.append(
            {
                "label": label,
                "value": value,
                "x": round(x, 1),
                "width": round(slot * 0.7, 1),
                "y": round(HEIGHT - BOTTOM - height, 1),
                "height": round(height, 1),
                "centre": round(x + slot * 0.35, 1),
                "value_y": round(HEIGHT - BOTTOM - height - 4, 1),
            }
        )
    return _frame(bars=bars, ticks=_ticks(top))


def bar_chart(items: list[tuple[str, int]], label_width: int = 300) -> dict:
    """Horizontal bars with long labels, e.g. themes."""
    row = 28
    height = TOP + row * max(len(items), 1) + 8
    top = max([value for _, value in items] + [1])
    plot = WIDTH - label_width - RIGHT - 40
    bars = []
    for index, (label, value) in enumerate(items):
        width = plot * value / top
        y = TOP + index * row
        bars.append(
            {
                "label": label,
                "value": value,
                "x": label_width,
                "y": y,
                "height": row - 8,
                "width": round(width, 1),
                "text_y": y + row / 2,
                "value_x": round(label_width + width + 6, 1),
            }
        )
    return {"width": WIDTH, "height": height, "bars": bars, "label_x": label_width - 8}


def _x(n: float, n_max: float) -> float:
    return round(LEFT + (WIDTH - LEFT - RIGHT) * n / n_max, 1)


def _y(p: float) -> float:
    return round(HEIGHT - BOTTOM - (HEIGHT - TOP - BOTTOM) * p, 1)


def funnel_plot(teams: list[dict], funnel: list[dict], overall: float | None) -> dict:
    """Good-or-better share by team against the number audited, inside 95% and 99.8%
    control limits around the overall share."""
    n_max = max([row["n"] for row in funnel] + [t["audited"] for t in teams] + [1])
    lines = {
        name: " ".join(f"{_x(row['n'], n_max)},{_y(row[name])}" for row in funnel)
        for name in ("low95", "high95", "low998", "high998")
    }
    points = [
        {
            "label": t["team"],
            "cx": _x(t["audited"], n_max),
            "cy": _y(t["proportion"]),
            "flag": t["flag"],
            "value": t["proportion"],
            "audited": t["audited"],
        }
        for t in teams
    ]
    x_ticks = [
        {"x": _x(n, n_max), "label": str(n)}
        for n in sorted({0, n_max // 4, n_max // 2, 3 * n_max // 4, n_max})
    ]
    return _frame(
        points=points,
        lines=lines,
        x_ticks=x_ticks,
        ticks=_ticks(1, percent=True),
        overall_y=None if overall is None else _y(overall),
        x_end=WIDTH - RIGHT,
    )


def trend_chart(rows: list[dict]) -> dict:
    """Good-or-better share per cycle with its 95% interval."""
    slot = (WIDTH - LEFT - RIGHT) / max(len(rows), 1)
    points = []
    for index, row in enumerate(rows):
        share = row["good_or_better"] or 0
        points.append(
            {
                "label": row["cycle"],
                "cx": round(LEFT + slot * (index + 0.5), 1),
                "cy": _y(share),
                "low_y": _y(row["low"]),
                "high_y": _y(row["high"]),
                "value": share,
                "audited": row["audited"],
            }
        )
    path = " ".join(f"{p['cx']},{p['cy']}" for p in points)
    return _frame(points=points, path=path, ticks=_ticks(1, percent=True))


def _frame(**parts) -> dict:
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "bottom": HEIGHT - BOTTOM,
        "label_y": HEIGHT - BOTTOM + 20,
        **parts,
    }
