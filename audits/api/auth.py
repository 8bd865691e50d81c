"""Issue and revoke API tokens (internal audit pulls figures with these)."""

from django.contrib.auth import authenticate
from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from audits.api.base import StrictQuery
from audits.models import ApiToken
from audits.services.history import event_record


@extend_schema_serializer(component_name="Credentials")
class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=200, trim_whitespace=False)
    name = serializers.CharField(max_length=100, required=False, default="API client")


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
    prefix = serializers.CharField()
    expires_at = serializers.DateTimeField()


class TokenView(StrictQuery, APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    @extend_schema(request=TokenRequestSerializer, responses={201: TokenSerializer}, auth=[])
    def post(self, request):
        """Issue an API token for a username and password (no token needed to ask)."""
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            username=data.validated_data["username"],
            password=data.validated_data["password"],
        )
        if user is None or not user.is_active:
            return Response(
                {"detail": "Wrong username or password."}, status=status.HTTP_400_BAD_REQUEST
            )
        with transaction.atomic():
            token, raw = ApiToken.issue(user=user, name=data.validated_data["name"])
            event_record(actor=user, verb="token.issued", obj=token, after={"prefix": token.prefix})
        return Response(
            {"token": raw, "prefix": token.prefix, "expires_at": token.expires_at},
            status=status.HTTP_201_CREATED,
        )


class TokenRevokeView(StrictQuery, APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        """Revoke the token this request was made with (or every token of a session user)."""
        tokens = ApiToken.objects.usable().filter(user=request.user)
        if isinstance(request.auth, ApiToken):
            tokens = tokens.filter(pk=request.auth.pk)
        with transaction.atomic():
            count = tokens.update(revoked_at=timezone.now())
            event_record(
                actor=request.user,
                verb="token.revoked",
                object_type="apitoken",
                object_id=request.user.pk,
                after={"revoked": count},
            )
        return Response(status=status.HTTP_204_NO_CONTENT)
