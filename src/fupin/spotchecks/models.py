"""The spot check (抽查核验) of a county's exit (domain.md 6.3).

The system draws a sample of the county's households that exited in the year (and of its
ordinary rural households, for the missed-identification rate); a third-party team records
what it found for each sampled household and the satisfaction survey. The three figures
(错退率, 漏评率, 群众认可度) are computed from these rows by fupin.spotchecks.selectors.
"""

from django.conf import settings
from django.db import models


class SpotCheck(models.Model):
    """One county's spot check for one year: the seed and share the sample was drawn with."""

    county = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name="县")
    year = models.PositiveSmallIntegerField("年度")
    seed = models.BigIntegerField("随机种子")
    share = models.DecimalField("抽样比例(%)", max_digits=5, decimal_places=2)
    exited_total = models.PositiveIntegerField("当年退出户数", default=0)
    ordinary_total = models.PositiveIntegerField("一般农户数", default=0)
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                 verbose_name="抽样人")
    drawn_at = models.DateTimeField("抽样时间")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["county", "year"], name="uniq_spotcheck_county_year")]
        ordering = ["-year", "county_id"]
        verbose_name = "抽查核验"
        verbose_name_plural = "抽查核验"

    def __str__(self) -> str:
        return f"{self.county_id} {self.year}"


class SampledHousehold(models.Model):
    """A household drawn into the sample, and the team's finding once recorded."""

    class Part(models.TextChoices):
        EXITED = "exited", "退出户核验"       # households that exited in the year: do they meet 6.1?
        ORDINARY = "ordinary", "一般农户核验"  # non-registered households: are they poor (missed)?

    spot_check = models.ForeignKey(SpotCheck, on_delete=models.CASCADE, related_name="sampled")
    part = models.CharField("抽查类型", max_length=8, choices=Part.choices)
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+")
    township = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name="乡镇")
    # The finding: for the exited part, "meets the 6.1 exit criteria"; for the ordinary part,
    # "found poor". None until recorded.
    finding = models.BooleanField("核验结果", null=True, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["spot_check", "household"], name="uniq_spotcheck_household")]
        indexes = [models.Index(fields=["spot_check", "part", "township"])]
        ordering = ["township_id", "part", "household__number"]
        verbose_name = "抽查样本户"
        verbose_name_plural = "抽查样本户"

    @property
    def counts_against(self) -> bool:
        """A wrongful exit (exited part, does not meet 6.1) or a missed household (ordinary part, poor)."""
        if self.finding is None:
            return False
        return (not self.finding) if self.part == self.Part.EXITED else self.finding


class SurveyResponse(models.Model):
    """One household's answer to the satisfaction survey (群众认可度)."""

    spot_check = models.ForeignKey(SpotCheck, on_delete=models.CASCADE, related_name="responses")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+")
    satisfied = models.BooleanField("满意")
    note = models.CharField("备注", max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["spot_check", "household"], name="uniq_survey_household")]
        ordering = ["spot_check_id", "household_id"]
        verbose_name = "满意度调查"
        verbose_name_plural = "满意度调查"
