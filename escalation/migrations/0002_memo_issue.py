"""The Managed Placements Memo's issues (SPEC §6, §7): stored once, never changed.

The trigger makes the database refuse any UPDATE or DELETE of an issue, whoever asks; an issue's
PDF is a council-wide document (qaf 0004: a document without a provider).
"""

import django.core.serializers.json
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

IMMUTABLE = """
CREATE FUNCTION escalation_memoissue_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'Managed Placements Memo % was issued: an issue never changes', OLD.number
        USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER escalation_memoissue_immutable
    BEFORE UPDATE OR DELETE ON escalation_memoissue
    FOR EACH ROW EXECUTE FUNCTION escalation_memoissue_immutable();
"""


class Migration(migrations.Migration):

    dependencies = [
        ('escalation', '0001_suspensions_and_appeals'),
        ('qaf', '0005_document_council_wide'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='MemoIssue',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.PositiveIntegerField(editable=False, unique=True)),
                ('issued_on', models.DateField(help_text="The memo's date: “Updated <date>”")),
                ('issued_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('entries', models.JSONField(default=list, encoder=django.core.serializers.json.DjangoJSONEncoder, help_text="Every entry as issued (escalation.memo.Entry.as_json), in the memo's order")),
                ('issued_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('previous', models.ForeignKey(blank=True, help_text="The issue this one's GREEN part was worked out from", null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='escalation.memoissue')),
            ],
            options={
                'verbose_name': 'Managed Placements Memo issue',
                'ordering': ['-number'],
                'constraints': [models.CheckConstraint(condition=models.Q(('number__gte', 1)), name='memo_issue_number')],
            },
        ),
        migrations.RunSQL(
            sql=IMMUTABLE,
            reverse_sql="""
                DROP TRIGGER IF EXISTS escalation_memoissue_immutable ON escalation_memoissue;
                DROP FUNCTION IF EXISTS escalation_memoissue_immutable();
            """,
        ),
    ]
