"""Improvement plans (SPEC §6 "Improvement plan"; source 000 §7, 003 §2.5).

A final review rated Amber or Red, or a regulator rating of Requires improvement or Inadequate,
makes QAF *suggest* a plan (``PlanSuggestion``, one per trigger). An officer opens a plan from
it, adds it to the service's open plan ("merge these into one Improvement Plan", 000 §7), or
records why none is needed. **One open plan per service**, held by the database.

The plan is the provider's ("owned by the provider", 000 §7): the issues it answers
(``PlanIssue``: a review's standard scored Amber/Red, the regulator's findings, or free text,
with whether the regulator already agreed an action plan covering it, 003 §2.5), and at least
one SMART action per issue (``PlanAction``: what, how success is evidenced, who, by when, its
status). Its states change only through ``escalation.plan_workflows``:

    draft --submit--> submitted --accept--> accepted --(every action verified)--> closed
                      submitted --return--> returned --submit--> submitted
    (an issue added to a submitted or accepted plan returns it to the provider for its actions)

    PlanAction: not_started/in_progress/done --update--> in_progress/done (``PlanUpdate`` with
    evidence from the library); done --verify--> verified; verified/done --reopen--> in_progress
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from qaf.models import VersionedModel
from qaf.scoping import ScopedQuerySet


class TriggerKind(models.TextChoices):
    REVIEW = "review", "Final review rated Amber or Red"
    REGULATOR = "regulator", "Regulator rating"


class PlanSuggestionStatus(models.TextChoices):
    OPEN = "open", "Waiting for an officer"
    PLANNED = "planned", "In an improvement plan"
    NOT_NEEDED = "not_needed", "No plan needed"


class PlanSuggestionQuerySet(ScopedQuerySet):
    provider_field = "service__provider_id"

    def for_provider_user(self, user):
        # The suggestions are the council's working list; the provider sees the plan itself.
        return self.none()


class PlanSuggestion(models.Model):
    """One trigger for a plan, waiting for an officer's decision (000 §7)."""

    service = models.ForeignKey(
        "providers.Service", on_delete=models.CASCADE, related_name="plan_suggestions"
    )
    kind = models.CharField(max_length=12, choices=TriggerKind.choices)
    review = models.ForeignKey(
        "reviews.Review", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # For a regulator trigger: the rating and the inspection (or change) date it was read on.
    rating = models.CharField(max_length=32, blank=True)
    arose_on = models.DateField(help_text="The day of the review's final report or the rating")
    status = models.CharField(
        max_length=12, choices=PlanSuggestionStatus.choices, default=PlanSuggestionStatus.OPEN
    )
    plan = models.ForeignKey(
        "escalation.ImprovementPlan",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="suggestions",
    )
    not_needed_reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PlanSuggestionQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-arose_on", "-pk"]
        # Open suggestions in their order (officers' home pages, the suggested plans list):
        # the newest read from the index rather than sorted out of all of them.
        indexes = [
            models.Index(fields=["status", "-arose_on", "-id"], name="plan_suggestion_open_order")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["review"],
                condition=Q(kind="review"),
                name="plan_suggestion_once_per_review",
            ),
            models.UniqueConstraint(
                fields=["service", "rating", "arose_on"],
                condition=Q(kind="regulator"),
                name="plan_suggestion_once_per_rating",
            ),
            models.CheckConstraint(
                condition=Q(kind="regulator") | Q(review__isnull=False),
                name="plan_suggestion_review_has_review",
            ),
            models.CheckConstraint(
                condition=~Q(status="not_needed") | ~Q(not_needed_reason=""),
                name="plan_suggestion_not_needed_has_reason",
                violation_error_message="Say why no improvement plan is needed.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.describe()} ({self.service})"

    def describe(self) -> str:
        day = f"{self.arose_on.day} {self.arose_on:%B %Y}"
        if self.kind == TriggerKind.REVIEW:
            rag = {"amber": "Amber", "red": "Red"}.get(self.review.rating, self.review.rating)
            return f"Final review rated {rag} on {day}"
        from providers.models import RegulatorRating

        label = dict(RegulatorRating.choices).get(self.rating, self.rating)
        return f"Regulator rating {label} (from {day})"


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft: the provider is writing it"
    SUBMITTED = "submitted", "Submitted: waiting for the officer"
    RETURNED = "returned", "Returned to the provider"
    ACCEPTED = "accepted", "Accepted: in progress"
    CLOSED = "closed", "Closed: every action verified"


OPEN_PLAN_STATES = (
    PlanStatus.DRAFT,
    PlanStatus.SUBMITTED,
    PlanStatus.RETURNED,
    PlanStatus.ACCEPTED,
)
# The provider writes (issues, actions) while the plan is with it.
WITH_PROVIDER = (PlanStatus.DRAFT, PlanStatus.RETURNED)


class ImprovementPlanQuerySet(ScopedQuerySet):
    provider_field = "service__provider_id"

    def open(self) -> ImprovementPlanQuerySet:
        return self.exclude(status=PlanStatus.CLOSED)

    def with_overdue(self, today: date) -> ImprovementPlanQuerySet:
        """``submission_overdue``: still with the provider after its date; ``overdue_actions``:
        agreed actions past their due date and not done."""
        late = PlanAction.objects.filter(plan=models.OuterRef("pk")).overdue(today)
        return self.annotate(
            submission_overdue=models.ExpressionWrapper(
                Q(status__in=WITH_PROVIDER, submit_due__lt=today),
                output_field=models.BooleanField(),
            ),
            overdue_actions=models.Exists(late),
        )


class ImprovementPlan(VersionedModel):
    service = models.ForeignKey(
        "providers.Service", on_delete=models.PROTECT, related_name="improvement_plans"
    )
    status = models.CharField(max_length=12, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    # "The provider will be asked to identify an individual within the organisation to be
    # responsible for delivering the Improvement Plan" (000 §7).
    responsible_person = models.CharField(
        "Person responsible for delivering the plan", max_length=200, blank=True
    )
    consultation = models.TextField(
        "Who was consulted",
        blank=True,
        help_text="The commissioners, people supported, families and other stakeholders the "
        "provider consulted on the plan (000 §7)",
    )
    requested_on = models.DateField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submit_due = models.DateField(help_text="The plan is submitted by this day")
    submitted_on = models.DateField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    returned_on = models.DateField(null=True, blank=True)
    return_comment = models.TextField(blank=True)
    times_returned = models.PositiveSmallIntegerField(default=0)
    accepted_on = models.DateField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_on = models.DateField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ImprovementPlanQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-requested_on", "-pk"]
        constraints = [
            # 000 §7: "merge these into one Improvement Plan" (STYLE habit 5).
            models.UniqueConstraint(
                fields=["service"],
                condition=~Q(status="closed"),
                name="one_open_improvement_plan_per_service",
                violation_error_message="This service has an open improvement plan already: "
                "add the issues to it.",
            ),
            models.CheckConstraint(
                condition=Q(submit_due__gte=models.F("requested_on")),
                name="improvement_plan_due_after_request",
            ),
        ]

    def __str__(self) -> str:
        return f"Improvement plan for {self.service}"

    def get_absolute_url(self) -> str:
        return reverse("escalation:plan_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status != PlanStatus.CLOSED

    @property
    def with_provider(self) -> bool:
        return self.status in WITH_PROVIDER

    def submission_overdue_on(self, today: date) -> bool:
        """Still with the provider after its due day (the due day itself is not overdue)."""
        return self.with_provider and today > self.submit_due


class IssueSource(models.TextChoices):
    REVIEW_STANDARD = "review_standard", "A standard scored Amber or Red at a review"
    REGULATOR = "regulator", "The regulator's findings"
    OTHER = "other", "Other"


class PlanIssue(models.Model):
    """An issue the plan answers (SPEC §6)."""

    plan = models.ForeignKey(ImprovementPlan, on_delete=models.CASCADE, related_name="issues")
    source = models.CharField(max_length=16, choices=IssueSource.choices, default="other")
    review = models.ForeignKey(
        "reviews.Review", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    standard = models.ForeignKey(
        "reviews.Standard", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rag = models.CharField("Standard's rating", max_length=8, blank=True)
    text = models.TextField("The issue")
    # 003 §2.5: "unless the areas of concern are already being addressed in an improvement plan
    # agreed with CQC".
    regulator_plan_agreed = models.BooleanField(
        "Already covered by an action plan agreed with the regulator", default=False
    )
    regulator_plan_note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["plan", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(source="review_standard")
                | Q(review__isnull=False, standard__isnull=False),
                name="plan_issue_standard_has_review",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:80]


class PlanActionStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done: waiting for verification"
    VERIFIED = "verified", "Verified"


OPEN_ACTION_STATES = (PlanActionStatus.NOT_STARTED, PlanActionStatus.IN_PROGRESS)


class PlanActionQuerySet(ScopedQuerySet):
    provider_field = "plan__service__provider_id"

    def overdue(self, today: date) -> PlanActionQuerySet:
        """Agreed actions past their due day and not done (due today is not overdue)."""
        return self.filter(agreed=True, due_on__lt=today, status__in=OPEN_ACTION_STATES).exclude(
            plan__status=PlanStatus.CLOSED
        )


class PlanAction(VersionedModel):
    """A SMART action (000 §7): what, how success is evidenced, who, by when."""

    plan = models.ForeignKey(ImprovementPlan, on_delete=models.CASCADE, related_name="actions")
    issue = models.ForeignKey(PlanIssue, on_delete=models.CASCADE, related_name="actions")
    what = models.TextField("What will be done")
    success_measure = models.TextField("How success will be evidenced")
    responsible = models.CharField("Person responsible", max_length=200)
    due_on = models.DateField("Due date")
    status = models.CharField(
        max_length=12, choices=PlanActionStatus.choices, default=PlanActionStatus.NOT_STARTED
    )
    # Agreed when the council accepts the plan with it: from then on it is updated, not edited.
    agreed = models.BooleanField(default=False)
    # The officer's comment when the plan is returned (one per action, SPEC §6).
    return_comment = models.TextField(blank=True)
    verified_on = models.DateField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reopen_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = PlanActionQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["issue_id", "due_on", "pk"]

    def __str__(self) -> str:
        return self.what[:80]

    def get_absolute_url(self) -> str:
        return f"{self.plan.get_absolute_url()}#action-{self.pk}"

    def is_overdue(self, today: date) -> bool:
        return (
            self.agreed
            and self.plan.status != PlanStatus.CLOSED
            and self.status in OPEN_ACTION_STATES
            and self.due_on < today
        )


class PlanUpdate(models.Model):
    """The provider's update on an action, with evidence from its library (SPEC §6)."""

    action = models.ForeignKey(PlanAction, on_delete=models.CASCADE, related_name="updates")
    text = models.TextField()
    status = models.CharField(
        "The action's status after the update", max_length=12, choices=PlanActionStatus.choices
    )
    evidence = models.ManyToManyField("providers.Evidence", blank=True, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["action", "created_at", "pk"]

    def __str__(self) -> str:
        return self.text[:80]

    # What the evidence page reads with each update (providers.uses.describe): one query.
    evidence_use_related = ("action__plan__service",)

    def evidence_use(self) -> tuple[str, str]:
        """How the evidence page names this use (providers' evidence uses)."""
        plan = self.action.plan
        return (
            f"Improvement plan for {plan.service.name}: update on “{self.action.what[:60]}”",
            plan.get_absolute_url(),
        )
