# One index for the ID number instead of two: uniq_active_person becomes unique over (ID number,
# 1 if 在户 else NULL), which also serves every look-up by ID number, so registry_member_id_number goes.
# Household events keep their actor without a database foreign key or index (see HouseholdEvent.actor).
# On PostgreSQL both member indexes are rebuilt: the table is locked for writes meanwhile
# (docs/operations.md).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import fupin.core.dbfields


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0007_cheaper_write_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='member',
            name='uniq_active_person',
        ),
        migrations.RemoveIndex(
            model_name='member',
            name='registry_member_id_number',
        ),
        migrations.AlterField(
            model_name='householdevent',
            name='actor',
            field=models.ForeignKey(db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddConstraint(
            model_name='member',
            constraint=models.UniqueConstraint(fupin.core.dbfields.PatternOps('id_number'), models.Case(models.When(state='在户', then=models.Value(1))), name='uniq_active_person'),
        ),
    ]
