"""Evidence files by API. The upload is the one multipart request of the API; everything
else is JSON. A download is logged (AccessLog) and checked against the file's SHA-256."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import parsers, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from audits.api.base import StrictQuery
from audits.infra.downloads import attachment_response
from audits.selectors import evidence as selectors
from audits.selectors import scoping
from audits.services import evidence as service


class EvidenceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    audit = serializers.IntegerField(source="audit_id", allow_null=True)
    question_key = serializers.CharField()
    action = serializers.IntegerField(source="action_id", allow_null=True)
    name = serializers.CharField(source="display_name")
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    uploaded_at = serializers.DateTimeField()


class UploadSerializer(serializers.Serializer):
    audit = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    question_key = serializers.CharField(required=False, allow_blank=True, max_length=60)
    action = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    file = serializers.FileField(allow_empty_file=True)

    def validate(self, attrs):
        if ("audit" in attrs) == ("action" in attrs):
            raise serializers.ValidationError(
                "Give either an audit (with a question) or an action."
            )
        return attrs


NOT_YOURS = OpenApiResponse(description="No such audit or action among those you may see.")


class EvidenceUploadView(StrictQuery, APIView):
    """POST multipart: ``file`` and either ``audit`` + ``question_key`` or ``action``."""

    permission_classes = [IsAuthenticated]
    parser_classes = [parsers.MultiPartParser]
    serializer_class = UploadSerializer

    @extend_schema(request=UploadSerializer, responses={201: EvidenceSerializer, 404: NOT_YOURS})
    def post(self, request):
        """Attach a file to an audit's answer or to an action (multipart)."""
        body = UploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = body.validated_data
        if "audit" in values:
            audit = get_object_or_404(scoping.audits_for(request.user), pk=values["audit"])
            target = {"audit": audit, "question_key": values.get("question_key", "")}
        else:
            action = get_object_or_404(scoping.actions_for(request.user), pk=values["action"])
            target = {"action": action}
        evidence = service.evidence_attach(actor=request.user, upload=values["file"], **target)
        return Response(EvidenceSerializer(evidence).data, status=status.HTTP_201_CREATED)


class EvidenceDetailView(StrictQuery, APIView):
    """GET the file's details; DELETE it (its uploader, while the audit or action is open)."""

    permission_classes = [IsAuthenticated]
    serializer_class = EvidenceSerializer

    def get(self, request, pk: int):
        """The file's details."""
        evidence = get_object_or_404(selectors.evidence_for(request.user), pk=pk)
        return Response(EvidenceSerializer(evidence).data)

    def delete(self, request, pk: int):
        """Delete the file (its uploader, while the audit or action is open)."""
        evidence = get_object_or_404(selectors.evidence_for(request.user), pk=pk)
        service.evidence_delete(actor=request.user, evidence=evidence)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EvidenceDownloadView(StrictQuery, APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Download an evidence file (logged; 409 if its stored hash no longer matches)",
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 404: None, 409: None},
    )
    def get(self, request, pk: int):
        evidence = get_object_or_404(selectors.evidence_for(request.user), pk=pk)
        data = service.evidence_read(evidence=evidence)
        return attachment_response(
            data, content_type=evidence.content_type, filename=evidence.display_name
        )
