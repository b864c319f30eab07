"""People (SPEC §1): one user model for council staff, partners and provider users."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords


def record_update(obj: models.Model, actor, field: str) -> models.Model:
    """After a conditional queryset update (STYLE habit 2), which writes no history row and
    sends no signal: reload ``obj`` and save it once (``field``, unchanged), so that its history
    has the change with who made it and its post_save receivers (re-rating) run."""
    obj.refresh_from_db()
    obj._history_user = actor
    obj.save(update_fields=[field])
    return obj


class VersionedModel(models.Model):
    """A row edited by people: ``version`` lets an edit detect that someone saved first."""

    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Role(models.TextChoices):
    OFFICER = "officer", "Quality officer"
    MANAGER = "manager", "Quality manager"
    BOARD = "board", "Board member"
    PARTNER = "partner", "Partner (read-only)"
    ADMIN = "admin", "Administrator"


# Roles that may change the register and log intelligence. A manager can do all an officer can.
CASEWORK_ROLES = frozenset({Role.OFFICER, Role.MANAGER})
STAFF_ROLES = frozenset(Role)


ADMIN_NOT_PROVIDER = "Only a provider user can be their organisation's administrator."


class User(AbstractUser):
    """A person. Staff hold one or more roles; a provider user belongs to one provider instead.

    The two are exclusive: a provider user holds no staff role (enforced by the database).
    """

    roles = ArrayField(
        models.CharField(max_length=16, choices=Role.choices),
        default=list,
        blank=True,
        help_text="A member of council staff may hold several roles.",
    )
    provider = models.ForeignKey(
        "providers.Provider",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        help_text="Set for provider users only: the one organisation they act for.",
    )
    job_title = models.CharField(max_length=120, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    # Issue 12: a provider user who manages their own organisation's portal users (invites,
    # deactivates, names other administrators). Meaningless for staff: the database refuses it.
    provider_admin = models.BooleanField(
        "organisation's administrator",
        default=False,
        help_text="Provider users only: may invite and deactivate colleagues of their own "
        "organisation.",
    )

    objects = UserManager()
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta:
        ordering = ["last_name", "first_name", "username"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(provider__isnull=True) | models.Q(roles=[]),
                name="provider_user_has_no_staff_role",
                violation_error_message="A provider user cannot also hold a council staff role.",
            ),
            models.CheckConstraint(
                condition=models.Q(provider_admin=False) | models.Q(provider__isnull=False),
                name="provider_admin_is_a_provider_user",
                violation_error_message="Only a provider user can be their organisation's "
                "administrator.",
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def clean(self) -> None:
        super().clean()
        if self.provider_id and self.roles:
            raise ValidationError(
                {"roles": "A provider user cannot also hold a council staff role."}
            )
        if self.provider_admin and not self.provider_id:
            raise ValidationError({"provider_admin": ADMIN_NOT_PROVIDER})
        unknown = set(self.roles) - set(Role.values)
        if unknown:
            raise ValidationError({"roles": f"Unknown role: {', '.join(sorted(unknown))}."})

    def has_role(self, *names: str) -> bool:
        """True when the user is active and holds any of the named roles."""
        return self.is_active and any(name in self.roles for name in names)

    @property
    def is_provider_user(self) -> bool:
        return self.is_active and self.provider_id is not None

    @property
    def is_provider_admin(self) -> bool:
        """An active provider user who manages their organisation's users (issue 12)."""
        return self.is_provider_user and self.provider_admin

    @property
    def is_staff_member(self) -> bool:
        return self.is_active and bool(self.roles)

    @property
    def role_labels(self) -> list[str]:
        if self.provider_id:
            return ["Provider user"]
        return [Role(r).label for r in self.roles if r in Role.values]


class DocumentQuerySet(models.QuerySet):
    def visible_to(self, user):
        from qaf.scoping import PROVIDER, roles_of

        roles = roles_of(user)
        if not roles:
            return self.none()
        if PROVIDER in roles:
            return self.filter(
                provider_id=user.provider_id, visible_to_provider=True, status=Document.Status.READY
            )
        return self

    def about(self, source: models.Model) -> DocumentQuerySet:
        """The documents issued from ``source`` (a review's reports, a suspension's letters)."""
        from django.contrib.contenttypes.models import ContentType

        return self.filter(
            source_type=ContentType.objects.get_for_model(type(source)), source_id=source.pk
        ).select_related("issued_by")


