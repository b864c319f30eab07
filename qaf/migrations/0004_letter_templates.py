"""Letter texts (qaf.letters): one row per version of a letter; a new table, no data (the
registered default is version 1 until a letter is first issued or edited)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('qaf', '0003_notification'),
    ]

    operations = [
        migrations.CreateModel(
            name='LetterTemplate',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.CharField(max_length=40)),
                ('version', models.PositiveIntegerField()),
                ('title', models.CharField(max_length=120)),
                ('body', models.TextField()),
                ('note', models.TextField(blank=True, help_text='What changed and why')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['key', '-version'],
                'constraints': [models.UniqueConstraint(fields=('key', 'version'), name='qaf_letter_version_once'), models.CheckConstraint(condition=models.Q(('version__gte', 1)), name='qaf_letter_version_from_one')],
            },
        ),
    ]
