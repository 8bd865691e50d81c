"""The managers' dashboard: figures as they stand now for a chosen cycle, the way the
report computes them (kept while the data is unchanged: ``selectors/live_figures.py``),
drawn as inline SVG charts, each with its table (text alternative) and the same table as a
CSV download. It opens on the newest cycle with completed audits."""

import csv
import io

from django.db.models import Exists, OuterRef
from django.http import Http404, HttpResponse

from audits.core import display
from audits.core.statuses import AUDIT_EDITABLE
from audits.models import Assignment, Audit, AuditSummary
from audits.selectors import live_figures, scoping
from audits.web import chart_marks, charts
from audits.web.access import MANAGERS, role_required
from audits.web.pages import page


def _cycle_choices(user) -> list:
    """The drawn cycles the manager may see, newest first, each marked with whether a first
    audit of it is complete (its summary exists exactly while the audit is submitted or
    final: models/summaries.py); one query for the menu and the default."""
    completed = AuditSummary.objects.filter(cycle=OuterRef("pk"), role=Assignment.Role.PRIMARY)
    return list(
        scoping.cycles_managed_by(user)
        .filter(frame__isnull=False)
        .only("pk", "name", "period_end", "audit_due_date")  # what the page shows
        .annotate(has_completed=Exists(completed))
        .order_by("-period_end", "-pk")
    )


def _int(raw):
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def _chosen_cycle(cycles: list, chosen: int | None):
    """The cycle asked for (404 when not one of ``cycles``); else the newest cycle with a
    completed first audit; else the newest drawn one."""
    if chosen:
        found = next((cycle for cycle in cycles if cycle.pk == chosen), None)
        if found is None:
            raise Http404("No such cycle.")
        return found
    return next((cycle for cycle in cycles if cycle.has_completed), None) or next(
        iter(cycles), None
    )


def _percent(value) -> str:
    return "" if value is None else f"{value:.4f}"


def tables(figures: dict) -> dict[str, dict]:
    """Each chart's table: its title, header and rows (the text the chart draws)."""
    findings = figures["findings"]
    scale = findings["grade_scale"]
    return {
        "grades": {
            "title": "Grade distribution",
            "header": ["Grade", "Completed first audits"],
            "rows": [[f"{g} {scale[g]}", n] for g, n in findings["grade_distribution"].items()],
        },
        "teams": {
            "title": "Good or better by team",
            "header": ["Team", "Audited", "Good or better", "Share", "Against the limits"],
            "rows": [
                [r["team"], r["audited"], r["good_or_better"], _percent(r["proportion"]), r["flag"]]
                for r in findings["by_team"]
            ],
        },
        "trend": {
            "title": "Trend by cycle",
            "header": ["Cycle", "Audited", "Good or better (estimate)", "95% low", "95% high"],
            "rows": [
                [r["cycle"], r["audited"]]
                + [_percent(r[key]) for key in ("good_or_better", "low", "high")]
                for r in findings["trend"]
            ],
        },
        "themes": {
            "title": "Themes",
            "header": ["Theme", "Times recorded"],
            "rows": [[t["theme"], t["count"]] for t in findings["themes"]],
        },
    }


def _csv(cycle, name: str, table: dict) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table["header"])
    writer.writerows(table["rows"])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="cycle-{cycle.pk}-{name}.csv"'
    return response


def _waiting(cycle) -> int:
    return Audit.objects.filter(
        assignment__sampled_case__cycle=cycle, status__in=AUDIT_EDITABLE
    ).count()


def _marks(context: dict) -> dict:
    """The charts' repeated marks and the team table's rows, written in Python."""
    grades, funnel = context["grades_chart"], context["funnel_chart"]
    trend, themes = context["trend_chart"], context["themes_chart"]
    return {
        "grades_title": chart_marks.grades_title(context["grade_rows"]),
        "grades_ticks": chart_marks.ticks(grades),
        "grade_bars": chart_marks.grade_bars(grades),
        "funnel_ticks": chart_marks.ticks(funnel),
        "funnel_x_ticks": chart_marks.funnel_x_ticks(funnel),
        "funnel_points": chart_marks.funnel_points(funnel),
        "team_rows": chart_marks.team_rows(context["findings"]["by_team"]),
        "trend_title": chart_marks.trend_title(trend),
        "trend_ticks": chart_marks.ticks(trend),
        "trend_points": chart_marks.trend_points(trend),
        "themes_title": chart_marks.themes_title(themes),
        "theme_bars": chart_marks.theme_bars(themes),
    }


@role_required(*MANAGERS)
def dashboard(request):
    cycles = _cycle_choices(request.user)
    cycle = _chosen_cycle(cycles, _int(request.GET.get("cycle")))
    context = {"cycles": cycles, "cycle": cycle}
    if cycle is not None:
        figures, version = live_figures.figures_and_version(cycle)
        download = request.GET.get("download")
        if download is not None:
            chart_tables = tables(figures)
            if download not in chart_tables:
                raise Http404("No such table.")
            return _csv(cycle, download, chart_tables[download])
        drawn = _drawn(figures, version)
        # Shown only while no audit is complete (what to do next).
        context |= drawn | {"waiting": 0 if drawn["completed"] else _waiting(cycle)}
    return page(request, "audits/dashboard.html", context, current="web:dashboard")


# What the page draws from one version of the figures (its charts, their marks and tables),
# kept by the version in this process: drawing them again for every view was a fifth of
# the dashboard's time. New figures have a new version; the oldest drawings go first.
_DRAWN: dict[tuple, dict] = {}
DRAWN_KEPT = 32


def _drawn(figures: dict, version: tuple) -> dict:
    if version not in _DRAWN:
        if len(_DRAWN) >= DRAWN_KEPT:
            _DRAWN.pop(next(iter(_DRAWN)))
        _DRAWN[version] = _draw(figures)
    return _DRAWN[version]


def _draw(figures: dict) -> dict:
    findings = figures["findings"]
    chart_tables = tables(figures)
    grades = [(row[0], row[1]) for row in chart_tables["grades"]["rows"]]
    drawn = {
        "figures": figures,
        "headline": display.headline(figures),
        "findings": findings,
        "grade_rows": grades,
        "tables": chart_tables,
        "completed": sum(n for _, n in grades),
        "grades_chart": charts.column_chart(grades),
        "funnel_chart": charts.funnel_plot(
            findings["by_team"], findings["funnel"], findings["overall_proportion"]
        ),
        "trend_chart": charts.trend_chart(findings["trend"]),
        "themes_chart": charts.bar_chart([(t["theme"], t["count"]) for t in findings["themes"]]),
    }
    drawn["marks"] = _marks(drawn)
    for table in chart_tables.values():
        table["body"] = chart_marks.table_rows(table)
    return drawn
