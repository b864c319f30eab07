from __future__ import annotations

from rest_framework import serializers

from providers.models import Service
from qaf.api import (
    ModelSerializer,
    StrictIntegerField,
    StrictPrimaryKeyRelatedField,
    TypedDateField,
)
from qaf.concurrency import MAX_VERSION
from qaf.models import User
from qaf.rag import Rag
from reviews.models import (
    Answer,
    CommentResponse,
    ReportComment,
    Review,
    ReviewKind,
    Score,
)


class ReviewSerializer(ModelSerializer):
    """A review as the API shows it; the visit date of an unannounced review is hidden from
    provider users until the visit is recorded (SPEC §6). Hidden values are null."""

    # Null for provider users: always (the council's working), or until shared (the rating).
    suggested_rating = serializers.ChoiceField(
        choices=Rag.choices, allow_blank=True, allow_null=True, read_only=True
    )
    rating = serializers.ChoiceField(
        choices=Rag.choices, allow_blank=True, allow_null=True, read_only=True
    )
    override_reason = serializers.CharField(allow_null=True, read_only=True)
    finalised_early_reason = serializers.CharField(allow_null=True, read_only=True)

    class Meta:
        model = Review
        fields = [
            "id",
            "service",
            "kind",
            "status",
            "officer",
            "announced",
            "visit_date",
            "visit_recorded_at",
            "suggested_rating",
            "rating",
            "override_reason",
            "draft_shared_on",
            "comments_due",
            "no_more_comments_on",
            "completed_on",
            "finalised_early_reason",
            "sent_to_regulator_on",
            "historic",
            "cancelled_reason",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is not None and not instance.visit_date_visible_to(user):
            data["visit_date"] = None
        if user is not None and user.is_provider_user:
            for internal in (
                "suggested_rating",
                "override_reason",
                "officer",
                "finalised_early_reason",
            ):
                data[internal] = None
            if not instance.rating_visible_to(user):
                data["rating"] = None
        return data


class ReviewCreateSerializer(serializers.Serializer):
    """Plan a review, or (``historic: true``) record a final review from before QAF."""

    service = StrictPrimaryKeyRelatedField(queryset=Service.objects.all())
    kind = serializers.ChoiceField(choices=ReviewKind.choices, default=ReviewKind.FULL)
    historic = serializers.BooleanField(default=False)
    completed_on = TypedDateField(required=False)
    rating = serializers.ChoiceField(choices=Rag.choices, required=False)
    announced = serializers.BooleanField(default=True)
    visit_date = TypedDateField(required=False, allow_null=True)
    officer = StrictPrimaryKeyRelatedField(
        queryset=User.objects.filter(Review.may_carry_out), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["service"].queryset = Service.objects.visible_to(request.user)

    def validate(self, attrs):
        if attrs["historic"]:
            missing = {
                f: "Required for a historic review."
                for f in ("completed_on", "rating")
                if not attrs.get(f)
            }
            if missing:
                raise serializers.ValidationError(missing)
        return attrs


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField()


class SentToRegulatorSerializer(serializers.Serializer):
    on = TypedDateField(
        required=False, allow_null=True, help_text="The day it was sent; today when left out"
    )


class DraftSerializer(serializers.Serializer):
    rating = serializers.ChoiceField(choices=Rag.choices)
    override_reason = serializers.CharField(required=False, allow_blank=True, default="")
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    actions_required = serializers.CharField(required=False, allow_blank=True, default="")


class AnswerSerializer(ModelSerializer):
    """A question's answer in the visit record (staff only). A question nobody has answered yet
    reads as an empty answer of version 0, with no ``updated_by`` or ``updated_at``."""

    updated_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Answer
        fields = ["question", "score", "notes", "evidence", "version", "updated_by", "updated_at"]
        read_only_fields = fields


class SaveAnswerSerializer(serializers.Serializer):
    """Save one answer: ``version`` is the one the edit started from (0 for a new answer); a
    stale one is refused with 409 and the server's copy. Evidence links are added and removed
    one by one, so two officers linking files at once both keep theirs."""

    question = StrictIntegerField()
    version = StrictIntegerField(min_value=0, max_value=MAX_VERSION)
    score = serializers.ChoiceField(choices=Score.choices, required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    add_evidence = serializers.ListField(child=StrictIntegerField(), required=False, default=list)
    remove_evidence = serializers.ListField(
        child=StrictIntegerField(), required=False, default=list
    )


class StaleAnswerSerializer(serializers.Serializer):
    """A refused save: why, and (when someone saved first) the server's copy."""

    detail = serializers.CharField()
    server = AnswerSerializer(required=False)


class CommentSerializer(ModelSerializer):
    class Meta:
        model = ReportComment
        fields = [
            "id",
            "standard",
            "text",
            "evidence",
            "author",
            "created_at",
            "response",
            "response_reason",
            "responded_by",
            "responded_at",
        ]
        read_only_fields = fields


class AddCommentSerializer(serializers.Serializer):
    standard = StrictIntegerField(required=False, allow_null=True)
    text = serializers.CharField()
    # Ids of files in the user's own library; any other id refuses the comment (403).
    evidence = serializers.ListField(child=StrictIntegerField(), required=False, default=list)


class AnswerCommentSerializer(serializers.Serializer):
    response = serializers.ChoiceField(choices=CommentResponse.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="")
