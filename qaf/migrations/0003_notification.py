"""Notifications move from risk to qaf, about any object (a generic relation), with the kinds
an open list: a new table, and every existing notice copied into it with the same id.

A notice about a service points at the service. An overdue information request notice points
at its request when one is found (the officer's sent request to that service due that day,
the first if several), else at the service as before. Reversible: the reverse copies the
notices about services and requests back into risk's table (risk 0005 recreates it first).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

OLD_KINDS = (
    "review_due_soon",
    "review_overdue",
    "follow_up_due_soon",
    "follow_up_overdue",
    "request_overdue",
)


def _content_type(apps, app_label, model):
    ContentType = apps.get_model("contenttypes", "ContentType")
    return ContentType.objects.get_or_create(app_label=app_label, model=model)[0].pk


def copy_from_risk(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM risk_notification)")
        if not cursor.fetchone()[0]:
            return
        service_type = _content_type(apps, "providers", "service")
        request_type = _content_type(apps, "reviews", "informationrequest")
        cursor.execute(
            """
            INSERT INTO qaf_notification (id, user_id, kind, content_type_id, object_id,
                service_id, due_date, message, created_at, emailed_at, read_at)
            SELECT n.id, n.user_id, n.kind,
                CASE WHEN r.id IS NULL THEN %s ELSE %s END,
                COALESCE(r.id, n.service_id), n.service_id, n.due_date, n.message,
                n.created_at, n.emailed_at, n.read_at
            FROM risk_notification n
            LEFT JOIN LATERAL (
                SELECT ir.id FROM reviews_informationrequest ir
                WHERE n.kind = 'request_overdue' AND ir.created_by_id = n.user_id
                    AND ir.service_id = n.service_id AND ir.due_date = n.due_date
                ORDER BY ir.id LIMIT 1
            ) r ON true
            ORDER BY n.id
            """,
            [service_type, request_type],
        )
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('qaf_notification', 'id'), "
            "COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM qaf_notification"
        )


def copy_back_to_risk(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO risk_notification (id, user_id, service_id, kind, due_date, message,
                created_at, emailed_at, read_at)
            SELECT id, user_id, service_id, kind, due_date, message, created_at, emailed_at,
                read_at
            FROM qaf_notification
            WHERE service_id IS NOT NULL AND kind = ANY(%s)
            ORDER BY id
            ON CONFLICT DO NOTHING
            """,
            [list(OLD_KINDS)],
        )
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('risk_notification', 'id'), "
            "COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM risk_notification"
        )


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('providers', '0005_intelligence_verbose_names'),
        ('qaf', '0002_issued_documents'),
        # The table copied from, and the requests an overdue-request notice now points at.
        ('risk', '0004_notification_request_overdue'),
        ('reviews', '0005_toolkit_published_by'),
    ]

    operations = [
        migrations.CreateModel(
            name='Notification',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(max_length=40)),
                ('object_id', models.PositiveBigIntegerField()),
                ('due_date', models.DateField()),
                ('message', models.TextField()),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('emailed_at', models.DateTimeField(blank=True, null=True)),
                ('read_at', models.DateTimeField(blank=True, null=True)),
                ('content_type', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='contenttypes.contenttype')),
                ('service', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='providers.service')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-created_at', '-pk'],
                'indexes': [models.Index(condition=models.Q(('emailed_at__isnull', True)), fields=['user'], name='qaf_notification_unsent'), models.Index(condition=models.Q(('read_at__isnull', True)), fields=['user', 'due_date'], name='qaf_notification_unread')],
                'constraints': [models.UniqueConstraint(fields=('user', 'content_type', 'object_id', 'kind', 'due_date'), name='qaf_notification_once')],
            },
        ),
        migrations.RunPython(copy_from_risk, copy_back_to_risk),
    ]
