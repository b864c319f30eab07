"""Backfill the uses of evidence linked before uses were recorded (issue 12): one row per
existing link, dated by the linking row's own time where it has one (when the item was
answered, the comment written, the appeal submitted), else now, and by its person where it
has one. Reversing removes every use (the table is new with the previous migration)."""

from django.db import migrations
from django.utils import timezone

# The linking row's own time and person, first found wins.
TIME_FIELDS = ("answered_at", "submitted_at", "created_at", "updated_at")
PERSON_FIELDS = ("answered_by", "submitted_by", "author", "updated_by")
BATCH = 2000


def backfill(apps, schema_editor):
    EvidenceUse = apps.get_model("providers", "EvidenceUse")
    ContentType = apps.get_model("contenttypes", "ContentType")
    now = timezone.now()
    for model in apps.get_models():
        for field in model._meta.local_many_to_many:
            if field.remote_field.model._meta.label_lower != "providers.evidence":
                continue
            names = {f.name for f in model._meta.concrete_fields}
            when = next((n for n in TIME_FIELDS if n in names), None)
            who = next((n for n in PERSON_FIELDS if n in names), None)
            content_type, _ = ContentType.objects.get_or_create(
                app_label=model._meta.app_label, model=model._meta.model_name
            )
            through = field.remote_field.through
            owner = field.m2m_field_name()
            evidence = field.m2m_reverse_field_name()
            values = [f"{owner}_id", f"{evidence}_id"]
            if when:
                values.append(f"{owner}__{when}")
            if who:
                values.append(f"{owner}__{who}_id")
            rows = []
            for link in through.objects.values_list(*values).iterator(chunk_size=BATCH):
                owner_id, evidence_id, *rest = link
                used_at = (rest.pop(0) if when else None) or now
                used_by = rest.pop(0) if who else None
                rows.append(
                    EvidenceUse(
                        evidence_id=evidence_id,
                        content_type=content_type,
                        object_id=owner_id,
                        used_at=used_at,
                        used_by_id=used_by,
                    )
                )
                if len(rows) >= BATCH:
                    EvidenceUse.objects.bulk_create(rows, ignore_conflicts=True)
                    rows = []
            EvidenceUse.objects.bulk_create(rows, ignore_conflicts=True)


def forget(apps, schema_editor):
    apps.get_model("providers", "EvidenceUse").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("providers", "0009_evidence_uses_versions_review_by"),
        ("contenttypes", "0002_remove_content_type_name"),
        # The models that link evidence, as they are now.
        ("reviews", "0007_provider_comment_period"),
        ("escalation", "0008_revocation"),
    ]

    operations = [migrations.RunPython(backfill, forget)]
