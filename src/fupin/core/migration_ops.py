"""Migration operations shared by several apps."""

from django.db import migrations, models


def plain_indexes(schema_editor, table: str, column: str) -> list[str]:
    """The names of the ordinary (btree, not unique, not primary key) single-column indexes on
    `column` of `table`, as the database has them (Django's generated names, whatever they are)."""
    conn = schema_editor.connection
    with conn.cursor() as cursor:
        found = conn.introspection.get_constraints(cursor, table)
    return [name for name, info in found.items()
            if info.get("index") and info.get("columns") == [column] and not info.get("unique")
            and not info.get("primary_key")
            and info.get("type") in ("idx", "btree")]  # btree ("idx" to Django), not a GIN/trigram/BRIN index


def prefix_index_only(model_name: str, field_name: str, field: models.Field, index_name: str):
    """Replace a CharField's `db_index=True` by ONE prefix-search index (Meta.indexes, opclass
    varchar_pattern_ops on PostgreSQL, a plain index elsewhere).

    On PostgreSQL Django gives a db_index CharField two indexes: a plain btree and a
    varchar_pattern_ops "_like" one. Where the column is only compared for equality and
    prefix (LIKE 'x%'), the _like index serves both and the plain one is pure write cost: every
    imported row pays for it. The database step keeps the existing _like index (renamed, not
    rebuilt: a province's table holds millions of rows) and drops the plain one; on SQLite the
    single-column index is replaced by one under the new name. `field` is the field as it will be
    (db_index=False)."""

    def forward(apps, schema_editor):
        model = apps.get_model(*model_name.split("."))
        table = model._meta.db_table
        column = model._meta.get_field(field_name).column
        conn = schema_editor.connection
        like = None
        for name in plain_indexes(schema_editor, table, column):
            if name == index_name:
                continue
            if conn.vendor == "postgresql" and name.endswith("_like") and like is None:
                like = name
            else:
                schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")
        q = schema_editor.quote_name
        if like is not None:
            schema_editor.execute(f"ALTER INDEX {q(like)} RENAME TO {q(index_name)}")
        elif conn.vendor == "postgresql":
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {q(index_name)} ON {q(table)} "
                                  f"({q(column)} varchar_pattern_ops)")
        else:
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {q(index_name)} ON {q(table)} ({q(column)})")

    def backward(apps, schema_editor):
        model = apps.get_model(*model_name.split("."))
        # Django's own indexes of a db_index field, under Django's own names, made directly (altering
        # the field would rebuild the table on SQLite and lose its triggers)
        q = schema_editor.quote_name
        table = model._meta.db_table
        column = model._meta.get_field(field_name).column
        plain = schema_editor._create_index_name(table, [column], suffix="")
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER INDEX IF EXISTS {q(index_name)} RENAME TO {q(plain + '_like')}")
        else:
            schema_editor.execute(f"DROP INDEX IF EXISTS {q(index_name)}")
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {q(plain)} ON {q(table)} ({q(column)})")

    model = model_name.split(".")[1]
    return migrations.SeparateDatabaseAndState(
        state_operations=[
            migrations.AlterField(model_name=model, name=field_name, field=field),
            migrations.AddIndex(model_name=model, index=models.Index(
                fields=[field_name], name=index_name, opclasses=["varchar_pattern_ops"])),
        ],
        database_operations=[migrations.RunPython(forward, backward)],
    )
