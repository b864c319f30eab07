"""When a service's facts change, re-rate the services affected, once, after the commit.

Saves through forms, the API, the admin and the workflows all send these signals. Bulk
writes (imports) call ``mark_services_dirty`` themselves. Within one transaction the affected
services are collected and re-rated together when it commits; a rollback re-rates nothing new.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from providers.models import Intelligence, Provider, Service
from reviews.models import InformationRequest, InformationRequestItem, Review


def mark_services_dirty(service_ids: Iterable[int]) -> None:
    pending: set[int] = connection.__dict__.setdefault("_qaf_dirty_services", set())
    pending.update(service_ids)
    transaction.on_commit(_recompute_pending)


def _recompute_pending() -> None:
    from risk.recompute import recompute

    pending: set[int] = connection.__dict__.get("_qaf_dirty_services", set())
    if not pending:
        return
    ids = sorted(pending)
    pending.clear()
    recompute(ids)
    # The same facts (a final review's rating, the regulator's) may suggest an improvement plan:
    # on the service page at once, not only after the night's run.
    from escalation.plan_services import sync_suggestions

    sync_suggestions(service_ids=ids)


@receiver(post_save, sender=Service)
def _service_saved(sender, instance: Service, raw=False, **kwargs):
    if not raw:
        mark_services_dirty([instance.pk])


@receiver(post_save, sender=Provider)
def _provider_saved(sender, instance: Provider, raw=False, update_fields=None, **kwargs):
    # Only the sponsorship licence of a provider is a fact of its services' ratings.
    if raw or kwargs.get("created"):
        return
    if update_fields is not None and "sponsorship_licence" not in update_fields:
        return
    from risk.recompute import services_of_providers

    mark_services_dirty(services_of_providers([instance.pk]))


@receiver([post_save, post_delete], sender=Intelligence)
def _intelligence_changed(sender, instance: Intelligence, raw=False, **kwargs):
    if raw:
        return
    from risk.recompute import affected_by_intelligence

    mark_services_dirty(affected_by_intelligence(instance))


@receiver([post_save, post_delete], sender=Review)
def _review_changed(sender, instance: Review, raw=False, **kwargs):
    if not raw:
        mark_services_dirty([instance.service_id])


@receiver([post_save, post_delete], sender=InformationRequest)
def _request_changed(sender, instance: InformationRequest, raw=False, **kwargs):
    # A sent request moves the out-of-area request clock (source 004).
    if not raw:
        mark_services_dirty([instance.service_id])


@receiver(post_save, sender=InformationRequestItem)
def _request_item_changed(sender, instance: InformationRequestItem, raw=False, **kwargs):
    # A provider's answer is contact (SPEC §5 minimum contact).
    if not raw and instance.answered_at is not None:
        mark_services_dirty(
            InformationRequest.objects.filter(pk=instance.request_id).values_list(
                "service_id", flat=True
            )
        )
