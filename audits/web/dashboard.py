"""The managers' dashboard: figures computed now for a chosen cycle, the way the report
computes them, drawn as inline SVG charts with a table beside each."""

from django.shortcuts import get_object_or_404
from django.utils import timezone

from audits.core import display
from audits.core.figures import compute_figures
from audits.models.opinion import opinion_thresholds
from audits.selectors import scoping
from audits.selectors.report_inputs import report_inputs
from audits.web import charts
from audits.web.access import MANAGERS, role_required
from audits.web.pages import page


def _cycle_choices(user):
    return (
        scoping.cycles_managed_by(user).filter(frame__isnull=False).order_by("-period_end", "-pk")
    )


def _int(raw):
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


@role_required(*MANAGERS)
def dashboard(request):
    cycles = _cycle_choices(request.user)
    chosen = _int(request.GET.get("cycle"))
    cycle = get_object_or_404(cycles, pk=chosen) if chosen else cycles.first()
    context = {"cycles": cycles, "cycle": cycle}
    if cycle is not None:
        figures = compute_figures(
            report_inputs(cycle, timezone.now()), thresholds=opinion_thresholds()
        )
        findings = figures["findings"]
        scale = findings["grade_scale"]
        grades = [(f"{g} {scale[g]}", n) for g, n in findings["grade_distribution"].items()]
        context.update(
            figures=figures,
            headline=display.headline(figures),
            findings=findings,
            grade_rows=grades,
            grades_chart=charts.column_chart(grades),
            funnel_chart=charts.funnel_plot(
                findings["by_team"], findings["funnel"], findings["overall_proportion"]
            ),
            trend_chart=charts.trend_chart(findings["trend"]),
            themes_chart=charts.bar_chart([(t["theme"], t["count"]) for t in findings["themes"]]),
        )
    return page(request, "audits/dashboard.html", context, current="web:dashboard")
