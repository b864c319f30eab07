"""An issued Managed Placements Memo (SPEC §6, §7; source 003 §2.6): its number, date, who
issued it and a copy of its entries, which the next issue's GREEN part is worked out from.

An issue never changes: the database refuses any UPDATE or DELETE of a row (a trigger, in the
migration), and its PDF is an issued ``qaf.models.Document`` (council-wide: no provider, never
shown to provider users) whose file is rendered once.
"""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.urls import reverse
from django.utils import timezone

from qaf.scoping import ScopedQuerySet

MEMO_DOCUMENT_KIND = "managed_placements_memo"


class MemoIssueQuerySet(ScopedQuerySet):
    def for_provider_user(self, user) -> MemoIssueQuerySet:
        # Confidential to council and health staff (source 003 §2.6): never a provider's.
        return self.none()

    def latest_issue(self) -> MemoIssue | None:
        return self.order_by("-number").first()


class MemoIssue(models.Model):
    number = models.PositiveIntegerField(unique=True, editable=False)
    issued_on = models.DateField(help_text="The memo's date: “Updated <date>”")
    issued_at = models.DateTimeField(default=timezone.now, editable=False)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    previous = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The issue this one's GREEN part was worked out from",
    )
    entries = models.JSONField(
        default=list,
        encoder=DjangoJSONEncoder,
        help_text="Every entry as issued (escalation.memo.Entry.as_json), in the memo's order",
    )

    objects = MemoIssueQuerySet.as_manager()

    class Meta:
        ordering = ["-number"]
        verbose_name = "Managed Placements Memo issue"
        constraints = [
            models.CheckConstraint(condition=models.Q(number__gte=1), name="memo_issue_number"),
        ]

    def __str__(self) -> str:
        from escalation.memo import title_for

        return title_for(self.issued_on)

    def get_absolute_url(self) -> str:
        return reverse("memo:issue_detail", args=[self.number])

    def memo(self):
        """The issue as a memo, from its stored entries (escalation.memo)."""
        from escalation import memo

        return memo.from_entries(
            (memo.Entry.from_json(row) for row in self.entries),
            updated=self.issued_on,
            number=self.number,
            previous_number=self.previous.number if self.previous_id else None,
        )

    def document_context(self) -> dict:
        """What the PDF shows (qaf.pdf.render_document): the memo as issued."""
        from escalation import memo

        return {"memo": self.memo(), "texts": memo.texts()}
