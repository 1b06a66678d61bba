# Cheaper audited writes (bench/README.md, import): an import of a city writes 665,000 audit rows.
# - before/after: json instead of jsonb on PostgreSQL (core.dbfields.JSONTextField): checked, not
#   parsed and re-sorted; shown as written. Elsewhere they stay JSON text as they were.
# - at: a BRIN index on PostgreSQL instead of a btree (the trail grows in time order); a plain
#   index elsewhere, under the new name.
# - actor: no index (the trail is filtered by actor_name).
# The database steps are written out, not left to AlterField: on SQLite an AlterField rebuilds the
# table, which would drop the append-only trigger of 0002. On PostgreSQL the type change rewrites the
# table under an exclusive lock (docs/operations.md).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import fupin.core.dbfields
from fupin.core.migration_ops import plain_indexes

TABLE = "core_auditentry"


def forward(apps, schema_editor):
    q = schema_editor.quote_name
    for column in ("at", "actor_id"):
        for name in plain_indexes(schema_editor, TABLE, column):
            schema_editor.execute(f"DROP INDEX IF EXISTS {q(name)}")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'ALTER TABLE {q(TABLE)} ALTER COLUMN "before" TYPE json, ALTER COLUMN "after" TYPE json')
        schema_editor.execute(f'CREATE INDEX "core_audit_at_brin" ON {q(TABLE)} USING brin ("at")')
    else:
        schema_editor.execute(f'CREATE INDEX "core_audit_at_brin" ON {q(TABLE)} ("at")')


def backward(apps, schema_editor):
    q = schema_editor.quote_name
    schema_editor.execute('DROP INDEX IF EXISTS "core_audit_at_brin"')
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'ALTER TABLE {q(TABLE)} ALTER COLUMN "before" TYPE jsonb USING "before"::jsonb, '
                              'ALTER COLUMN "after" TYPE jsonb USING "after"::jsonb')
    for column in ("at", "actor_id"):
        name = schema_editor._create_index_name(TABLE, [column])
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {q(name)} ON {q(TABLE)} ({q(column)})")


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0005_audit_object_prefix_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forward, backward)],
            state_operations=[
                migrations.AlterField(
                    model_name='auditentry',
                    name='actor',
                    field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name='auditentry',
                    name='after',
                    field=fupin.core.dbfields.JSONTextField(blank=True, null=True),
                ),
                migrations.AlterField(
                    model_name='auditentry',
                    name='at',
                    field=models.DateTimeField(),
                ),
                migrations.AlterField(
                    model_name='auditentry',
                    name='before',
                    field=fupin.core.dbfields.JSONTextField(blank=True, null=True),
                ),
                migrations.AddIndex(
                    model_name='auditentry',
                    index=fupin.core.dbfields.BrinOnPostgres(fields=['at'], name='core_audit_at_brin'),
                ),
            ],
        ),
    ]