class Document(models.Model):
    """An issued document (SPEC §7): a PDF stored immutably with its date and recipients.

    Rendered by a Celery task (qaf.pdf); once ready its file never changes. A correction is a
    new document.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Being produced"
        READY = "ready", "Issued"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    # None for a council-wide document (the Managed Placements Memo): staff only, never a
    # provider's (a constraint; provider users see their own provider's documents only).
    provider = models.ForeignKey(
        "providers.Provider",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
    )
    service = models.ForeignKey(
        "providers.Service",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
    )
    source_type = models.ForeignKey(
        "contenttypes.ContentType",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    source_id = models.PositiveBigIntegerField(null=True, blank=True)
    template = models.CharField(max_length=200)
    context = models.JSONField(
        default=dict, blank=True, help_text="What the template needs besides the source object"
    )
    file = models.FileField(upload_to="documents/%Y/%m/", max_length=200, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True)
    visible_to_provider = models.BooleanField(default=False)
    recipients = models.JSONField(default=list, blank=True)
    issued_by = models.ForeignKey(
        "qaf.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    issued_at = models.DateTimeField(auto_now_add=True)
    rendered_at = models.DateTimeField(null=True, blank=True)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_at", "-pk"]
        indexes = [models.Index(fields=["source_type", "source_id"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(provider__isnull=False)
                | models.Q(service__isnull=True, visible_to_provider=False),
                name="council_document_not_for_providers",
                violation_error_message="A document without a provider is the council's own: "
                "it has no service and is never shown to provider users.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("document_download", args=[self.pk])

    @property
    def source(self):
        if not self.source_type_id:
            return None
        return self.source_type.get_object_for_this_type(pk=self.source_id)


class Notification(models.Model):
    """A message on a user's home page (and by email) about any object: a service whose review
    is due, an information request, a suspension... Created once per (user, object, kind,
    due date) through ``qaf.notifications``, which also sends the emails.

    ``kind`` is one of the kinds the apps register (``qaf.notifications.register_kind``), not a
    database choice: a new workflow adds kinds without a migration here.
    """

    user = models.ForeignKey("qaf.User", on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40)
    content_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.CASCADE, related_name="+"
    )
    object_id = models.PositiveBigIntegerField()
    about = GenericForeignKey("content_type", "object_id")
    # The service the notice concerns, when there is one: deleting the service deletes its
    # notices, and lists can show or filter by it without reading each object.
    service = models.ForeignKey(
        "providers.Service", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    due_date = models.DateField()
    message = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "content_type", "object_id", "kind", "due_date"],
                name="qaf_notification_once",
            ),
        ]
        indexes = [
            # The sender's claim: only the rows not emailed yet.
            models.Index(
                fields=["user"],
                condition=models.Q(emailed_at__isnull=True),
                name="qaf_notification_unsent",
            ),
            # The home page: a user's unread notices by due date.
            models.Index(
                fields=["user", "due_date"],
                condition=models.Q(read_at__isnull=True),
                name="qaf_notification_unread",
            ),
        ]

    def __str__(self) -> str:
        return self.message

    def get_absolute_url(self) -> str:
        """The page of what the notice is about (its service's, if that object has none)."""
        about = self.about
        if about is not None and hasattr(about, "get_absolute_url"):
            return about.get_absolute_url()
        if self.service_id:
            return reverse("providers:service_detail", args=[self.service_id])
        return reverse("home")

    @property
    def kind_label(self) -> str:
        from qaf.notifications import kind_label

        return kind_label(self.kind)


class LetterTemplate(models.Model):
    """One version of a letter's text (``qaf.letters``): an administrator's edit saves the next
    version and never changes an old one. The newest version of a key is the current text; with
    no row yet, the text the app registered is version 1 (stored when first used).

    The text is plain paragraphs with ``{{ field }}`` merge fields, never a Django template:
    ``qaf.letters`` renders it, escaping every value.
    """

    key = models.CharField(max_length=40)
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=120)
    body = models.TextField()
    note = models.TextField(blank=True, help_text="What changed and why")
    created_by = models.ForeignKey(
        "qaf.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["key", "-version"]
        constraints = [
            # Two administrators saving the next version at once: one of them is refused.
            models.UniqueConstraint(fields=["key", "version"], name="qaf_letter_version_once"),
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="qaf_letter_version_from_one"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title}, version {self.version}"

    def get_absolute_url(self) -> str:
        return reverse("letters:version", args=[self.key, self.version])
