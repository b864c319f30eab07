"""The register (SPEC §2) and intelligence (SPEC §3)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import date

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from qaf.models import VersionedModel
from qaf.scoping import ScopedQuerySet
from qaf.validators import validate_plausible_date

POSTCODE_RE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")


def normalise_postcode(value: str) -> str:
    """'ba11aa' -> 'BA1 1AA'; leaves anything that is not a UK postcode as typed (upper case)."""
    compact = re.sub(r"\s+", "", value or "").upper()
    match = POSTCODE_RE.match(compact)
    return f"{match[1]} {match[2]}" if match else compact


def validate_postcode(value: str) -> None:
    if value and not POSTCODE_RE.match(normalise_postcode(value)):
        raise ValidationError("Enter a real UK postcode, like BA1 1AA", code="postcode")


cqc_id_validator = RegexValidator(
    r"^1-\d{6,12}$", "Enter a CQC id in the format 1-123456789", code="cqc_id"
)
companies_house_validator = RegexValidator(
    r"^(\d{8}|[A-Z]{2}\d{6})$",
    "Enter a Companies House number of 8 characters, like 01234567 or SC123456",
    code="companies_house",
)


def validate_not_future(value: date) -> None:
    if value and value > timezone.localdate():
        raise ValidationError("The date must be today or in the past", code="future_date")


# --- Provider ---------------------------------------------------------------------------


class SponsorshipLicence(models.TextChoices):
    NOT_HELD = "not_held", "Not held"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    REVOKED = "revoked", "Revoked"


class ProviderQuerySet(ScopedQuerySet):
    provider_field = "pk"


class Provider(VersionedModel):
    name = models.CharField(max_length=200)
    companies_house_number = models.CharField(
        "Companies House number",
        max_length=8,
        blank=True,
        validators=[companies_house_validator],
    )
    regulator_provider_id = models.CharField(
        "CQC provider id",
        max_length=20,
        blank=True,
        validators=[cqc_id_validator],
        help_text="For example 1-101669890",
    )
    address = models.TextField(blank=True)
    postcode = models.CharField(max_length=8, blank=True, validators=[validate_postcode])
    contact_name = models.CharField(max_length=120, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    sponsorship_licence = models.CharField(
        "Home Office sponsorship licence",
        max_length=16,
        choices=SponsorshipLicence.choices,
        default=SponsorshipLicence.NOT_HELD,
    )
    notes = models.TextField(blank=True)

    objects = ProviderQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["regulator_provider_id"],
                condition=~Q(regulator_provider_id=""),
                name="provider_regulator_id_unique",
                violation_error_message="Another provider already has this CQC provider id.",
            ),
        ]
        indexes = [models.Index(fields=["name"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("providers:provider_detail", args=[self.pk])

    def clean(self) -> None:
        self.postcode = normalise_postcode(self.postcode)
        self.companies_house_number = self.companies_house_number.strip().upper()


# --- Service ----------------------------------------------------------------------------


class ServiceType(models.TextChoices):
    CARE_HOME_NURSING = "care_home_nursing", "Care home with nursing"
    CARE_HOME = "care_home", "Care home without nursing"
    DOMICILIARY_CARE = "domiciliary_care", "Domiciliary care"
    SUPPORTED_LIVING = "supported_living", "Supported living"
    EXTRA_CARE = "extra_care", "Extra care"
    DAY_SERVICE = "day_service", "Day service"
    CHILDRENS_HOME = "childrens_home", "Children's home"
    FOSTERING_AGENCY = "fostering_agency", "Fostering agency"
    OTHER = "other", "Other"


# Source 004's out-of-area remote and direct monitoring is for care homes, with or without nursing.
CARE_HOME_TYPES = frozenset({ServiceType.CARE_HOME_NURSING.value, ServiceType.CARE_HOME.value})


class ClientGroup(models.TextChoices):
    ADULTS = "adults", "Adults"
    CHILDREN = "children", "Children"


class Regulator(models.TextChoices):
    CQC = "CQC", "Care Quality Commission (CQC)"
    OFSTED = "Ofsted", "Ofsted"
    CIW = "CIW", "Care Inspectorate Wales (CIW)"


class RegulatorRating(models.TextChoices):
    OUTSTANDING = "outstanding", "Outstanding"
    GOOD = "good", "Good"
    REQUIRES_IMPROVEMENT = "requires_improvement", "Requires improvement"
    INADEQUATE = "inadequate", "Inadequate"
    NOT_RATED = "not_rated", "Not rated"


class CommissioningStatus(models.TextChoices):
    OPEN = "open", "Open to placements"
    RESTRICTED = "restricted", "Placing with restrictions"
    SUSPENDED = "suspended", "No new placements"
    DECOMMISSIONED = "decommissioned", "Decommissioned"


class MarketRisk(models.TextChoices):
    BLOCK_CONTRACT = "block_contract", "Block contract"
    SOLE_PROVIDER = "sole_provider", "Sole provider"
    LARGE_SETTING = "large_setting", "Large setting"


KEY_QUESTIONS = ("safe", "effective", "caring", "responsive", "well_led")

# Runs of a service's fields that the form, the API, the download and the bulk loader all list
# in this order (each list adds its own fields around them).
SERVICE_LOCATION_FIELDS = (
    "address",
    "postcode",
    "local_authority_area",
    "out_of_area",
    "host_authority",
)
SERVICE_REGULATION_FIELDS = (
    "regulated",
    "regulator",
    "regulator_id",
    "regulator_rating",
    *(f"rating_{kq}" for kq in KEY_QUESTIONS),
    "last_inspection_date",
    "registration_date",
    "registered_manager",
)


def _key_question_rating(label: str) -> models.CharField:
    return models.CharField(
        f"{label} rating",
        max_length=24,
        choices=RegulatorRating.choices,
        default=RegulatorRating.NOT_RATED,
    )


class ServiceQuerySet(ScopedQuerySet):
    provider_field = "provider_id"


class Service(VersionedModel):
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="services")
    name = models.CharField(max_length=200)
    address = models.TextField(blank=True)
    postcode = models.CharField(max_length=8, blank=True, validators=[validate_postcode])
    local_authority_area = models.CharField(
        "Area",
        max_length=100,
        blank=True,
        help_text="The locality within the council's area, or the host authority's area",
    )
    out_of_area = models.BooleanField(
        "Out of area",
        default=False,
        help_text="The service is in another council's area",
    )
    host_authority = models.CharField(
        max_length=100, blank=True, help_text="The council whose area the service is in"
    )
    service_type = models.CharField(max_length=24, choices=ServiceType.choices)
    client_group = models.CharField(
        max_length=16, choices=ClientGroup.choices, default=ClientGroup.ADULTS
    )
    capacity = models.PositiveIntegerField(
        null=True, blank=True, help_text="Beds, or the number of people it can support"
    )
    council_funded_people = models.PositiveIntegerField(
        "Council-funded people",
        default=0,
        help_text="People whose care this council pays for",
    )
    regulated = models.BooleanField(default=False)
    regulator = models.CharField(max_length=8, choices=Regulator.choices, blank=True)
    regulator_id = models.CharField(
        "Regulator id",
        max_length=20,
        blank=True,
        help_text="CQC location id (like 1-1000210669) or Ofsted URN",
    )
    regulator_rating = models.CharField(
        "Regulator rating (overall)",
        max_length=24,
        choices=RegulatorRating.choices,
        default=RegulatorRating.NOT_RATED,
    )
    rating_safe = _key_question_rating("Safe")
    rating_effective = _key_question_rating("Effective")
    rating_caring = _key_question_rating("Caring")
    rating_responsive = _key_question_rating("Responsive")
    rating_well_led = _key_question_rating("Well-led")
    last_inspection_date = models.DateField(
        null=True, blank=True, validators=[validate_not_future, validate_plausible_date]
    )
    # The publication date of the regulator's rating held above: a rating published before it
    # (an older file imported late, a feed read out of order) never replaces it.
    rating_published_on = models.DateField(
        "Rating published on",
        null=True,
        blank=True,
        editable=False,
    )
    registration_date = models.DateField(
        null=True,
        blank=True,
        validators=[validate_not_future, validate_plausible_date],
        help_text="The date the regulator registered it or, if it is not regulated, the date it "
        "first came onto the council's register. A service never reviewed is rated on how long "
        "ago this was.",
    )
    # Yes, no or not known (None): never "in post" unless someone said so (issue 9 item 7).
    registered_manager = models.BooleanField(
        "Registered manager in post", null=True, blank=True, default=None
    )
    market_risk_reasons = ArrayField(
        models.CharField(max_length=24, choices=MarketRisk.choices),
        verbose_name="Market risk",
        default=list,
        blank=True,
        help_text="Why this service is of strategic importance",
    )
    commissioning_status = models.CharField(
        max_length=16,
        choices=CommissioningStatus.choices,
        default=CommissioningStatus.OPEN,
        editable=False,
    )
    lead_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="caseload",
        limit_choices_to={"provider__isnull": True},
    )
    # Set by the CQC change sync (providers.cqc_sync): the regulator's word, not the council's.
    deregistered_on = models.DateField(
        "Deregistered by the regulator on",
        null=True,
        blank=True,
        editable=False,
    )
    predecessor = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="successors",
        editable=False,
        help_text="The service (CQC location) this one replaced; its rating history carries over",
    )

    objects = ServiceQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["regulator", "regulator_id"],
                condition=~Q(regulator_id=""),
                name="service_regulator_id_unique",
                violation_error_message="Another service already has this regulator id.",
            ),
            models.CheckConstraint(
                condition=~Q(predecessor=models.F("pk")),
                name="service_not_own_predecessor",
                violation_error_message="A service cannot replace itself.",
            ),
            models.CheckConstraint(
                condition=Q(regulated=True) | Q(regulator_rating="not_rated"),
                name="unregulated_service_not_rated",
                violation_error_message="A service that is not regulated has no regulator rating.",
            ),
        ]
        indexes = [
            models.Index(fields=["name"]),
            # Also the dashboard's counts by type and area: read from this index alone (an
            # index-only scan, 4 MB at 100,000 services) instead of the table (54 MB).
            models.Index(
                fields=["service_type", "local_authority_area", "id"],
                name="service_type_area_id",
            ),
            models.Index(fields=["regulator_rating"]),
            models.Index(fields=["local_authority_area"]),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("providers:service_detail", args=[self.pk])

    @property
    def market_risk(self) -> bool:
        return bool(self.market_risk_reasons)

    def get_market_risk_display(self) -> str:
        labels = dict(MarketRisk.choices)
        return ", ".join(labels.get(r, r) for r in self.market_risk_reasons) or "None"

    def predecessor_ids(self, limit: int = 10) -> list[int]:
        """The services this one replaced, newest first: its predecessor, that one's, ..."""
        ids: list[int] = []
        current = self.predecessor_id
        while current and current not in ids and current != self.pk and len(ids) < limit:
            ids.append(current)
            current = (
                Service.objects.filter(pk=current).values_list("predecessor_id", flat=True).first()
            )
        return ids

    def key_question_ratings(self) -> list[tuple[str, str]]:
        return [
            (
                self._meta.get_field(f"rating_{kq}").verbose_name.removesuffix(" rating"),
                getattr(self, f"get_rating_{kq}_display")(),
            )
            for kq in KEY_QUESTIONS
        ]

    def clean(self) -> None:
        errors: dict[str, str] = {}
        self.postcode = normalise_postcode(self.postcode)
        self.regulator_id = self.regulator_id.strip()
        if set(self.market_risk_reasons or []) - set(MarketRisk.values):
            errors["market_risk_reasons"] = "Choose market risk reasons from the list"
        if self.out_of_area and not self.host_authority.strip():
            errors["host_authority"] = "Enter the host authority of an out-of-area service"
        if self.regulated and not self.regulator:
            errors["regulator"] = "Choose the regulator of a regulated service"
        if not self.regulated:
            if self.regulator_rating != RegulatorRating.NOT_RATED:
                errors["regulator_rating"] = (
                    "A service that is not regulated has no regulator rating"
                )
            if self.last_inspection_date:
                errors["last_inspection_date"] = (
                    "A service that is not regulated has no inspection date"
                )
        if self.regulator == Regulator.CQC and self.regulator_id:
            try:
                cqc_id_validator(self.regulator_id)
            except ValidationError:
                errors["regulator_id"] = "Enter a CQC location id in the format 1-1234567890"
        if (
            self.capacity is not None
            and self.council_funded_people is not None
            and self.council_funded_people > self.capacity
        ):
            errors["council_funded_people"] = (
                "Council-funded people cannot be more than the capacity"
            )
        if errors:
            raise ValidationError(errors)


