"""Shared API pieces: strict number fields, the scoped base serializer and viewset."""

from __future__ import annotations

import json
import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, transaction
from rest_framework import renderers, serializers, viewsets
from rest_framework.response import Response

from qaf.concurrency import check_version
from qaf.drf import Conflict, Pagination
from qaf.generic import MAX_ID
from qaf.scoping import ScopedQuerySet
from qaf.validators import validate_plausible_date

_DIGITS = re.compile(r"\s*-?[0-9]{1,20}\s*")


def whole_number(data: object) -> int:
    """``data`` as an int when it is one: 3, 3.0 (JSON does not tell them apart) or "3".
    Anything else (1.5, "1.5", "1e3", true, "") is a ValueError: DRF's own IntegerField takes
    "3.0", and its PrimaryKeyRelatedField took 1.5 as id 1."""
    if isinstance(data, bool):
        raise ValueError(data)
    if isinstance(data, int):
        return data
    if isinstance(data, float) and data.is_integer():
        return int(data)
    if isinstance(data, str) and _DIGITS.fullmatch(data):
        return int(data)
    raise ValueError(data)


class StrictIntegerField(serializers.IntegerField):
    """A whole number (``whole_number``), by default within PostgreSQL's bigint."""

    default_error_messages = {"invalid": "Enter a whole number."}

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", -MAX_ID - 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        try:
            return whole_number(data)
        except ValueError:
            self.fail("invalid")


class StrictPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """An id is a whole number: 1.5 is refused (a 400 naming the field), not taken as 1."""

    def to_internal_value(self, data):
        try:
            pk = whole_number(data)
        except ValueError:
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not 0 < pk <= MAX_ID:
            self.fail("does_not_exist", pk_value=pk)
        return super().to_internal_value(pk)


class TypedDateField(serializers.DateField):
    """A date someone types, in a body that is not a model's: the same plausible range as the
    models' typed dates (``qaf.validators``)."""

    def __init__(self, **kwargs):
        kwargs["validators"] = [*kwargs.get("validators", ()), validate_plausible_date]
        super().__init__(**kwargs)


class StrictFieldsMixin:
    """For a ModelSerializer: its integers and related ids built as the strict fields."""

    serializer_related_field = StrictPrimaryKeyRelatedField
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        **dict.fromkeys(
            (
                models.IntegerField,
                models.BigIntegerField,
                models.SmallIntegerField,
                models.PositiveIntegerField,
                models.PositiveBigIntegerField,
                models.PositiveSmallIntegerField,
            ),
            StrictIntegerField,
        ),
    }


class ModelSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """The project's ModelSerializer: strict numbers; and a read-only choice field whose model
    field may be blank (or null) says so. DRF drops ``allow_blank`` from read-only fields, and
    the schema then left "" out of the field's values (a review's rating before it is set)."""

    def get_fields(self):
        fields = super().get_fields()
        model = getattr(getattr(self, "Meta", None), "model", None)
        for name, field in fields.items():
            if not (isinstance(field, serializers.ChoiceField) and field.read_only and model):
                continue
            try:
                model_field = model._meta.get_field(field.source or name)
            except Exception:  # noqa: S112 - a source that is not a model field (a method)
                continue
            field.allow_blank = field.allow_blank or model_field.blank
            field.allow_null = field.allow_null or model_field.null
        return fields


class ScopedModelSerializer(ModelSerializer):
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


class FileRenderer(renderers.BaseRenderer):
    """Lets a download answer whatever the client accepts (the file has its own type); an
    error on the way (404) is still JSON. A subclass names one type (``PDFRenderer``)."""

    media_type = "*/*"
    format = "file"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        # An error (404) asked for as ``?format=file``: still JSON, and labelled so (not */*).
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Type"] = "application/json"
        return json.dumps(data).encode()


class PDFRenderer(FileRenderer):
    """An issued document's PDF (qaf.views.serve_document)."""

    media_type = "application/pdf"
    format = "pdf"


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


__all__ = [
    "Conflict",
    "FileRenderer",
    "ModelSerializer",
    "PDFRenderer",
    "Pagination",
    "Response",
    "ScopedModelSerializer",
    "ScopedModelViewSet",
    "StrictIntegerField",
    "StrictPrimaryKeyRelatedField",
    "TypedDateField",
]
