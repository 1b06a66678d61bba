"""Column types and indexes whose PostgreSQL form differs from the other databases'.

Each keeps the model portable (SQLite for the demo and the quick test run) while giving
PostgreSQL, where a city's or a province's registry lives, the cheaper form to write.
"""

from __future__ import annotations

from django.contrib.postgres.indexes import OpClass
from django.db import models
from django.db.models.fields.json import KeyTransform, KeyTransformFactory
from django.db.models.indexes import IndexExpression


class JSONTextField(models.JSONField):
    """A JSONField kept as the text written: `json` on PostgreSQL instead of `jsonb`.

    For append-only rows that are written in bulk, shown as they are and never searched by a key
    (the audit trail's before/after). PostgreSQL only checks that the text is JSON instead of
    parsing it into jsonb's binary form and sorting its keys: 2.3 s less for the 665,000 audit rows
    of a city's import (bench/README.md). The keys stay in the order they were written. Elsewhere
    it is a JSONField like any other."""

    def db_type(self, connection):
        if connection.vendor == "postgresql":
            return "json"
        return super().db_type(connection)

    def get_db_prep_save(self, value, connection):
        value = super().get_db_prep_save(value, connection)
        if connection.vendor == "postgresql":
            from psycopg.types.json import Json, Jsonb

            if isinstance(value, Jsonb):  # saved as json, so that the keys keep their order
                return Json(value.obj, value.dumps)
        return value  # (a lookup's value stays jsonb: JSONTextKeyTransform compares as jsonb)

    def get_transform(self, name):
        transform = super().get_transform(name)
        if isinstance(transform, KeyTransformFactory):
            return _JSONTextKeyTransformFactory(name)
        return transform

    def from_db_value(self, value, expression, connection):
        if connection.vendor == "postgresql":
            return value  # psycopg has parsed `json` itself (Django has it hand over only jsonb as text)
        return super().from_db_value(value, expression, connection)


class JSONTextKeyTransform(KeyTransform):
    """`field__key` on a JSONTextField: PostgreSQL's json has no equality, so the column is read as
    jsonb for the look-up (a rare read: the audit trail's before/after are shown, not searched)."""

    def preprocess_lhs(self, compiler, connection):
        lhs, params, keys = super().preprocess_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            lhs = f"({lhs})::jsonb"
        return lhs, params, keys


class _JSONTextKeyTransformFactory(KeyTransformFactory):
    def __call__(self, *args, **kwargs):
        return JSONTextKeyTransform(self.key_name, *args, **kwargs)


class BrinOnPostgres(models.Index):
    """A BRIN index on PostgreSQL, a plain index elsewhere.

    For a column that grows with the table's physical order, as an append-only log's time does:
    a BRIN keeps the least and greatest value per range of 128 pages, so a time range still
    finds its pages while an insert costs next to nothing (a btree costs a descent per row; with
    the audit actor's index, also dropped, 3.0 s of a replay of a city's audit rows). SQLite has no
    BRIN; there it is an ordinary index."""

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor == "postgresql":
            using = " USING brin"
        return super().create_sql(model, schema_editor, using=using, **kwargs)


class PatternOps(OpClass):
    """An index expression: the column with the `varchar_pattern_ops` operator class on
    PostgreSQL (byte comparisons; serves equality and LIKE 'prefix%'), the plain column
    elsewhere. For a models.UniqueConstraint or models.Index made of expressions, where Django's
    `opclasses=` cannot be given. Like django.contrib.postgres's OpClass it must be the outermost
    part of its index expression (register_index_wrapper, called by CoreConfig.ready), and
    validation sees only the column."""

    def __init__(self, expression):
        super().__init__(expression, name="varchar_pattern_ops")

    def as_sql(self, compiler, connection, **extra_context):
        if connection.vendor != "postgresql":
            return compiler.compile(self.source_expressions[0])
        return super().as_sql(compiler, connection, **extra_context)

    def deconstruct(self):
        path, args, _kwargs = super().deconstruct()
        return path, args[:1], {}


def register_index_wrapper() -> None:
    """Let PatternOps wrap an index expression's column instead of being parenthesised as an
    expression of its own (what django.contrib.postgres does for its OpClass, when installed)."""
    # Django's: (OrderBy, Collate), or (OrderBy, OpClass, Collate) once django.contrib.postgres is
    # installed, which sets them in its ready() and again when settings change: PatternOps must be
    # among them itself (they are sorted by their exact type), so register after that app's ready().
    wrappers = IndexExpression.wrapper_classes
    if PatternOps not in wrappers:
        IndexExpression.register_wrappers(*wrappers[:1], PatternOps, *wrappers[1:])
