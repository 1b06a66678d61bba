"""Cross-check lists (比对名单) the operator imports: people who are public servants, own a vehicle,
urban commercial property or a business (domain.md 6.4 and section 9).

One list per kind is current. Loading a list of a kind makes it the current version; the earlier
versions keep their record (file name, sha256, who, when, row count) but their entries are deleted
with the switch: they are personal data of people outside the registry, kept no longer than they
are the list in force (PIPL data minimisation). ID numbers are stored like Member.id_number
(normalised, GB 11643-checked, indexed) and shown masked everywhere.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ListKind(models.TextChoices):
    PUBLIC_SERVANT = "PUBLIC_SERVANT", _("财政供养人员")
    VEHICLE = "VEHICLE", _("车辆")
    PROPERTY = "PROPERTY", _("城镇商品房")
    BUSINESS = "BUSINESS", _("工商注册")


class ListVersion(models.Model):
    kind = models.CharField("名单类型", max_length=16, choices=ListKind.choices)
    source_name = models.CharField("源文件名", max_length=200)
    sha256 = models.CharField(max_length=64)
    columns = models.JSONField("列", default=list)
    rows = models.PositiveIntegerField("行数")
    excluding = models.PositiveIntegerField("排除人数", default=0)  # distinct IDs whose entry excludes
    current = models.BooleanField("现行版本", default=True)
    loaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    loaded_at = models.DateTimeField(auto_now_add=True)
    replaced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["kind", "-loaded_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["kind"], condition=models.Q(current=True),
                                               name="uniq_current_list_per_kind")]
        verbose_name = "比对名单版本"
        verbose_name_plural = "比对名单版本"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.source_name} ({self.loaded_at:%Y-%m-%d})"


class ListEntry(models.Model):
    """One row of the current list of a kind. `excludes`: whether this row is an exclusion under
    6.4 (always, except a BUSINESS row whose 状态 is not 在营/存续)."""

    version = models.ForeignKey(ListVersion, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(max_length=16, choices=ListKind.choices)
    id_number = models.CharField("证件号码", max_length=18, db_index=True)
    row = models.PositiveIntegerField("行号")
    data = models.JSONField("名单列", default=dict)
    excludes = models.BooleanField("构成排除", default=True)

    class Meta:
        ordering = ["version_id", "row"]
        verbose_name = "比对名单条目"
        verbose_name_plural = "比对名单条目"
