"""API for audits, their moderation and safeguarding escalations (the grading forms:
`audits.api.templates`)."""

from django.db import transaction
from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from audits.api.base import ScopedViewSet
from audits.api.strict import whole_number
from audits.core import roles
from audits.core.errors import DomainError, StateConflict
from audits.models import Audit, Escalation, Event, Moderation
from audits.selectors import audit_open, double_audits, scoping
from audits.services import audits as audit_service
from audits.services import escalations, moderation
from audits.services.escalations import is_overdue


class AuditSerializer(serializers.ModelSerializer):
    case_ref = serializers.CharField(source="assignment.sampled_case.case.case_ref", read_only=True)
    team = serializers.CharField(source="assignment.sampled_case.case.team.name", read_only=True)
    case_type = serializers.CharField(
        source="assignment.sampled_case.case.case_type", read_only=True
    )
    cycle = serializers.IntegerField(source="assignment.sampled_case.cycle_id", read_only=True)
    role = serializers.CharField(source="assignment.role", read_only=True)
    auditor = serializers.CharField(source="assignment.auditor.staff_ref", read_only=True)
    template_name = serializers.CharField(source="template.name", read_only=True)
    template_version = serializers.IntegerField(source="template.version", read_only=True)
    answers = serializers.JSONField(required=False)
    themes = serializers.JSONField(required=False)
    overall_grade = serializers.JSONField(required=False, allow_null=True)
    version = serializers.IntegerField(required=False)

    class Meta:
        model = Audit
        fields = [
            "id",
            "status",
            "version",
            "case_ref",
            "team",
            "case_type",
            "cycle",
            "role",
            "auditor",
            "template",
            "template_name",
            "template_version",
            "answers",
            "overall_grade",
            "rationale",
            "themes",
            "strengths",
            "improvements",
            "due_date",
            "started_at",
            "submitted_at",
            "moderation_reason",
            "moderated_overall_grade",
            "withdrawn_reason",
        ]
        read_only_fields = [
            "status",
            "template",
            "due_date",
            "started_at",
            "submitted_at",
            "moderation_reason",
            "moderated_overall_grade",
            "withdrawn_reason",
        ]


class AutosaveSerializer(serializers.Serializer):
    """What a save answers: the new version (also the ETag) and the draft as stored, its
    answers cleaned against the form. The case facts are left out: they do not change
    while an auditor types, and a GET of the audit has them.

    A save keeps every valid field even when others are not: ``saved`` names the fields
    written (``answers.<key>``, ``overall_grade``, ...), ``invalid`` the ones refused, each
    with what to do (the value stored before stays, as ``answers`` shows). A 400 means
    nothing was written: every field sent was refused, or the body is wrong as a whole
    (an unknown field or question, answers that are not an object, no version)."""

    id = serializers.IntegerField(read_only=True)
    status = serializers.CharField(read_only=True)
    version = serializers.IntegerField(read_only=True)
    answers = serializers.JSONField(read_only=True)
    overall_grade = serializers.IntegerField(read_only=True, allow_null=True)
    rationale = serializers.CharField(read_only=True, allow_blank=True)
    themes = serializers.JSONField(read_only=True)
    strengths = serializers.CharField(read_only=True, allow_blank=True)
    improvements = serializers.CharField(read_only=True, allow_blank=True)
    saved_at = serializers.DateTimeField(read_only=True)
    saved = serializers.ListField(child=serializers.CharField(), read_only=True)
    invalid = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), read_only=True
    )

    @staticmethod
    def body(result: audit_service.Autosaved) -> dict:
        """The same fields without a serializer instance: every autosave answers with it,
        and building one per request cost more than the rest of the response."""
        body = {name: getattr(result.audit, name) for name in AUTOSAVE_FIELDS}
        body["saved_at"] = result.audit.updated_at
        body["saved"] = result.saved
        body["invalid"] = result.invalid
        return body


AUTOSAVE_FIELDS = (
    "id",
    "status",
    "version",
    "answers",
    "overall_grade",
    "rationale",
    "themes",
    "strengths",
    "improvements",
)


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False)