# --- Contract ---------------------------------------------------------------------------


class ContractQuerySet(ScopedQuerySet):
    provider_field = "provider_id"


class Contract(VersionedModel):
    reference = models.CharField(
        max_length=50,
        unique=True,
        error_messages={"unique": "A contract with this reference already exists."},
    )
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="contracts")
    services = models.ManyToManyField(Service, blank=True, related_name="contracts")
    start_date = models.DateField(validators=[validate_plausible_date])
    end_date = models.DateField(null=True, blank=True, validators=[validate_plausible_date])
    annual_value = models.DecimalField(
        "Annual value (£)",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    framework = models.CharField(max_length=200, blank=True)
    specification_notes = models.TextField(blank=True)

    objects = ContractQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[services])

    class Meta:
        ordering = ["reference"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="contract_ends_after_start",
                violation_error_message="The end date must be on or after the start date.",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        return reverse("providers:contract_detail", args=[self.pk])

    def clean(self) -> None:
        if self.end_date and self.start_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": "The end date must be on or after the start date"})


def check_contract_services(provider: Provider | None, services: Iterable[Service]) -> None:
    """Every service a contract covers must be one of the contract provider's services."""
    if provider is None:
        return
    others = [s.name for s in services if s.provider_id != provider.pk]
    if others:
        raise ValidationError(
            {"services": f"These services are not run by {provider}: {', '.join(others)}"}
        )


# --- Intelligence -----------------------------------------------------------------------


class IntelligenceKind(models.TextChoices):
    SAFEGUARDING_CONCERN = "safeguarding_concern", "Safeguarding concern"
    SAFEGUARDING_ENQUIRY = "safeguarding_enquiry", "Organisational safeguarding enquiry"
    COMPLAINT = "complaint", "Complaint"
    PROFESSIONAL_FEEDBACK = "professional_feedback", "Professional feedback form"
    SURVEY_RESPONSE = "survey_response", "Stakeholder survey response"
    REGULATOR_INFORMATION = "regulator_information", "Regulator information"
    WHISTLEBLOWING = "whistleblowing", "Whistleblowing"
    PROVIDER_NOTIFICATION = "provider_notification", "Provider notification"
    CONTRACT_DEFAULT_NOTICE = "contract_default_notice", "Contract default notice"
    SAFEGUARDING_AUDIT = "safeguarding_audit", "Safeguarding audit"
    CONTRACT_MEETING = "contract_meeting", "Contract meeting"
    OTHER = "other", "Other"


# SPEC §3: safeguarding and whistleblowing entries are never shown to provider users.
ALWAYS_CONFIDENTIAL = frozenset(
    {
        IntelligenceKind.SAFEGUARDING_CONCERN,
        IntelligenceKind.SAFEGUARDING_ENQUIRY,
        IntelligenceKind.SAFEGUARDING_AUDIT,
        IntelligenceKind.WHISTLEBLOWING,
    }
)
KINDS_WITH_STATUS = frozenset({IntelligenceKind.SAFEGUARDING_ENQUIRY, IntelligenceKind.COMPLAINT})


class IntelligenceStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class AuditOutcome(models.TextChoices):
    SATISFACTORY = "satisfactory", "Satisfactory"
    NOT_SATISFACTORY = "not_satisfactory", "Not satisfactory"


class Feedback(models.TextChoices):
    POSITIVE = "positive", "Positive"
    NEUTRAL = "neutral", "Neutral"
    NEGATIVE = "negative", "Negative"


class Severity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class IntelligenceQuerySet(ScopedQuerySet):
    def for_provider_user(self, user) -> IntelligenceQuerySet:
        return self.filter(
            Q(service__provider_id=user.provider_id) | Q(provider_id=user.provider_id),
            confidential=False,
        )

    def applying_to(self, service: Service) -> IntelligenceQuerySet:
        """Entries about the service itself and provider-wide entries of its provider."""
        return self.filter(Q(service=service) | Q(provider_id=service.provider_id))


class Intelligence(VersionedModel):
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, null=True, blank=True, related_name="intelligence"
    )
    provider = models.ForeignKey(
        Provider,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="intelligence",
        help_text="For provider-wide entries, which apply to all the provider's services",
    )
    kind = models.CharField(max_length=32, choices=IntelligenceKind.choices)
    date = models.DateField(validators=[validate_not_future, validate_plausible_date])
    source = models.CharField(max_length=200, blank=True, help_text="Who or where it came from")
    summary = models.TextField()
    severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.MEDIUM)
    status = models.CharField(
        max_length=8,
        choices=IntelligenceStatus.choices,
        blank=True,
        help_text="For enquiries and complaints",
    )
    serious_unresolved = models.BooleanField(
        "Serious and unresolved", default=False, help_text="For complaints"
    )
    feedback = models.CharField(
        max_length=8,
        choices=Feedback.choices,
        blank=True,
        help_text="For professional feedback forms",
    )
    outcome = models.CharField(
        max_length=16,
        choices=AuditOutcome.choices,
        blank=True,
        help_text="For safeguarding audits",
    )
    confidential = models.BooleanField(
        default=False,
        help_text="Never shown to provider users. Safeguarding and whistleblowing entries "
        "are always confidential.",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )

    objects = IntelligenceQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = "intelligence entry"
        verbose_name_plural = "intelligence entries"
        constraints = [
            models.CheckConstraint(
                condition=(Q(service__isnull=False) & Q(provider__isnull=True))
                | (Q(service__isnull=True) & Q(provider__isnull=False)),
                name="intelligence_service_xor_provider",
                violation_error_message="An entry is about one service or one provider.",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=sorted(ALWAYS_CONFIDENTIAL)) | Q(confidential=True),
                name="safeguarding_intelligence_confidential",
                violation_error_message="Safeguarding and whistleblowing entries are "
                "always confidential.",
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "status"]),
            models.Index(fields=["date"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.date:%d %B %Y}"

    def get_absolute_url(self) -> str:
        return reverse("providers:intelligence_detail", args=[self.pk])

    @property
    def subject(self) -> Service | Provider | None:
        return self.service or self.provider

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if bool(self.service_id) == bool(self.provider_id):
            errors["service"] = "Choose either a service or a provider (for provider-wide entries)"
        if self.kind in ALWAYS_CONFIDENTIAL:
            self.confidential = True
        if self.kind in KINDS_WITH_STATUS:
            if not self.status:
                errors["status"] = "Say whether it is open or closed"
        elif self.status:
            errors["status"] = "Only enquiries and complaints are open or closed"
        if self.kind == IntelligenceKind.SAFEGUARDING_AUDIT and not self.outcome:
            errors["outcome"] = "Choose the outcome of the safeguarding audit"
        elif self.kind != IntelligenceKind.SAFEGUARDING_AUDIT and self.outcome:
            errors["outcome"] = "Only safeguarding audits have an outcome"
        if self.kind == IntelligenceKind.PROFESSIONAL_FEEDBACK and not self.feedback:
            errors["feedback"] = "Say whether the feedback was positive, neutral or negative"
        elif self.kind != IntelligenceKind.PROFESSIONAL_FEEDBACK and self.feedback:
            errors["feedback"] = "Only professional feedback forms are positive or negative"
        if self.serious_unresolved and self.kind != IntelligenceKind.COMPLAINT:
            errors["serious_unresolved"] = "Only complaints are marked serious and unresolved"
        if errors:
            raise ValidationError(errors)


# --- Imports ----------------------------------------------------------------------------


class ImportKind(models.TextChoices):
    CQC = "cqc", "CQC care directory or CQC ratings file"
    REGISTER = "register", "The council's register (providers, services and contracts)"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


def import_upload_to(job: ImportJob, filename: str) -> str:
    # A generated name: the uploader's file name is kept only as text, never as a path.
    return f"imports/{uuid.uuid4().hex}.{job.file_format or 'dat'}"


class ImportJobQuerySet(ScopedQuerySet):
    def for_provider_user(self, user) -> ImportJobQuerySet:
        return self.none()


class ImportJob(models.Model):
    """An uploaded CQC or register file, imported by a Celery task (providers.tasks)."""

    kind = models.CharField(max_length=16, choices=ImportKind.choices)
    status = models.CharField(
        max_length=8, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    file = models.FileField(upload_to=import_upload_to, max_length=200)
    file_format = models.CharField(max_length=8, help_text="csv or xlsx, from the content")
    original_name = models.CharField(max_length=255, blank=True)
    detected = models.CharField(
        max_length=16, blank=True, help_text="cqc_directory, cqc_ratings or register"
    )
    partial = models.BooleanField(
        "Import the valid rows even if some rows are rejected", default=False
    )
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    rejected_rows = models.JSONField(
        default=list, blank=True, help_text="[{row, reason, values: {column: value}}]"
    )
    columns = models.JSONField(default=list, blank=True, help_text="The file's header row")
    saved = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Import {self.pk}: {self.original_name or self.get_kind_display()}"

    def get_absolute_url(self) -> str:
        return reverse("imports:job_detail", args=[self.pk])

    @property
    def finished(self) -> bool:
        return self.status in {ImportStatus.DONE, ImportStatus.FAILED}

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 100 if self.finished else 0
        return min(100, self.processed_rows * 100 // self.total_rows)


# --- CQC change sync ------------------------------------------------------------------------


class CqcSyncState(models.Model):
    """Where the CQC change sync (providers.cqc_sync) got to: one row, ``key`` "locations".

    Each run asks CQC only for the changes after ``synced_until``; it moves on only when every
    change up to the run's end was read, so a failed run is asked for again the next night.
    """

    key = models.CharField(max_length=20, unique=True, default="locations")
    synced_until = models.DateTimeField(
        null=True, blank=True, help_text="The end of the last period read in full"
    )
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_counts = models.JSONField(default=dict, blank=True)
    # A run that stopped part way (out of time, or a location that failed): the next run reads
    # the same period, up to ``resume_until``, and skips the locations in ``resume_done``.
    resume_until = models.DateTimeField(null=True, blank=True)
    resume_done = models.JSONField(default=list, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "CQC sync state"

    def __str__(self) -> str:
        return f"CQC sync of {self.key} up to {self.synced_until or 'never'}"


# The evidence library lives in its own module; imported here so Django registers its models.
from providers.evidence import (  # noqa: E402, F401
    AccessKind,
    DownloadLog,
    Evidence,
    EvidenceUse,
    ScanStatus,
)

# Invitations of provider portal users (issue 12), likewise.
from providers.invitations import Invitation  # noqa: E402, F401
