"""Internal audit's assurance summaries: the latest report of each cycle filtered by period,
team, service area and opinion, in any order the analyst asks, as JSON or CSV; and one
figure across cycles in one call (the series). Scoped like the reports (404 outside)."""

import csv
import io

from django.db.models import Q
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings

from audits.api.base import StrictQuery
from audits.api.permissions import RolePermission
from audits.api.reports import REPORT_READERS, AssuranceSummarySerializer, report_identity
from audits.api.strict import (
    AllowedChoiceFilter,
    IdFilter,
    StrictFilterSet,
    StrictOrderingFilter,
)
from audits.core import opinion, series
from audits.core.spreadsheet import spreadsheet_safe
from audits.models import Cycle, Report, Team
from audits.selectors import scoping


class SummaryFilter(StrictFilterSet):
    """A cycle over every team (no teams named) counts for every team and service area."""

    period_from = filters.DateFilter(field_name="cycle__period_end", lookup_expr="gte")
    period_to = filters.DateFilter(field_name="cycle__period_start", lookup_expr="lte")
    team = IdFilter(method="filter_team", help_text="a team's id (GET /api/v1/teams/)")
    service_area = AllowedChoiceFilter(choices=Team.ServiceArea.choices, method="filter_area")
    opinion = AllowedChoiceFilter(choices=[(level, level) for level in opinion.LEVELS])

    class Meta:
        model = Report
        fields = ["period_from", "period_to", "team", "service_area", "opinion"]

    def _covering(self, queryset, teams: Q):
        every_team = Q(teams__isnull=True)
        return queryset.filter(cycle__in=Cycle.objects.filter(Q(teams__in=teams) | every_team))

    def filter_team(self, queryset, name, value):
        return self._covering(queryset, Team.objects.filter(pk=value))

    def filter_area(self, queryset, name, value):
        return self._covering(queryset, Team.objects.filter(service_area=value))


class AssuranceSummaryFilter(SummaryFilter):
    ordering = StrictOrderingFilter(
        fields=(
            ("cycle__period_end", "period_end"),
            ("cycle__period_start", "period_start"),
            ("cycle__name", "cycle_name"),
            ("opinion", "opinion"),
            ("created_at", "created_at"),
            ("figures__summary__good_or_better__estimate", "good_or_better"),
            ("figures__summary__completion_rate", "completion_rate"),
        ),
        help_text="Newest period first by default; '-' before a name for descending.",
    )

    class Meta(SummaryFilter.Meta):
        fields = [*SummaryFilter.Meta.fields, "ordering"]


# The CSV: one row per summary, each column a path into the summary's JSON.
CSV_COLUMNS = {
    "cycle": ("cycle",),
    "cycle_name": ("cycle_name",),
    "period_start": ("period_start",),
    "period_end": ("period_end",),
    "report_id": ("report", "id"),
    "report_version": ("report", "version"),
    "report_hash": ("report", "hash"),
    "report_status": ("report", "status"),
    "figures_schema_version": ("report", "figures_schema_version"),
    "opinion": ("opinion",),
    "good_or_better": ("key_figures", "good_or_better", "estimate"),
    "good_or_better_low": ("key_figures", "good_or_better", "low"),
    "good_or_better_high": ("key_figures", "good_or_better", "high"),
    "completion_rate": ("key_figures", "completion_rate"),
    "audited": ("key_figures", "audited"),
    "sampled": ("key_figures", "sampled"),
    "planned": ("key_figures", "planned"),
    "inadequate": ("key_figures", "inadequate"),
    "alpha_overall": ("key_figures", "alpha_overall"),
    "kappa_quadratic": ("key_figures", "kappa_quadratic"),
    "overdue_escalations": ("key_figures", "overdue_escalations"),
    "overdue_actions": ("key_figures", "overdue_actions"),
    "practitioner_response_rate": ("key_figures", "practitioner_response_rate"),
    "created_at": ("created_at",),
}


def _cell(summary: dict, path: tuple[str, ...]):
    value = summary
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    if value is None:
        return ""
    return spreadsheet_safe(value) if isinstance(value, str) else value


