"""Migrating the register to yes / no / not known and registration dates (issue 9 items 6, 7):
what was said stays said, and nothing is invented."""

from __future__ import annotations

import pytest

from tests.support import latest_migrations, migrate_to

BEFORE = [("providers", "0006_plausible_dates")]
AFTER = [("providers", "0007_registration_date_registered_manager_not_known")]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_registered_manager_true_stays_true_and_false_stays_false():
    latest = latest_migrations()
    try:
        old = migrate_to(BEFORE)
        provider = old.get_model("providers", "Provider").objects.create(name="Sunrise Care Ltd")
        OldService = old.get_model("providers", "Service")
        in_post = OldService.objects.create(
            provider=provider,
            name="Sunrise House",
            service_type="care_home",
            regulated=True,
            regulator="CQC",
            registered_manager=True,
        )
        none = OldService.objects.create(
            provider=provider,
            name="Sunrise Lodge",
            service_type="care_home",
            regulated=True,
            regulator="CQC",
            registered_manager=False,
        )

        new = migrate_to(AFTER)
        Service = new.get_model("providers", "Service")
        assert Service.objects.get(pk=in_post.pk).registered_manager is True
        assert Service.objects.get(pk=none.pk).registered_manager is False
        # No registration date is invented: it comes from the CQC or register import.
        assert not Service.objects.filter(registration_date__isnull=False).exists()
        unknown = Service.objects.create(
            provider_id=provider.pk, name="Oak Lodge", service_type="care_home"
        )
        assert unknown.registered_manager is None

        # And back: "not known" becomes "no", never "in post".
        old = migrate_to(BEFORE)
        back = old.get_model("providers", "Service").objects
        assert back.get(pk=unknown.pk).registered_manager is False
        assert back.get(pk=in_post.pk).registered_manager is True
    finally:
        migrate_to(latest)
