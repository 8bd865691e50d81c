"""The shapes of a report's figures (``audits.core.figures``) as the API gives them, so the
schema types them instead of offering untyped objects. These describe what the report
stored; the views pass the stored figures through. Proportions are unrounded, in [0, 1];
a figure that could not be measured is null (the figures' notes say why)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from audits.core.opinion import LEVELS

OpinionField = serializers.ChoiceField  # one name for the level enum (ENUM_NAME_OVERRIDES)


class CoverageSerializer(serializers.Serializer):
    strata = serializers.IntegerField()
    audited_strata = serializers.IntegerField()
    unaudited_strata = serializers.ListField(child=serializers.CharField())
    population = serializers.IntegerField()
    population_covered = serializers.IntegerField()
    share_of_frame = serializers.FloatField(allow_null=True)


class GoodOrBetterSerializer(serializers.Serializer):
    """The stratified estimate of the share of cases graded good or better, with the ends
    of its 95% interval (null when nothing was audited)."""

    estimate = serializers.FloatField(allow_null=True)
    low = serializers.FloatField(allow_null=True)
    high = serializers.FloatField(allow_null=True)
    interval_method = serializers.CharField(allow_null=True)
    coverage = CoverageSerializer(required=False, allow_null=True)


class KeyFiguresSerializer(serializers.Serializer):
    """The headline figures of a report: completion, good or better, reliability and the
    practitioners' responses."""

    audited = serializers.IntegerField()
    sampled = serializers.IntegerField()
    planned = serializers.IntegerField()
    completion_rate = serializers.FloatField(
        allow_null=True, help_text="Completed first audits over the cases in the sample."
    )
    good_or_better = GoodOrBetterSerializer()
    inadequate = serializers.IntegerField()
    escalations = serializers.IntegerField()
    overdue_escalations = serializers.IntegerField()
    overdue_actions = serializers.IntegerField()
    kappa_quadratic = serializers.FloatField(allow_null=True)
    alpha_overall = serializers.FloatField(allow_null=True)
    practitioner_response_rate = serializers.FloatField(allow_null=True)
    practitioner_responses_counted = serializers.IntegerField()
    practitioner_disagreements = serializers.IntegerField()


class SummaryFiguresSerializer(serializers.Serializer):
    """``figures.summary``: the key figures before reliability and responses are added."""

    audited = serializers.IntegerField()
    sampled = serializers.IntegerField()
    planned = serializers.IntegerField()
    completion_rate = serializers.FloatField(allow_null=True)
    good_or_better = GoodOrBetterSerializer()
    inadequate = serializers.IntegerField()
    escalations = serializers.IntegerField()
    overdue_escalations = serializers.IntegerField()
    overdue_actions = serializers.IntegerField()


class ConditionSerializer(serializers.Serializer):
    """One condition of an opinion level, held or not, with the value it was decided on."""

    opinion = OpinionField(choices=LEVELS, help_text="The level this condition is for.")
    name = serializers.CharField()
    value = serializers.FloatField(allow_null=True, help_text="Null: not measured.")
    threshold = serializers.FloatField(allow_null=True)
    held = serializers.BooleanField()
    text = serializers.CharField()


class ThresholdsSerializer(serializers.Serializer):
    substantial_lower = serializers.FloatField()
    reasonable_lower = serializers.FloatField()
    limited_lower = serializers.FloatField()
    substantial_alpha = serializers.FloatField()
    alpha_caveat = serializers.FloatField()
    completion_caveat = serializers.FloatField()
    unaudited_share_max = serializers.FloatField()
    reliability_minimum = serializers.IntegerField()


class OpinionSerializer(serializers.Serializer):
    level = OpinionField(choices=LEVELS)
    conditions = ConditionSerializer(many=True)
    caveats = serializers.ListField(child=serializers.CharField())
    reason = serializers.CharField(required=False)
    interim = serializers.BooleanField()
    thresholds = ThresholdsSerializer(required=False)


