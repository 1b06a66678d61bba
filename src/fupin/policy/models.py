"""Policy packs an operator loaded, and stored assessment results (domain.md sections 5–6).

Results are kept per run and year and never overwritten: a new run for the same year adds a
new run; "the result for year Y" is the one of the latest completed run. A run killed part
way writes nothing (its rows are inserted in the same transaction that marks it finished), so
the earlier results of that year stay what the office sees.
"""

from django.conf import settings
from django.db import models


class PolicyPack(models.Model):
    """A pack file loaded by `fupin policy load`; a (name, version) pair is immutable."""

    name = models.CharField("名称", max_length=60)
    version = models.CharField("版本", max_length=40)
    title = models.CharField("标题", max_length=200, blank=True)
    format = models.CharField(max_length=4, default="yaml")
    content = models.TextField("内容")
    sha256 = models.CharField(max_length=64)
    loaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    loaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "version"], name="uniq_policy_pack_version")]
        ordering = ["name", "-loaded_at"]
        verbose_name = "政策包"
        verbose_name_plural = "政策包"

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


class AssessmentRun(models.Model):
    class Kind(models.TextChoices):
        HOUSEHOLDS = "households", "贫困户退出评估"
        VILLAGES = "villages", "贫困村退出评估"
        COUNTIES = "counties", "贫困县摘帽评估"
        MONITORING = "monitoring", "防返贫监测"

    class Status(models.TextChoices):
        RUNNING = "running", "进行中"
        SUCCEEDED = "succeeded", "已完成"
        FAILED = "failed", "失败"

    kind = models.CharField("类型", max_length=12, choices=Kind.choices)
    year = models.PositiveSmallIntegerField("年度")
    as_of = models.DateField("评估日期")
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    include_exited = models.BooleanField(default=False)
    pack_name = models.CharField("政策包", max_length=60)
    pack_version = models.CharField("政策包版本", max_length=40)
    pack_sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["kind", "year", "status"])]
        verbose_name = "评估批次"
        verbose_name_plural = "评估批次"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.year} {self.area_id} ({self.pack_name} {self.pack_version})"


class HouseholdResult(models.Model):
    """domain.md 6.1 for one household in one run. Keyed by (run, household): the one index a
    bulk insert of millions of rows has to maintain besides the household's own."""

    pk = models.CompositePrimaryKey("run_id", "household_id")
    # No database-level foreign keys: checking two of them per row is a large share of writing a
    # province's results, and every id written was read from those tables in the same run (the ORM
    # still refuses to delete a household or run that has results: PROTECT).
    run = models.ForeignKey(AssessmentRun, on_delete=models.PROTECT, related_name="household_results",
                            db_index=False, db_constraint=False)
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="exit_results",
                                  db_constraint=False)
    year = models.PositiveSmallIntegerField()
    per_capita = models.DecimalField("人均纯收入", max_digits=14, decimal_places=2, null=True)
    passed = models.BooleanField("可退出")
    reasons = models.CharField("原因", max_length=120, blank=True)

    class Meta:
        verbose_name = "贫困户退出评估结果"
        verbose_name_plural = "贫困户退出评估结果"


class MonitoringResult(models.Model):
    """domain.md 6.5 for one household in one run (only flagged or eliminable households are kept)."""

    pk = models.CompositePrimaryKey("run_id", "household_id")
    run = models.ForeignKey(AssessmentRun, on_delete=models.PROTECT, related_name="monitoring_results",
                            db_index=False, db_constraint=False)
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="monitoring_results",
                                  db_constraint=False)
    category = models.CharField("监测类别", max_length=10, blank=True)
    triggers = models.CharField("触发原因", max_length=120, blank=True)
    can_eliminate = models.BooleanField("可消除风险", default=False)

    class Meta:
        verbose_name = "防返贫监测结果"
        verbose_name_plural = "防返贫监测结果"


class VillageResult(models.Model):
    """domain.md 6.2 for one village in one run."""

    run = models.ForeignKey(AssessmentRun, on_delete=models.PROTECT, related_name="village_results")
    village = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    poor_people = models.PositiveIntegerField("未脱贫人口")
    rural_population = models.PositiveIntegerField("农业户籍人口", null=True)
    incidence = models.DecimalField("贫困发生率(%)", max_digits=7, decimal_places=2, null=True)
    passed = models.BooleanField("可退出")
    reasons = models.CharField("原因", max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["village", "run"])]
        verbose_name = "贫困村退出评估结果"
        verbose_name_plural = "贫困村退出评估结果"


class CountyResult(models.Model):
    """domain.md 6.3 for one county in one run."""

    run = models.ForeignKey(AssessmentRun, on_delete=models.PROTECT, related_name="county_results")
    county = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    poor_people = models.PositiveIntegerField("未脱贫人口")
    rural_population = models.PositiveIntegerField("农业户籍人口", null=True)
    incidence = models.DecimalField("综合贫困发生率(%)", max_digits=7, decimal_places=2, null=True)
    wrongful_exit_rate = models.DecimalField("错退率(%)", max_digits=7, decimal_places=2, null=True)
    missed_rate = models.DecimalField("漏评率(%)", max_digits=7, decimal_places=2, null=True)
    approval_rate = models.DecimalField("群众认可度(%)", max_digits=7, decimal_places=2, null=True)
    passed = models.BooleanField("可摘帽")
    reasons = models.CharField("原因", max_length=200, blank=True)

    class Meta:
        verbose_name = "贫困县摘帽评估结果"
        verbose_name_plural = "贫困县摘帽评估结果"