class ModerationSerializer(serializers.ModelSerializer):
    overall_grade = serializers.IntegerField(required=False, allow_null=True, write_only=True)
    grades = serializers.JSONField(required=False, write_only=True)
    moderator = serializers.CharField(source="moderator.staff_ref", read_only=True)

    class Meta:
        model = Moderation
        fields = [
            "id",
            "decision",
            "reason",
            "overall_grade",
            "grades",
            "moderator",
            "original_overall_grade",
            "moderated_overall_grade",
            "original_grades",
            "moderated_grades",
            "at",
        ]
        read_only_fields = [
            "original_overall_grade",
            "moderated_overall_grade",
            "original_grades",
            "moderated_grades",
            "at",
        ]


class EscalationSerializer(serializers.ModelSerializer):
    audit = serializers.PrimaryKeyRelatedField(read_only=True)
    case_ref = serializers.CharField(
        source="audit.assignment.sampled_case.case.case_ref", read_only=True
    )
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Escalation
        fields = [
            "id",
            "audit",
            "case_ref",
            "concern",
            "status",
            "raised_at",
            "due_at",
            "acknowledged_at",
            "response",
            "overdue",
        ]
        read_only_fields = ["status", "raised_at", "due_at", "acknowledged_at", "response"]

    def get_overdue(self, escalation) -> bool:
        return is_overdue(escalation)


class AcknowledgeSerializer(serializers.Serializer):
    response = serializers.CharField(max_length=10_000, required=False, allow_blank=True)


def _version_from(request) -> int | None:
    """The version a client edited: a ``version`` field, or an ``If-Match`` ETag. A
    fraction (2.7) is refused, not rounded to a version the client never saw."""
    raw = request.data.get("version") if isinstance(request.data, dict) else None
    if raw is None:
        raw = request.headers.get("If-Match", "").strip().strip('"').removeprefix("W/").strip('"')
    if raw in (None, ""):
        return None
    return whole_number(raw, name="version", minimum=1)


class AuditViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    serializer_class = AuditSerializer
    scope = staticmethod(scoping.audits_for)
    write_roles = (roles.AUDITOR, roles.MANAGER)
    filterset_fields = ["status", "assignment__sampled_case__cycle"]

    def get_queryset(self):
        # Moderation is for the managers of the audit's cycle (permissions.can_moderate):
        # seeing an audit as its auditor, or as the other half of a double audit, is not it.
        if self.action == "moderation":
            scoped = scoping.audits_managed_by(self.request.user)
        else:
            scoped = super().get_queryset()
        return scoped.select_related(
            "template", "assignment__auditor", "assignment__sampled_case__case__team"
        )

    def _respond(self, audit, code=status.HTTP_200_OK):
        # The services return the audit with what the serializer reads already loaded: no
        # second trip through the scoping query.
        response = Response(AuditSerializer(audit).data, status=code)
        response["ETag"] = f'"{audit.version}"'
        return response

    def retrieve(self, request, *args, **kwargs):
        # The auditor's own audit in narrow reads (selectors/audit_open.py); anyone else, or
        # a detail asked with filters, through the full scope. Either way its AccessLog row
        # is written by audits.infra.access_log.
        own = (
            None if request.query_params else audit_open.audit_opened_by(request.user, kwargs["pk"])
        )
        return self._respond(own if own is not None else self.get_object())

    def _audit_to_edit(self) -> Audit:
        """The audit a PATCH edits. The caller's own assignment is found with one simple
        query (``scoping.audit_editable_by``); anyone else goes through the full scope,
        which answers 404 outside it (and the service 403 to someone in scope who is not
        the auditor)."""
        own = scoping.audit_editable_by(self.request.user, self.kwargs["pk"])
        return own if own is not None else self.get_object()

    @extend_schema(
        request=AuditSerializer,
        responses={200: AutosaveSerializer, 400: None, 409: None},
        description=(
            "Save a draft. Every valid field is written and the version moves; `invalid` "
            "names each field refused, with what to do (the value stored before it stays). "
            "400: nothing was written. 409: a stale version, nothing written."
        ),
    )
    def partial_update(self, request, *args, **kwargs):
        audit = self._audit_to_edit()
        if not isinstance(request.data, dict):
            raise DomainError("Send a JSON object.")
        editable = {"answers", "overall_grade", "rationale", "themes", "strengths", "improvements"}
        unknown = set(request.data) - editable - {"version"}
        if unknown:
            raise DomainError(
                "Some fields cannot be changed here.",
                fields={name: ["read-only or unknown"] for name in sorted(unknown)},
            )
        changes = {key: value for key, value in request.data.items() if key in editable}
        result = audit_service.audit_autosave(
            audit=audit, actor=request.user, version=_version_from(request), changes=changes
        )
        response = Response(AutosaveSerializer.body(result))
        response["ETag"] = f'"{result.audit.version}"'
        return response

    @extend_schema(request=VersionSerializer, responses=AuditSerializer)
    @action(detail=True, methods=["post"], write_roles=(roles.AUDITOR,))
    def submit(self, request, pk=None):
        """Submit the audit (its version must match: 409 if it changed)."""
        audit = audit_service.audit_submit(
            audit=self.get_object(), actor=request.user, version=_version_from(request)
        )
        return self._respond(audit)

    @extend_schema(request=ModerationSerializer, responses={201: ModerationSerializer})
    @action(detail=True, methods=["post"], write_roles=(roles.MANAGER,))
    def moderation(self, request, pk=None):
        """Record a moderator's decision on the audit."""
        audit = self.get_object()
        body = ModerationSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        record = moderation.moderation_record(
            audit=audit,
            actor=request.user,
            decision=data["decision"],
            reason=data.get("reason", ""),
            overall_grade=data.get("overall_grade"),
            grades=data.get("grades"),
        )
        return Response(ModerationSerializer(record).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=EscalationSerializer, responses={201: EscalationSerializer})
    @action(detail=True, methods=["post"])
    def escalations(self, request, pk=None):
        """Escalate a case the audit found a concern about."""
        audit = self.get_object()
        body = EscalationSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        escalation = escalations.escalation_raise(
            audit=audit, actor=request.user, concern=body.validated_data["concern"]
        )
        return Response(EscalationSerializer(escalation).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: OpenApiTypes.OBJECT, 409: None})
    @action(detail=True, methods=["get"])
    def comparison(self, request, pk=None):
        """A double audit's two halves side by side: 409 until both are submitted (blind)."""
        audit = self.get_object()
        if audit.assignment.role not in ("primary", "second"):
            raise DomainError("Not an audit of a case.")
        pair = double_audits.pair_of(request.user, audit)
        if pair is None:
            raise StateConflict(
                "Nothing to compare yet: the case is not audited twice, or the other audit "
                "is not submitted."
            )
        return Response(double_audits.as_data(**pair))

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        """The audit's history: every recorded change."""
        audit = self.get_object()
        events = Event.objects.filter(object_type="audit", object_id=str(audit.pk)).select_related(
            "actor"
        )
        return Response(
            [
                {
                    "at": e.at,
                    "by": getattr(e.actor, "username", None),
                    "verb": e.verb,
                    "before": e.before,
                    "after": e.after,
                    "reason": e.reason,
                }
                for e in events
            ]
        )


class EscalationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    serializer_class = EscalationSerializer
    scope = staticmethod(scoping.escalations_for)
    write_roles = (roles.MANAGER, roles.ADMIN)
    filterset_fields = ["status"]

    def get_queryset(self):
        return super().get_queryset().select_related("audit__assignment__sampled_case__case")

    @extend_schema(request=AcknowledgeSerializer, responses=EscalationSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        """Acknowledge the escalation (its team manager)."""
        body = AcknowledgeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with transaction.atomic():
            escalation = escalations.escalation_acknowledge(
                escalation=self.get_object(),
                actor=request.user,
                response=body.validated_data.get("response", ""),
            )
        return Response(EscalationSerializer(escalation).data)
