"""Shared API pieces: the scoped base serializer and viewset."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from qaf.concurrency import check_version
from qaf.drf import Conflict, Pagination
from qaf.scoping import ScopedQuerySet


class ScopedModelSerializer(serializers.ModelSerializer):
    """Related fields only accept objects the requesting user can see (an id of another
    organisation is "does not exist", a 400), and the model's own ``clean()`` runs, so the API
    validates exactly as the forms do."""

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        user = getattr(request, "user", None)
        for field in fields.values():
            target = getattr(field, "child_relation", field)
            queryset = getattr(target, "queryset", None)
            if isinstance(queryset, ScopedQuerySet) and user is not None:
                target.queryset = queryset.visible_to(user)
        return fields

    def validate(self, attrs):
        attrs = super().validate(attrs)
        m2m = {f.name for f in self.Meta.model._meta.many_to_many}
        plain = {k: v for k, v in attrs.items() if k not in m2m}
        instance = self.instance or self.Meta.model()
        if self.instance is not None:
            # Validate a copy so a rejected PATCH leaves nothing changed in memory.
            instance = self.Meta.model.objects.get(pk=self.instance.pk)
        for key, value in plain.items():
            setattr(instance, key, value)
        try:
            instance.full_clean(exclude=self.clean_exclude(attrs), validate_unique=True)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(serializers.as_serializer_error(exc)) from exc
        # clean() may normalise values (postcodes, forced confidentiality): keep them.
        for name in [*plain, *self.Meta.normalised_by_clean]:
            attrs[name] = getattr(instance, name)
        return attrs

    def clean_exclude(self, attrs) -> list[str]:
        return []


class ScopedModelViewSet(viewsets.ModelViewSet):
    """List/detail through ``visible_to``; writes in a transaction with the actor recorded;
    an optional ``version`` in the body makes an update fail with 409 when someone saved first.
    """

    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    scope_action: str | None = None  # set per workflow action (qaf.permissions)
    select_related: tuple[str, ...] = ()
    prefetch_related: tuple[str, ...] = ()

    def get_queryset(self):
        qs = self.queryset.model.objects.visible_to(self.request.user)
        if self.select_related:
            qs = qs.select_related(*self.select_related)
        if self.prefetch_related:
            qs = qs.prefetch_related(*self.prefetch_related)
        return qs

    def perform_create(self, serializer):
        with transaction.atomic():
            serializer.save(**self.extra_create_fields())

    def extra_create_fields(self) -> dict:
        return {}

    def update(self, request, *args, **kwargs):
        instance = self.get_object()
        expected = request.data.get("version") if hasattr(request.data, "get") else None
        with transaction.atomic():
            # Lock the row first, versioned edit or not: DRF's update then reads it afresh, so
            # an edit without a version still starts from the last committed one and two
            # at once are applied one after the other instead of the second undoing the first.
            type(instance)._default_manager.select_for_update().filter(pk=instance.pk).first()
            check_version(instance, expected)
            response = super().update(request, *args, **kwargs)
        return response

    def perform_update(self, serializer):
        # serializer.instance was read under the lock taken in update().
        serializer.save(version=serializer.instance.version + 1)


__all__ = ["Conflict", "Pagination", "Response", "ScopedModelSerializer", "ScopedModelViewSet"]
