# The auditor's filter by user (审计日志: 操作人, the API's actor) had no index: core.selectors.audit_list
# reads the trail backwards by id until it has a page of that user's rows, which for a user who
# rarely acts means the whole trail (a province's is millions of rows). One index on
# (actor_name, id) gives that user's rows newest first, a page at a time. CREATE INDEX locks the
# trail against writes while it is built (docs/operations.md: the time on a city's trail).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0006_audit_cheaper_writes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(fields=["actor_name", "id"], name="core_audit_actor_id",
                               opclasses=["varchar_pattern_ops", "int8_ops"]),
        ),
    ]
