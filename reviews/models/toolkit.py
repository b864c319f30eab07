"""Review toolkits: versioned templates of domains -> standards -> questions.

A published version is immutable; editing one makes a new draft version (reviews.services).
A review records the toolkit version it was scored against.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse


class ToolkitStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    RETIRED = "retired", "Retired"


class Toolkit(models.Model):
    name = models.CharField(max_length=200)
    version = models.PositiveIntegerField(default=1)
    status = models.CharField(
        max_length=12, choices=ToolkitStatus.choices, default=ToolkitStatus.DRAFT
    )
    description = models.TextField(blank=True)
    based_on = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="toolkit_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} (version {self.version})"

    def get_absolute_url(self) -> str:
        return reverse("reviews:toolkit_detail", args=[self.pk])

    @property
    def editable(self) -> bool:
        return self.status == ToolkitStatus.DRAFT


class Domain(models.Model):
    toolkit = models.ForeignKey(Toolkit, on_delete=models.CASCADE, related_name="domains")
    order = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=120)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.title


class Standard(models.Model):
    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="standards")
    order = models.PositiveSmallIntegerField(default=0)
    code = models.CharField(max_length=12, help_text="Short reference, like S1")
    title = models.CharField(max_length=300)
    outcome = models.TextField(blank=True, help_text="What good looks like for people")

    class Meta:
        ordering = ["domain__order", "order", "pk"]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class Question(models.Model):
    standard = models.ForeignKey(Standard, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveSmallIntegerField(default=0)
    text = models.TextField()
    guidance = models.TextField(blank=True, help_text="How to judge it")
    evidence_prompts = models.TextField(blank=True, help_text="What to look at or ask for")

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.text[:80]
