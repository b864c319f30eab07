"""The permission matrix's public summary objects (issue 14 item 5), for Sunrise only: a final
review without a summary (to publish), a published summary (to read and withdraw) and a
withdrawn one (its public page is 410 Gone). Only one organisation's: the public pages list
every published summary to everyone, Pat included, so Oak Lodge has none here (the matrix
checks Pat is never shown Oak Lodge). Returned as ids, by name."""

from __future__ import annotations

from reviews import public
from tests.factories import ReviewFactory, ServiceFactory


def public_objects(provider, *, olivia, maya) -> dict:
    def final(name: str):
        service = ServiceFactory(provider=provider, name=f"{provider.name} {name}")
        return ReviewFactory(service=service, officer=olivia)

    published = public.publish(final("Mews"), actor=olivia, summary="Clean and friendly.")
    withdrawn = public.publish(final("Terrace"), actor=olivia, summary="Calm and safe.")
    public.withdraw(withdrawn, actor=maya, reason="The provider asked")
    return {
        "review_to_publish": final("Green").pk,
        "summary_published": published.pk,
        "summary_withdrawn": withdrawn.pk,
    }
