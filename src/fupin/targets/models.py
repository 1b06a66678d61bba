"""Yearly poverty-exit targets per city or county (domain.md section 1: the city office sets targets
and watches progress; section 10: 郴州 2017 — 276 villages, 100,000 people, 桂东县 431027)."""

from django.conf import settings
from django.db import models


class Target(models.Model):
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name="区划")
    year = models.PositiveSmallIntegerField("年度")
    villages = models.PositiveIntegerField("贫困村退出目标（个）", null=True, blank=True)
    people = models.PositiveIntegerField("贫困人口脱贫目标（人）", null=True, blank=True)
    counties = models.JSONField("贫困县摘帽目标（县代码）", default=list, blank=True)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["area", "year"], name="uniq_target_area_year")]
        ordering = ["-year", "area_id"]
        verbose_name = "年度减贫目标"
        verbose_name_plural = "年度减贫目标"

    def __str__(self) -> str:
        return f"{self.area_id} {self.year}"
