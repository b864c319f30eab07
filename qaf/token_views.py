"""The API token endpoint and the "API token" page (the rules: ``qaf.tokens``)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import NotAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings

from qaf.tokens import expires_at, is_expired, issue_token, revoke_token
from qaf.twofactor import AuthTokenWithCodeSerializer

_TokenAnswer = inline_serializer(
    "Token",
    fields={
        "token": serializers.CharField(),
        "expires": serializers.DateTimeField(help_text="When the token stops working"),
    },
)


class TokenView(ObtainAuthToken):
    """``POST`` issues (staff with two-factor sign-in also send ``otp_token``); ``DELETE``
    revokes the caller's own token."""

    serializer_class = AuthTokenWithCodeSerializer
    # The project's parsers (qaf.drf.StrictJSONParser), not ObtainAuthToken's own list.
    parser_classes = api_settings.DEFAULT_PARSER_CLASSES

    @extend_schema(request=AuthTokenWithCodeSerializer, responses={200: _TokenAnswer})
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token = issue_token(serializer.validated_data["user"])
        return Response({"token": token.key, "expires": expires_at(token)})

    @extend_schema(
        request=None,
        responses={204: OpenApiResponse(description="The token is revoked (or there was none)")},
    )
    def delete(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            raise NotAuthenticated()
        revoke_token(request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


token_view = TokenView.as_view()


@login_required
def token_page(request):
    """The user's API token: whether they have one, until when, and a button to revoke it."""
    if request.method == "POST":
        if revoke_token(request.user):
            messages.success(request, "Your API token is revoked: programs using it stop working.")
        return redirect("api_token")
    token = Token.objects.filter(user=request.user).first()
    return render(
        request,
        "registration/api_token.html",
        {
            "token": token,
            "expires": expires_at(token) if token else None,
            "expired": bool(token and is_expired(token)),
            "days": settings.QAF_API_TOKEN_DAYS,
        },
    )