class SummaryCSVRenderer(BaseRenderer):
    """The summaries as CSV (``?format=csv`` or ``Accept: text/csv``): the same rows, page
    and order as the JSON; the next page, if any, in the ``Link`` header."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        rows = data.get("results", []) if isinstance(data, dict) else data
        out = io.StringIO(newline="")
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for summary in rows:
            writer.writerow(_cell(summary, path) for path in CSV_COLUMNS.values())
        return out.getvalue().encode(self.charset)


CSV_EXAMPLE = (
    ",".join(CSV_COLUMNS) + "\r\n"
    "7,Q1 2026 case audit,2026-01-01,2026-03-31,12,2,3f5a…e9,final,1.0,Reasonable,"
    "0.7412,0.6521,0.8163,0.95,38,40,40,2,0.71,0.68,0,1,0.5,2026-04-20T09:12:03Z\r\n"
)


@extend_schema(
    summary="Assurance summaries: the latest report of each cycle",
    description=(
        "Filter by period (period_from, period_to), team (an id), service_area and opinion; "
        "order with ordering. Each summary names its report (id, version, hash, interim or "
        "final). The same list as CSV with ?format=csv or Accept: text/csv."
    ),
    responses={
        (200, "application/json"): AssuranceSummarySerializer(many=True),
        (200, "text/csv"): OpenApiResponse(
            response=str,
            description="One row per summary, the columns of the example.",
            examples=[OpenApiExample("CSV", value=CSV_EXAMPLE, media_type="text/csv")],
        ),
    },
)
class AssuranceSummaryView(StrictQuery, ListAPIView):
    """The latest report of each cycle: opinion, its conditions and the key figures."""

    serializer_class = AssuranceSummarySerializer
    permission_classes = [IsAuthenticated, RolePermission]
    read_roles = REPORT_READERS
    filterset_class = AssuranceSummaryFilter
    renderer_classes = [*api_settings.DEFAULT_RENDERER_CLASSES, SummaryCSVRenderer]

    def get_queryset(self):
        return scoping.latest_reports_for(self.request.user)

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        if self.paginator.get_next_link():
            response["Link"] = f'<{self.paginator.get_next_link()}>; rel="next"'
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if isinstance(response.accepted_renderer, SummaryCSVRenderer):
            if response.status_code >= 400:  # errors stay JSON, whatever was asked for
                response.accepted_renderer = JSONRenderer()
                response.accepted_media_type = JSONRenderer.media_type
                response.renderer_context = self.get_renderer_context()
            else:
                response["Content-Disposition"] = 'attachment; filename="assurance-summaries.csv"'
        return response


class SeriesQuery(serializers.Serializer):
    figure = serializers.ChoiceField(choices=series.FIGURES, default="good_or_better")
    by = serializers.ChoiceField(choices=series.BY, default=series.OVERALL)

    def validate(self, attrs):
        given = series.GROUPINGS[attrs["figure"]]
        if attrs["by"] not in given:
            raise serializers.ValidationError(
                {"by": [f"{attrs['figure']} is given by: {', '.join(given)}."]}
            )
        return attrs


class SeriesPoint(serializers.Serializer):
    cycle = serializers.IntegerField()
    cycle_name = serializers.CharField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    report = serializers.DictField()
    value = serializers.FloatField(allow_null=True)
    low = serializers.FloatField(allow_null=True)
    high = serializers.FloatField(allow_null=True)
    n = serializers.IntegerField(allow_null=True)


class SeriesLine(serializers.Serializer):
    group = serializers.CharField()
    points = SeriesPoint(many=True)


class SeriesSerializer(serializers.Serializer):
    figure = serializers.ChoiceField(choices=series.FIGURES)
    by = serializers.ChoiceField(choices=series.BY)
    meaning = serializers.CharField()
    series = SeriesLine(many=True)


SERIES_EXAMPLE = {
    "figure": "good_or_better",
    "by": "team",
    "meaning": series.MEANING[("good_or_better", "team")],
    "series": [
        {
            "group": "Child Protection One",
            "points": [
                {
                    "cycle": 6,
                    "cycle_name": "Q4 2025 case audit",
                    "period_start": "2025-10-01",
                    "period_end": "2025-12-31",
                    "report": {"id": 9, "version": 1, "hash": "9c1d…", "status": "final"},
                    "value": 0.7,
                    "low": None,
                    "high": None,
                    "n": 10,
                },
                {
                    "cycle": 7,
                    "cycle_name": "Q1 2026 case audit",
                    "period_start": "2026-01-01",
                    "period_end": "2026-03-31",
                    "report": {"id": 12, "version": 2, "hash": "3f5a…", "status": "final"},
                    "value": 0.75,
                    "low": None,
                    "high": None,
                    "n": 12,
                },
            ],
        }
    ],
}


@extend_schema(
    summary="One figure across cycles",
    description=(
        "figure: good_or_better (by overall, team or domain), completion (overall) or alpha "
        "(overall or domain). The summaries' filters choose the cycles; points go oldest "
        "period first, each naming its report. A figure a report does not measure has "
        "value null."
    ),
    parameters=[SeriesQuery],
    filters=True,
    responses={
        200: OpenApiResponse(
            SeriesSerializer,
            examples=[OpenApiExample("Good or better by team", value=SERIES_EXAMPLE)],
        )
    },
)
class AssuranceSeriesView(StrictQuery, GenericAPIView):
    permission_classes = [IsAuthenticated, RolePermission]
    read_roles = REPORT_READERS
    filterset_class = SummaryFilter
    query_serializer = SeriesQuery
    pagination_class = None
    serializer_class = SeriesSerializer

    def is_list(self) -> bool:
        return True  # it reads the summaries' filters

    def get_queryset(self):
        return scoping.latest_reports_for(self.request.user)

    def get(self, request):
        figure, by = self.query["figure"], self.query["by"]
        reports = self.filter_queryset(self.get_queryset()).order_by(
            "cycle__period_start", "cycle_id"
        )
        named = [
            (
                {
                    "cycle": report.cycle_id,
                    "cycle_name": report.cycle.name,
                    "period_start": report.cycle.period_start,
                    "period_end": report.cycle.period_end,
                    "report": report_identity(report),
                },
                report.figures,
            )
            for report in reports
        ]
        body = {
            "figure": figure,
            "by": by,
            "meaning": series.MEANING[(figure, by)],
            "series": series.series(named, figure, by),
        }
        return Response(SeriesSerializer(body).data)
