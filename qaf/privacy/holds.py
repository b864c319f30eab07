"""Records still needed, whatever their age (docs/data-protection.md): everything about a
service under an open escalation case, improvement plan, suspension or revocation, or a legal
hold on the service or its provider. A provider-wide record is held when the provider, or any
of its services, is. An officer working a case expects its whole history to be there: the
evidence of a pattern may be an entry from seven years ago."""

from __future__ import annotations

from django.db.models import Q, QuerySet


def held_service_ids() -> QuerySet:
    """The ids of the services whose records the purge keeps (a subquery)."""
    from escalation.models import EscalationCase, ImprovementPlan, Revocation, Suspension
    from providers.models import Service
    from qaf.privacy.models import LegalHold

    holds = LegalHold.objects.active()
    return Service.objects.filter(
        Q(pk__in=EscalationCase.objects.open().values("service_id"))
        | Q(pk__in=ImprovementPlan.objects.open().values("service_id"))
        | Q(pk__in=Suspension.objects.open().values("service_id"))
        | Q(pk__in=Revocation.objects.open().values("service_id"))
        | Q(pk__in=holds.filter(service__isnull=False).values("service_id"))
        | Q(provider_id__in=holds.filter(provider__isnull=False).values("provider_id"))
    ).values("pk")


def held_provider_ids() -> QuerySet:
    """The ids of the providers whose provider-wide records the purge keeps."""
    from providers.models import Provider
    from qaf.privacy.models import LegalHold

    return Provider.objects.filter(
        Q(pk__in=LegalHold.objects.active().filter(provider__isnull=False).values("provider_id"))
        | Q(services__in=held_service_ids())
    ).values("pk")