class ReliabilitySerializer(serializers.Serializer):
    """Agreement: auditor-moderator weighted kappa and Krippendorff's alpha on blind double
    audits, each with the number of cases behind it (null: too few, see ``notes``)."""

    moderated = serializers.IntegerField()
    changed = serializers.IntegerField()
    change_rate = serializers.FloatField(allow_null=True)
    kappa_quadratic = serializers.FloatField(allow_null=True)
    kappa_moderations = serializers.IntegerField(required=False)
    double_audits = serializers.IntegerField()
    alpha_overall = serializers.FloatField(allow_null=True)
    alpha_interval = serializers.ListField(
        child=serializers.FloatField(), allow_null=True, required=False
    )
    alpha_pairs = serializers.IntegerField(required=False)
    alpha_by_domain = serializers.DictField(
        child=serializers.FloatField(allow_null=True), required=False
    )
    minimum_pairs = serializers.IntegerField(required=False)
    notes = serializers.ListField(child=serializers.CharField())


class ReconciliationFiguresSerializer(serializers.Serializer):
    """Double audits a grade or more apart: how many were reconciled, how many still open."""

    double_audits = serializers.IntegerField()
    agreed_at_once = serializers.IntegerField()
    disagreed = serializers.IntegerField()
    reconciled = serializers.IntegerField()
    open = serializers.IntegerField()
    caveat = serializers.CharField(required=False, help_text="In data.json only.")


class ReportFilesSerializer(serializers.Serializer):
    """Where to download the report's files (absolute links)."""

    pdf = serializers.URLField()
    json = serializers.URLField(help_text="data.json: every figure, as stored.")
    csv = serializers.URLField(help_text="audits.csv: one row per completed audit.")


class ReportCycleSerializer(serializers.Serializer):
    name = serializers.CharField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()


class ReportIdentitySerializer(serializers.Serializer):
    version = serializers.IntegerField()
    hash = serializers.CharField()
    cycle_id = serializers.IntegerField()
    title = serializers.CharField()


class SummaryReportSerializer(serializers.Serializer):
    """Which report a summary (or a point of a series) comes from."""

    id = serializers.IntegerField(help_text="as in /api/v1/reports/{id}/")
    version = serializers.IntegerField()
    hash = serializers.CharField()
    status = serializers.ChoiceField(choices=["interim", "final"])
    figures_schema_version = serializers.CharField(
        allow_null=True, help_text="null: compiled before the figures carried a version"
    )


# Sections of the figures too varied to type field by field (tables, per-team rows, the
# draw's record) stay objects; the headline ones above are typed.
SECTION = extend_schema_field({"type": "object", "additionalProperties": {}})


class FiguresSerializer(serializers.Serializer):
    """Every figure of a report version, as data.json holds them."""

    schema_version = serializers.CharField(
        required=False, help_text="the figures' layout version (absent before 1.0)"
    )
    cycle = ReportCycleSerializer()
    as_of = serializers.DateTimeField()
    interim = serializers.BooleanField()
    opinion = OpinionSerializer()
    definitions = serializers.DictField(child=serializers.CharField())
    summary = SummaryFiguresSerializer()
    reliability = ReliabilitySerializer()
    reconciliation = ReconciliationFiguresSerializer(required=False)
    report = ReportIdentitySerializer(required=False)
    methodology = SECTION(serializers.JSONField())
    findings = SECTION(serializers.JSONField())
    escalations = SECTION(serializers.JSONField())
    actions = SECTION(serializers.JSONField())
    practitioner_responses = SECTION(serializers.JSONField(required=False))
    external_access = serializers.ListField(
        child=SECTION(serializers.JSONField()),
        required=False,
        help_text="Who had external read access to the cycle, when, and how many reads.",
    )
    appendix = serializers.ListField(
        child=SECTION(serializers.JSONField()), required=False, help_text="Audited cases."
    )
