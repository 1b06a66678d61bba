# One person is an active (在户) member of at most one household (domain.md 4): the partial unique
# index uniq_active_person. On PostgreSQL, 0004's AlterField of Member.id_number (db_index=True ->
# False) let Django drop every index on that column that is not in Meta.indexes, and the partial
# unique index of the UniqueConstraint was one of them, so databases migrated through 0004 lost it
# while Django's migration state still lists it. Made again where it is missing. If active people
# were duplicated meanwhile, this fails and names the key: resolve the duplicates, then migrate.

from django.db import migrations

SQL = "CREATE UNIQUE INDEX IF NOT EXISTS uniq_active_person ON registry_member (id_number) WHERE state = '在户'"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SQL)


class Migration(migrations.Migration):

    dependencies = [
        ("registry", "0005_prefix_indexes_only"),
    ]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
