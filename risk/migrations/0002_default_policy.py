"""Version 1 of the risk policy: SPEC §4's matrix and SPEC §5's schedules, exactly."""

from django.db import migrations

# Frozen copies of risk.matrix.DEFAULT_MATRIX and risk.schedules.DEFAULT_SCHEDULES as they were
# when this migration was written: later code changes must not change what it created.
DEFAULT_MATRIX = {
    "regulator_rating": {
        "enabled": True,
        "weights": {"green": 0, "amber": 1, "red": 3},
        "mapping": {
            "outstanding": "green",
            "good": "green",
            "requires_improvement": "amber",
            "inadequate": "red",
        },
    },
    "inspection_age": {
        "enabled": True,
        "weights": {"green": 0, "amber": 1, "red": 3},
        "amber_years": 3,
        "never_inspected": "amber",
    },
    "sponsorship_licence": {
        "enabled": True,
        "weights": {"green": 0, "amber": 1, "red": 3},
        "mapping": {"not_held": "green", "active": "green", "suspended": "red", "revoked": "red"},
    },
    "safeguarding_enquiry": {
        "enabled": True,
        "weights": {"green": 0, "amber": 1, "red": 3},
        "open": "red",
    },
    "registered_manager": {
        "enabled": True,
        "weights": {"green": 0, "amber": 1, "red": 3},
        "not_in_post": "amber",
    },
    "review_outcome": {
        "enabled": True,
        "weights": {"green": 0, "amber": 1, "red": 3},
        "mapping": {"green": "green", "amber": "amber", "red": "red"},
    },
    "review_age": {
        "enabled": True,
        "weights": {"green": 0, "amber": 1, "red": 3},
        "amber_years": 2,
        "red_years": 5,
        "never_reviewed": "amber",
    },
    "safeguarding_audit": {
        "enabled": True,
        "weights": {"green": 0, "amber": 1, "red": 3},
        "mapping": {"satisfactory": "green", "not_satisfactory": "amber"},
    },
    "safeguarding_audit_age": {
        "enabled": True,
        "weights": {"green": 0, "amber": 1, "red": 3},
        "amber_years": 1,
        "never_audited": "amber",
    },
}
DEFAULT_SCHEDULES = {
    "review_interval_months": {"green": 24, "amber": 12, "red": 6},
    "market_risk_max_months": 12,
    "follow_up_months": 6,
    "minimum_contact_months": 12,
    "out_of_area_request_months": {
        "inadequate": 3,
        "requires_improvement": 6,
        "good": 12,
        "outstanding": 24,
        "not_rated": 12,
    },
    "direct_monitoring_min_people": 5,
    "direct_monitoring_capacity_percent": 25,
    "due_soon_days": 30,
    "information_request_days": 28,
    "provider_comment_days": 14,
    "improvement_plan_days": 14,
    "final_warning_months": 6,
    "sustainability_review_months": 6,
    "board_papers_days": 7,
    "suspension_concern_months": 3,
}


def create_default(apps, schema_editor):
    PolicyVersion = apps.get_model("risk", "PolicyVersion")
    PolicyVersion.objects.get_or_create(
        number=1,
        defaults={
            "matrix": DEFAULT_MATRIX,
            "schedules": DEFAULT_SCHEDULES,
            "note": "SPEC §4 and §5 defaults",
        },
    )


def remove_default(apps, schema_editor):
    apps.get_model("risk", "PolicyVersion").objects.filter(number=1).delete()


class Migration(migrations.Migration):
    dependencies = [("risk", "0001_initial")]

    operations = [migrations.RunPython(create_default, remove_default)]
