# The auditor's search by object (审计日志: 对象编号, the API's object_id) is a PREFIX match
# (core.selectors.audit_list: object_id__startswith), which the btree on (object_type, object_id) in
# the database's collation could not serve: on 665,000 rows it read the whole trail backwards (1 s;
# a province's trail is ten times that). One varchar_pattern_ops index on object_id serves the
# prefix and the equality of an object's own trail, and costs each audited write less (byte
# comparisons instead of the locale's, one column instead of two).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0004_audit_actor_without_db_constraint"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="auditentry", name="core_audite_object__83eb8a_idx"),
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(fields=["object_id"], name="core_audit_object_like", opclasses=["varchar_pattern_ops"]),
        ),
    ]
