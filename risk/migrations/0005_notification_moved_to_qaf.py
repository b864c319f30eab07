"""Notifications now live in qaf (qaf 0003 copied every row, with its id, before this drops
risk's table). Unapplied, the table comes back empty and qaf 0003's reverse refills it."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('risk', '0004_notification_request_overdue'),
        ('qaf', '0003_notification'),
    ]

    operations = [
        migrations.DeleteModel(
            name='Notification',
        ),
    ]
