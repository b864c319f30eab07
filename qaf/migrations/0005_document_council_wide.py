"""A document may be the council's own (the Managed Placements Memo): no provider, no service,
never shown to provider users."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('providers', '0007_registration_date_registered_manager_not_known'),
        ('qaf', '0004_letter_templates'),
    ]

    operations = [
        migrations.AlterField(
            model_name='document',
            name='provider',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='documents', to='providers.provider'),
        ),
        migrations.AddConstraint(
            model_name='document',
            constraint=models.CheckConstraint(condition=models.Q(('provider__isnull', False), models.Q(('service__isnull', True), ('visible_to_provider', False)), _connector='OR'), name='council_document_not_for_providers', violation_error_message="A document without a provider is the council's own: it has no service and is never shown to provider users."),
        ),
    ]
