# The audit trail's actor without a database foreign key (see AuditEntry.actor): one lookup less
# per audited change. On SQLite the field change rebuilds the table, which drops its triggers, so
# the append-only trigger of 0002 is made again.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def sqlite_guard_again(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        from importlib import import_module

        guard = import_module("fupin.core.migrations.0002_audit_append_only")
        schema_editor.execute(guard.SQLITE_BACKWARD)
        schema_editor.execute(guard.SQLITE_FORWARD)


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0003_prefix_indexes_only'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # backward, after the reversed AlterField has rebuilt the table
        migrations.RunPython(migrations.RunPython.noop, sqlite_guard_again),
        migrations.AlterField(
            model_name='auditentry',
            name='actor',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        # forward, after the AlterField has rebuilt the table
        migrations.RunPython(sqlite_guard_again, migrations.RunPython.noop),
    ]
