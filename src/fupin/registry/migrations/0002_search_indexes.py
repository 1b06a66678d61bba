"""Prefix search (name, pinyin initials) must use an index on PostgreSQL, whose default
collation keeps LIKE 'abc%' from using a plain btree: add varchar_pattern_ops indexes.
SQLite (the embedded demo database) scans, which is fast enough at a city's size."""

from django.db import migrations

INDEXES = [
    ("registry_member_name_prefix", "registry_member", "name"),
    ("registry_member_initials_prefix", "registry_member", "name_initials"),
    ("registry_household_head_prefix", "registry_household", "head_name"),
    ("registry_household_initials_prefix", "registry_household", "head_initials"),
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, column in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({column} varchar_pattern_ops)")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
