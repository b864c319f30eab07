"""The access log (issue 13 item 8): each row says what kind of access it was and what was
opened in words, and outlives the record (SET_NULL) once the retention purge deletes it.
Existing rows are filled in: a row with an intelligence entry was a view, else a download."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def backfill(apps, schema_editor):
    DownloadLog = apps.get_model("providers", "DownloadLog")
    for log in DownloadLog.objects.select_related(
        "evidence__provider", "intelligence__service__provider", "intelligence__provider"
    ).iterator(chunk_size=2000):
        if log.intelligence_id:
            entry = log.intelligence
            log.kind = "intelligence_view"
            subject = entry.service or entry.provider
            log.provider_id = entry.provider_id or entry.service.provider_id
            log.label = f"{entry.kind.replace('_', ' ').capitalize()} on {entry.date:%d %B %Y}, {subject.name}"[:300]
        elif log.evidence_id:
            evidence = log.evidence
            log.provider_id = evidence.provider_id
            log.label = f"{evidence.title} ({evidence.original_name}), {evidence.provider.name}"[:300]
        log.save(update_fields=["kind", "provider", "label"])


class Migration(migrations.Migration):

    dependencies = [
        ('providers', '0010_backfill_evidence_uses'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='downloadlog',
            options={'ordering': ['-at', '-pk'], 'verbose_name': 'access log entry', 'verbose_name_plural': 'access log'},
        ),
        migrations.AddField(
            model_name='downloadlog',
            name='kind',
            field=models.CharField(choices=[('evidence_download', 'Evidence file downloaded'), ('intelligence_view', 'Confidential intelligence viewed')], default='evidence_download', max_length=20),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='downloadlog',
            name='label',
            field=models.CharField(blank=True, max_length=300, verbose_name='what'),
        ),
        migrations.AddField(
            model_name='downloadlog',
            name='provider',
            field=models.ForeignKey(blank=True, help_text='The organisation the record was about', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='providers.provider'),
        ),
        migrations.AlterField(
            model_name='downloadlog',
            name='at',
            field=models.DateTimeField(auto_now_add=True, verbose_name='when'),
        ),
        migrations.AlterField(
            model_name='downloadlog',
            name='evidence',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='downloads', to='providers.evidence'),
        ),
        migrations.AlterField(
            model_name='downloadlog',
            name='intelligence',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='views', to='providers.intelligence'),
        ),
        migrations.AlterField(
            model_name='downloadlog',
            name='ip_address',
            field=models.GenericIPAddressField(blank=True, null=True, verbose_name='IP address'),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name='downloadlog',
            index=models.Index(fields=['at'], name='providers_d_at_8eb58e_idx'),
        ),
        migrations.AddIndex(
            model_name='downloadlog',
            index=models.Index(fields=['user', 'at'], name='providers_d_user_id_ad43d4_idx'),
        ),
    ]
