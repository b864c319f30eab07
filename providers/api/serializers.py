from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from escalation.models import Level
from providers.models import (
    SERVICE_LOCATION_FIELDS,
    SERVICE_REGULATION_FIELDS,
    Contract,
    Intelligence,
    Provider,
    Service,
    check_contract_services,
)
from qaf.api import ScopedModelSerializer, StrictPrimaryKeyRelatedField, TypedDateField
from qaf.rag import FACTOR_VALUES, Rag
from qaf.scoping import can
from risk.models import ServiceRisk, computed_for, last_full_run_date


class ProviderSerializer(ScopedModelSerializer):
    class Meta:
        model = Provider
        fields = [
            "id",
            "name",
            "companies_house_number",
            "regulator_provider_id",
            "address",
            "postcode",
            "contact_name",
            "contact_email",
            "contact_phone",
            "sponsorship_licence",
            "notes",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["version", "created_at", "updated_at"]
        normalised_by_clean = ("postcode", "companies_house_number")


class RiskFactorSerializer(serializers.Serializer):
    factor = serializers.CharField()
    rag = serializers.ChoiceField(choices=FACTOR_VALUES)
    reason = serializers.CharField()


class RiskSerializer(serializers.Serializer):
    """SPEC §9's risk object, exactly."""

    rating = serializers.ChoiceField(choices=Rag.choices)
    score = serializers.IntegerField()
    computed_for = serializers.DateField()
    factors = RiskFactorSerializer(many=True)


class ScheduleSerializer(serializers.Serializer):
    next_review_due = serializers.DateField(
        allow_null=True,
        help_text="The next full QA review; null for an out-of-area service, which its host "
        "authority reviews (its information-request cycle is given instead)",
    )
    never_reviewed = serializers.BooleanField(help_text="No final full review yet")
    review_overdue = serializers.BooleanField()
    follow_up_due = serializers.DateField(allow_null=True)
    follow_up_overdue = serializers.BooleanField()
    minimum_contact_met = serializers.BooleanField()
    information_request_months = serializers.IntegerField(allow_null=True)
    information_request_due = serializers.DateField(allow_null=True)
    information_request_overdue = serializers.BooleanField()
    last_information_request = serializers.DateField(
        allow_null=True, help_text="The day the latest information request was sent"
    )
    direct_monitoring = serializers.BooleanField()


class ServiceSerializer(ScopedModelSerializer):
    market_risk = serializers.BooleanField(read_only=True)
    risk = serializers.SerializerMethodField()
    schedule = serializers.SerializerMethodField()
    concern_level = serializers.SerializerMethodField(
        help_text="1, 2 or 3 (source 001 Appendix 2); null for provider users"
    )
    deregistered_on = serializers.DateField(
        read_only=True,
        allow_null=True,
        help_text="When CQC deregistered the location (the CQC change sync); null while registered",
    )
    predecessor = serializers.SerializerMethodField(
        help_text="The service (CQC location) this one replaced, when the user may see it; its "
        "rating history carries over"
    )

    class Meta:
        model = Service
        fields = [
            "id",
            "provider",
            "name",
            *SERVICE_LOCATION_FIELDS,
            "service_type",
            "client_group",
            "capacity",
            "council_funded_people",
            *SERVICE_REGULATION_FIELDS,
            "market_risk",
            "market_risk_reasons",
            "commissioning_status",
            "concern_level",
            "lead_officer",
            "deregistered_on",
            "predecessor",
            "risk",
            "schedule",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "commissioning_status",
            "version",
            "created_at",
            "updated_at",
        ]
        normalised_by_clean = ("postcode", "regulator_id")

    def _risk_of(self, service: Service):
        request = self.context.get("request")
        if request is None or not can(request.user, "view", "risk.servicerisk"):
            return None  # internal to the council: null for provider users
        try:
            return service.risk
        except ServiceRisk.DoesNotExist:
            return None

    @extend_schema_field(RiskSerializer(allow_null=True))
    def get_risk(self, service: Service):
        risk = self._risk_of(service)
        if risk is None:
            return None
        if "last_full_run" not in self.context:
            self.context["last_full_run"] = last_full_run_date()
        return {
            "rating": risk.rating,
            "score": risk.score,
            "computed_for": computed_for(risk, self.context["last_full_run"]).isoformat(),
            "factors": [
                {"factor": f["factor"], "rag": f["rag"], "reason": f["reason"]}
                for f in risk.factors
            ],
        }

    @extend_schema_field(serializers.ChoiceField(choices=Level.choices, allow_null=True))
    def get_concern_level(self, service: Service) -> int | None:
        request = self.context.get("request")
        if request is None or not can(request.user, "view", "escalation.concernlevel"):
            return None  # the council's internal view, like the risk rating
        return service.concern.level if hasattr(service, "concern") else 1

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_predecessor(self, service: Service) -> int | None:
        request = self.context.get("request")
        if not service.predecessor_id or request is None:
            return None
        visible = Service.objects.visible_to(request.user).filter(pk=service.predecessor_id)
        return service.predecessor_id if visible.exists() else None

    @extend_schema_field(ScheduleSerializer(allow_null=True))
    def get_schedule(self, service: Service):
        risk = self._risk_of(service)
        if risk is None:
            return None
        return ScheduleSerializer(risk).data


class ServiceUpdateSerializer(ServiceSerializer):
    """A service stays with its provider: moving it is a new registration. (A serializer of its
    own, so the schema says so too.)"""

    class Meta(ServiceSerializer.Meta):
        read_only_fields = ["provider", *ServiceSerializer.Meta.read_only_fields]


class ContractSerializer(ScopedModelSerializer):
    class Meta:
        model = Contract
        fields = [
            "id",
            "reference",
            "provider",
            "services",
            "start_date",
            "end_date",
            "annual_value",
            "framework",
            "specification_notes",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["version", "created_at", "updated_at"]
        normalised_by_clean = ()

    def validate(self, attrs):
        attrs = super().validate(attrs)
        provider = attrs.get("provider") or getattr(self.instance, "provider", None)
        services = attrs.get("services")
        if services is None and self.instance is not None:
            services = list(self.instance.services.all())
        try:
            check_contract_services(provider, services or [])
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        return attrs


class IntelligenceSerializer(ScopedModelSerializer):
    author = serializers.StringRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = Intelligence
        fields = [
            "id",
            "service",
            "provider",
            "kind",
            "date",
            "source",
            "summary",
            "severity",
            "status",
            "serious_unresolved",
            "feedback",
            "outcome",
            "confidential",
            "author",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["version", "created_at", "updated_at"]
        normalised_by_clean = ("confidential",)


# --- Evidence library (SPEC §9, §10) --------------------------------------------------------

from django.urls import reverse  # noqa: E402

from providers.evidence import Evidence  # noqa: E402
from providers.services import add_evidence, add_new_version  # noqa: E402
from qaf.files import UploadRefused  # noqa: E402


class EvidenceSerializer(ScopedModelSerializer):
    """Upload as multipart form data: ``file``, ``title``, ``evidence_date`` and, for staff,
    ``provider`` (a provider user's own organisation is implied; another's id is a 400). The
    file is checked by content; a refused file is a 400 naming the reason. A new file answers
    ``"scan_status": "pending"`` and is downloadable once the virus scan finds it clean."""

    provider = StrictPrimaryKeyRelatedField(
        queryset=Provider.objects.all(),
        required=False,
        help_text="Required for staff; a provider user's own organisation otherwise.",
    )
    file = serializers.FileField(write_only=True, use_url=False)
    uploaded_by = serializers.StringRelatedField(read_only=True)
    download_url = serializers.SerializerMethodField()
    is_current = serializers.BooleanField(
        read_only=True, help_text="False once a newer version replaces this file"
    )

    class Meta:
        model = Evidence
        fields = [
            "id",
            "provider",
            "title",
            "evidence_date",
            "review_by",
            "version",
            "previous_version",
            "is_current",
            "file",
            "original_name",
            "content_type",
            "extension",
            "size",
            "sha256",
            "scan_status",
            "scanned_at",
            "uploaded_by",
            "uploaded_at",
            "download_url",
        ]
        read_only_fields = [
            "version",
            "previous_version",
            "original_name",
            "content_type",
            "extension",
            "size",
            "sha256",
            "scan_status",
            "scanned_at",
            "uploaded_at",
        ]
        normalised_by_clean = ()

    def get_download_url(self, evidence: Evidence) -> str:
        return reverse("api:evidence-download", args=[evidence.pk])

    def validate(self, attrs):
        upload = attrs.pop("file")
        user = self.context["request"].user
        if user.is_provider_user:
            # A provider given here already passed the scoped queryset: it is their own.
            attrs["provider"] = user.provider
        elif attrs.get("provider") is None:
            raise serializers.ValidationError(
                {"provider": ["Choose the provider the evidence is for"]}
            )
        attrs = super().validate(attrs)
        attrs["file"] = upload
        return attrs

    def clean_exclude(self, attrs) -> list[str]:
        # Set from the checked file and the request by add_evidence, not by the client.
        return ["file", "uploaded_by", *self.Meta.read_only_fields]

    def create(self, validated_data):
        try:
            return add_evidence(
                provider=validated_data["provider"],
                title=validated_data["title"],
                evidence_date=validated_data["evidence_date"],
                review_by=validated_data.get("review_by"),
                upload=validated_data["file"],
                actor=self.context["request"].user,
            )
        except UploadRefused as exc:
            raise serializers.ValidationError({"file": [exc.reason]}) from exc


class EvidenceNewVersionSerializer(serializers.Serializer):
    """A new version of a file, as multipart form data: the old one stays, with its uses, and
    the new one belongs to the same provider."""

    file = serializers.FileField(write_only=True, use_url=False)
    title = serializers.CharField(max_length=200)
    evidence_date = TypedDateField(help_text="The date the new version is from")
    review_by = TypedDateField(
        required=False,
        allow_null=True,
        help_text="After this date the portal asks for a current version",
    )

    def validate(self, attrs):
        if attrs.get("review_by") and attrs["review_by"] < attrs["evidence_date"]:
            # The model's rule (Evidence.clean), said before the file is read.
            raise serializers.ValidationError(
                {"review_by": ["The review-by date cannot be before the date of the evidence"]}
            )
        return attrs

    def create(self, validated_data):
        try:
            return add_new_version(
                previous=self.context["previous"],
                title=validated_data["title"],
                evidence_date=validated_data["evidence_date"],
                review_by=validated_data.get("review_by"),
                upload=validated_data["file"],
                actor=self.context["request"].user,
            )
        except UploadRefused as exc:
            raise serializers.ValidationError({"file": [exc.reason]}) from exc
        except DjangoValidationError as exc:
            raise serializers.ValidationError(serializers.as_serializer_error(exc)) from exc


class EvidenceUseSerializer(serializers.Serializer):
    """One place a file was used."""

    kind = serializers.CharField(help_text='What kind of thing used it, e.g. "Appeal"')
    what = serializers.CharField(help_text="Which one, in words")
    url = serializers.CharField(help_text='Its page, or "" when it has none to open')
    used_at = serializers.DateTimeField()
    used_by = serializers.SerializerMethodField()

    def get_used_by(self, use) -> str | None:
        return str(use.used_by) if use.used_by else None
