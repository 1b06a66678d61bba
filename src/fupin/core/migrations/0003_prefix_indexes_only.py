# The audit trail's action and area_code are filtered by equality or prefix only; on PostgreSQL
# each had a plain btree beside Django's varchar_pattern_ops "_like" index, paid for by every
# audited write (an import writes five audit rows per household).

from django.db import migrations, models

from fupin.core.migration_ops import prefix_index_only


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0002_audit_append_only"),
    ]

    operations = [
        prefix_index_only("core.AuditEntry", "action", models.CharField(max_length=64), "core_audit_action_like"),
        prefix_index_only("core.AuditEntry", "area_code", models.CharField(max_length=12, blank=True),
                          "core_audit_area_like"),
    ]
