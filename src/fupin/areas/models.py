from django.db import models

# Significant digits of a 12-digit NBS code by level (domain.md section 2).
PREFIX_LEN = {1: 2, 2: 4, 3: 6, 4: 9, 5: 12}
LEVEL_NAMES = {1: "省", 2: "市", 3: "县", 4: "乡镇", 5: "村"}


def code_range(code: str, level: int) -> tuple[str, str]:
    """All 12-digit codes below an area lie in [lo, hi]; a btree range, fast on both databases."""
    p = code[: PREFIX_LEN[level]]
    pad = 12 - len(p)
    return p + "0" * pad, p + "9" * pad


class Area(models.Model):
    code = models.CharField("行政区划代码", max_length=12, primary_key=True)
    name = models.CharField("名称", max_length=100)
    level = models.PositiveSmallIntegerField("级别", db_index=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    full_name = models.CharField("全称", max_length=300, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"

    def __str__(self) -> str:
        return self.full_name or self.name

    @property
    def range(self) -> tuple[str, str]:
        return code_range(self.code, self.level)

    @property
    def is_village(self) -> bool:
        return self.level == 5

    def contains(self, code: str) -> bool:
        lo, hi = self.range
        return lo <= code <= hi


class VillageAttributes(models.Model):
    """Yearly village facts: registered rural population (the incidence denominator) and
    the village-exit checklist items (domain.md 6.2), keyed by the column names of
    `fupin areas attributes`."""

    village = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="attributes")
    year = models.PositiveSmallIntegerField("年度")
    rural_population = models.PositiveIntegerField("农业户籍人口", null=True, blank=True)
    items = models.JSONField("退出指标", default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["village", "year"], name="uniq_village_year_attrs")]
        ordering = ["village_id", "year"]
        verbose_name = "村年度属性"
        verbose_name_plural = "村年度属性"
