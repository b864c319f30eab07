"""Version 1 of the default review toolkit, built from the policy seeds (SPEC §6, issue 4).

The content lives in ``reviews/default_toolkit.json`` beside this app: the five CQC key
questions as domains, standards from source 001 Appendix 1, source 002's outcomes and source
000 §3's core principles, each with questions, guidance and evidence prompts. Change the
toolkit in the application (a new version), not in that file: the file is what this
migration loads, and a database migrated earlier would not see an edit to it.
"""

import json
from pathlib import Path

from django.db import migrations
from django.utils import timezone

DEFAULT_TOOLKIT = Path(__file__).resolve().parent.parent / "default_toolkit.json"
VERSION = 1


def create_default(apps, schema_editor):
    Toolkit = apps.get_model("reviews", "Toolkit")
    Domain = apps.get_model("reviews", "Domain")
    Standard = apps.get_model("reviews", "Standard")
    Question = apps.get_model("reviews", "Question")

    data = json.loads(DEFAULT_TOOLKIT.read_text(encoding="utf-8"))
    if Toolkit.objects.filter(name=data["name"], version=VERSION).exists():
        return
    toolkit = Toolkit.objects.create(
        name=data["name"],
        version=VERSION,
        status="published",
        description=data["description"],
        published_at=timezone.now(),
    )
    for d_order, d in enumerate(data["domains"], start=1):
        domain = Domain.objects.create(
            toolkit=toolkit, order=d_order, title=d["title"], description=d["description"]
        )
        for s_order, s in enumerate(d["standards"], start=1):
            standard = Standard.objects.create(
                domain=domain, order=s_order, code=s["code"], title=s["title"], outcome=s["outcome"]
            )
            Question.objects.bulk_create(
                Question(
                    standard=standard,
                    order=q_order,
                    text=q["text"],
                    guidance=q["guidance"],
                    evidence_prompts=q["evidence_prompts"],
                )
                for q_order, q in enumerate(s["questions"], start=1)
            )


def remove_default(apps, schema_editor):
    # Domains, standards and questions go with it (CASCADE). Once a review has been planned
    # with it, or a later version is based on it, PROTECT refuses: unapplying this migration
    # must not silently take reviews' toolkit away.
    name = json.loads(DEFAULT_TOOLKIT.read_text(encoding="utf-8"))["name"]
    apps.get_model("reviews", "Toolkit").objects.filter(name=name, version=VERSION).delete()


class Migration(migrations.Migration):
    dependencies = [("reviews", "0002_toolkits_visits_requests_comments")]

    operations = [migrations.RunPython(create_default, remove_default)]
