# Each searched name column kept two indexes on PostgreSQL (a plain btree and Django's
# varchar_pattern_ops "_like" one); search is by equality or prefix only, which the _like index
# serves alone. Dropping the plain ones takes ~1 s off every 100,000 imported households.

from django.db import migrations, models

from fupin.core.migration_ops import prefix_index_only


class Migration(migrations.Migration):

    dependencies = [
        ("registry", "0004_fewer_write_indexes"),
    ]

    operations = [
        prefix_index_only("registry.Household", "head_name",
                          models.CharField("户主姓名", max_length=60), "registry_hh_head_name_like"),
        prefix_index_only("registry.Household", "head_initials",
                          models.CharField("户主姓名拼音首字母", max_length=30, blank=True), "registry_hh_initials_like"),
        prefix_index_only("registry.Member", "name", models.CharField("姓名", max_length=60), "registry_m_name_like"),
        prefix_index_only("registry.Member", "name_initials",
                          models.CharField("姓名拼音首字母", max_length=30, blank=True), "registry_m_initials_like"),
    ]
