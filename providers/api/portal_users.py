"""``/api/v1/provider-users/`` and ``/api/v1/invitations/`` (issue 12): a provider
organisation's portal users and the invitations of new ones.

- ``provider-users``: list and detail (``?provider=``, ``?active=``); the steps ``deactivate``,
  ``reactivate``, ``make-administrator`` and ``remove-administrator``.
- ``invitations``: list and detail (open ones by default; ``?state=`` any of pending, expired,
  accepted, withdrawn), create (a provider's administrator may leave out ``provider``: their
  own), and the steps ``resend`` (a new link, the old one stops working) and ``withdraw``.

The roles are the pages' (``qaf.scoping.POLICY["providers.provideruser"]``): officers, managers
and the administrator for any provider, a provider's administrators for their own (another
organisation's users and invitations are 404), everyone else 403. The rules are
``providers.portal_users``'s: a refusal answers 403 or 409 with its reason and changes nothing.
"""

from __future__ import annotations

import django_filters as df
from django.db.models import Q
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from providers import portal_users as service
from providers.invitations import Invitation, InvitationState, state
from providers.models import Provider
from providers.portal_views import base_url
from qaf.api import ModelSerializer, StrictPrimaryKeyRelatedField
from qaf.models import User
from qaf.scoping import PROVIDER, roles_of


def _name(user) -> str | None:
    return (user.get_full_name() or user.username) if user else None


class _PersonField(serializers.CharField):
    """A person by name (read only), null when nobody."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, allow_null=True, **kwargs)

    def to_representation(self, value):
        return _name(value)


class ProviderUserSerializer(ModelSerializer):
    administrator = serializers.BooleanField(
        source="provider_admin", read_only=True, help_text="The organisation's administrator"
    )
    active = serializers.BooleanField(source="is_active", read_only=True)
    last_signed_in = serializers.DateTimeField(
        source="last_login", read_only=True, allow_null=True, help_text="Null: never"
    )

    class Meta:
        model = User
        fields = [
            "id",
            "provider",
            "username",
            "first_name",
            "last_name",
            "email",
            "administrator",
            "active",
            "last_signed_in",
            "date_joined",
        ]
        read_only_fields = fields


class InvitationSerializer(ModelSerializer):
    state = serializers.SerializerMethodField()
    invited_by = _PersonField()
    sent_by = _PersonField()
    revoked_by = _PersonField(help_text="Who withdrew it")

    class Meta:
        model = Invitation
        fields = [
            "id",
            "provider",
            "email",
            "first_name",
            "last_name",
            "administrator",
            "state",
            "invited_by",
            "created_at",
            "sent_at",
            "sent_by",
            "expires_at",
            "accepted_at",
            "user",
            "revoked_at",
            "revoked_by",
        ]
        read_only_fields = fields

    def get_state(self, invitation: Invitation) -> InvitationState:
        return state(invitation, timezone.now())


class InvitationCreateSerializer(serializers.Serializer):
    provider = StrictPrimaryKeyRelatedField(
        queryset=Provider.objects.all(),
        required=False,
        help_text="Required for council staff; a provider's administrator invites to their own",
    )
    email = serializers.EmailField(max_length=254)
    first_name = serializers.CharField(max_length=150)
    last_name = serializers.CharField(max_length=150)
    administrator = serializers.BooleanField(default=False)

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            fields["provider"].queryset = service.providers_for(request.user)
        return fields

    def validate(self, attrs):
        user = self.context["request"].user
        if "provider" not in attrs:
            if PROVIDER not in roles_of(user):
                raise serializers.ValidationError({"provider": ["This field is required."]})
            attrs["provider"] = user.provider
        return attrs


class ProviderUserFilter(df.FilterSet):
    provider = df.NumberFilter(field_name="provider_id", min_value=1, max_value=2**63 - 1)
    active = df.BooleanFilter(field_name="is_active")

    class Meta:
        model = User
        fields = ["provider", "active"]


class InvitationFilter(df.FilterSet):
    provider = df.NumberFilter(field_name="provider_id", min_value=1, max_value=2**63 - 1)
    state = df.MultipleChoiceFilter(
        choices=InvitationState.choices,
        method="by_state",
        help_text="Default: pending and expired (the open ones)",
    )

    class Meta:
        model = Invitation
        fields = ["provider", "state"]

    def by_state(self, queryset, name, value):
        now = timezone.now()
        conditions = {
            InvitationState.PENDING: Q(
                accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gte=now
            ),
            InvitationState.EXPIRED: Q(
                accepted_at__isnull=True, revoked_at__isnull=True, expires_at__lt=now
            ),
            InvitationState.ACCEPTED: Q(accepted_at__isnull=False),
            InvitationState.WITHDRAWN: Q(revoked_at__isnull=False),
        }
        wanted = Q()
        for chosen in value:
            wanted |= conditions[chosen]
        return queryset.filter(wanted)


_STEP_RESPONSES = {200: ProviderUserSerializer}


class ProviderUserViewSet(viewsets.ReadOnlyModelViewSet):
    """A provider organisation's portal users."""

    queryset = User.objects.all()
    scoped_model = service.POLICY_NAME
    serializer_class = ProviderUserSerializer
    filterset_class = ProviderUserFilter
    search_fields = ["first_name", "last_name", "email", "username"]
    ordering_fields = ["last_name", "id", "last_login"]
    scope_action: str | None = None

    def get_queryset(self):
        return service.users_visible_to(self.request.user).order_by(
            "provider_id", "last_name", "first_name", "pk"
        )

    def _step(self, request, run) -> Response:
        person = self.get_object()
        run(person, request.user)
        person.refresh_from_db()
        return Response(self.get_serializer(person).data)

    @extend_schema(request=None, responses=_STEP_RESPONSES, summary="Deactivate the user")
    @action(detail=True, methods=["post"], scope_action="change")
    def deactivate(self, request, pk=None):
        """They can no longer sign in, and their API token is deleted. Not oneself (403)."""
        return self._step(request, lambda u, actor: service.deactivate(u, actor=actor))

    @extend_schema(request=None, responses=_STEP_RESPONSES, summary="Reactivate the user")
    @action(detail=True, methods=["post"], scope_action="change")
    def reactivate(self, request, pk=None):
        return self._step(request, lambda u, actor: service.reactivate(u, actor=actor))

    @extend_schema(
        request=None, responses=_STEP_RESPONSES, summary="Make the user an administrator"
    )
    @action(detail=True, methods=["post"], url_path="make-administrator", scope_action="change")
    def make_administrator(self, request, pk=None):
        return self._step(request, lambda u, actor: service.set_administrator(u, True, actor=actor))

    @extend_schema(
        request=None, responses=_STEP_RESPONSES, summary="Stop the user being an administrator"
    )
    @action(detail=True, methods=["post"], url_path="remove-administrator", scope_action="change")
    def remove_administrator(self, request, pk=None):
        """A provider's administrator cannot remove the organisation's last one (409)."""
        return self._step(
            request, lambda u, actor: service.set_administrator(u, False, actor=actor)
        )


class InvitationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Invitations of new portal users: the email's link sets their password, once, within
    ``QAF_INVITATION_DAYS`` days (7 by default)."""

    queryset = Invitation.objects.all()
    scoped_model = service.POLICY_NAME
    serializer_class = InvitationSerializer
    filterset_class = InvitationFilter
    ordering_fields = ["sent_at", "expires_at", "id"]
    scope_action: str | None = None

    def get_queryset(self):
        invitations = service.invitations_visible_to(self.request.user).select_related(
            "invited_by", "sent_by", "revoked_by"
        )
        if self.action == "list" and "state" not in self.request.query_params:
            invitations = invitations.open()
        return invitations.order_by("-sent_at", "-pk")

    def get_serializer_class(self):
        if self.action == "create":
            return InvitationCreateSerializer
        return super().get_serializer_class()

    @extend_schema(request=InvitationCreateSerializer, responses={201: InvitationSerializer})
    def create(self, request, *args, **kwargs):
        """Invite someone; 400 on ``email`` when the address already has an account or a
        working invitation to this organisation."""
        body = InvitationCreateSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        invitation = service.invite(
            actor=request.user, base_url=base_url(request), **body.validated_data
        )
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)

    def _step(self, request, run) -> Response:
        invitation = self.get_object()
        run(invitation, request.user)
        invitation.refresh_from_db()
        return Response(InvitationSerializer(invitation).data)

    @extend_schema(request=None, responses={200: InvitationSerializer})
    @action(detail=True, methods=["post"], scope_action="change")
    def resend(self, request, pk=None):
        """A new link by email, for a new ``QAF_INVITATION_DAYS`` days; the old link stops
        working. 409 once accepted or withdrawn."""
        return self._step(
            request,
            lambda inv, actor: service.resend(inv, actor=actor, base_url=base_url(request)),
        )

    @extend_schema(request=None, responses={200: InvitationSerializer})
    @action(detail=True, methods=["post"], scope_action="change")
    def withdraw(self, request, pk=None):
        """The link stops working. 409 once accepted or withdrawn."""
        return self._step(request, lambda inv, actor: service.withdraw(inv, actor=actor))
