"""Households, members and yearly incomes (domain.md section 3)."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Case, Value, When

from fupin.core.dbfields import PatternOps
from fupin.core.models import BaseModel
from fupin.registry import choices as c

MONEY = {"max_digits": 14, "decimal_places": 2, "default": Decimal("0")}


class Household(BaseModel):
    number = models.CharField("户编号", max_length=40, unique=True)
    kind = models.CharField("户类型", max_length=8, choices=c.HouseholdKind.choices, default=c.HouseholdKind.REGISTERED)
    # Indexed through (village, status) and (village, number) below; a third index on the same
    # leading column (and PostgreSQL's pattern_ops twin) only slowed every write.
    village = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="households",
                                verbose_name="村", db_index=False)
    group = models.CharField("村民小组", max_length=60, blank=True)
    head_name = models.CharField("户主姓名", max_length=60)  # prefix index in Meta
    head_initials = models.CharField("户主姓名拼音首字母", max_length=30, blank=True)  # prefix index in Meta
    phone = models.CharField("联系电话", max_length=12, blank=True)
    bank_name = models.CharField("开户银行", max_length=100, blank=True)
    bank_account = models.CharField("银行账号", max_length=25, blank=True)  # indexed in Meta: exact match only
    year_registered = models.PositiveSmallIntegerField("识别年度", null=True, blank=True)
    attribute = models.CharField("贫困户属性", max_length=8, choices=c.Attribute.choices, blank=True)
    main_cause = models.CharField("主要致贫原因", max_length=10, choices=c.Cause.choices, blank=True)
    other_causes = models.JSONField("其他致贫原因", default=list, blank=True)
    status = models.CharField("脱贫状态", max_length=6, choices=c.Status.choices, blank=True)  # in (village|kind, status)
    exit_year = models.PositiveSmallIntegerField("脱贫年度", null=True, blank=True)
    # living conditions
    food_ok = models.BooleanField("不愁吃", default=True)
    clothing_ok = models.BooleanField("不愁穿", default=True)
    housing_grade = models.CharField("住房安全等级", max_length=1, choices=c.choices(c.HOUSING_GRADES), default="A")
    renovated = models.BooleanField("已完成危房改造", default=False)
    relocated = models.BooleanField("易地扶贫搬迁入住", default=False)
    safe_water = models.BooleanField("饮水安全", default=True)
    arable_land = models.DecimalField("耕地面积(亩)", max_digits=10, decimal_places=2, null=True, blank=True)
    forest_land = models.DecimalField("林地面积(亩)", max_digits=10, decimal_places=2, null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["village_id", "number"]
        verbose_name = "户"
        verbose_name_plural = "户"
        indexes = [models.Index(fields=["village", "status"]), models.Index(fields=["kind", "status"]),
                   # keyset paging of lists in (village, 户编号) order
                   models.Index(fields=["village", "number"], name="registry_hh_village_number"),
                   # exact match only: byte comparisons (varchar_pattern_ops) are cheaper than the
                   # locale's for every row written (migration 0007)
                   models.Index(fields=["bank_account"], name="registry_hh_bank_account", opclasses=["varchar_pattern_ops"]),
                   # search is by equality or prefix only: one varchar_pattern_ops index serves both
                   # (a plain btree beside it would only cost every write; migration 0005)
                   models.Index(fields=["head_name"], name="registry_hh_head_name_like", opclasses=["varchar_pattern_ops"]),
                   models.Index(fields=["head_initials"], name="registry_hh_initials_like",
                                opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        return f"{self.number} {self.head_name}"


class Member(BaseModel):
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="members")
    name = models.CharField("姓名", max_length=60)  # prefix index in Meta
    name_initials = models.CharField("姓名拼音首字母", max_length=30, blank=True)  # prefix index in Meta
    id_number = models.CharField("证件号码", max_length=18)  # indexed in Meta: exact match only
    relation = models.CharField("与户主关系", max_length=6, choices=c.choices(c.RELATIONS))
    sex = models.CharField("性别", max_length=1, choices=c.choices(c.SEXES))
    birth_date = models.DateField("出生日期")
    ethnicity = models.CharField("民族", max_length=20, blank=True)
    education = models.CharField("文化程度", max_length=8, choices=c.choices(c.EDUCATION))
    school_status = models.CharField("在校生状况", max_length=8, choices=c.choices(c.SCHOOL_STATUS))
    home_schooling = models.BooleanField("送教上门或免学", default=False)
    health = models.CharField("健康状况", max_length=6, choices=c.choices(c.HEALTH))
    labour = models.CharField("劳动技能", max_length=6, choices=c.choices(c.LABOUR))
    migrant_work = models.CharField("务工状况", max_length=10, choices=c.choices(c.MIGRANT_WORK), blank=True)
    migrant_months = models.PositiveSmallIntegerField("务工时间(月)", null=True, blank=True)
    soldier = models.BooleanField("是否现役军人", default=False)
    medical_insurance = models.BooleanField("基本医疗保险", default=True)
    pension_insurance = models.BooleanField("基本养老保险", default=False)
    state = models.CharField("成员状态", max_length=2, choices=c.MemberState.choices, default=c.MemberState.PRESENT)
    state_date = models.DateField("状态变更日期", null=True, blank=True)

    class Meta:
        ordering = ["household_id", "id"]
        verbose_name = "成员"
        verbose_name_plural = "成员"
        # The ID number's index is uniq_active_person below.
        indexes = [# equality or prefix search only (see Household.Meta)
                   models.Index(fields=["name"], name="registry_m_name_like", opclasses=["varchar_pattern_ops"]),
                   models.Index(fields=["name_initials"], name="registry_m_initials_like", opclasses=["varchar_pattern_ops"])]
        constraints = [
            # One person is an active member of at most one household (domain.md section 4): unique over
            # (ID number, 1 if 在户 else NULL), and NULLs are never equal, so only 在户 rows can clash.
            # The same index finds every row of an ID number (its first column), so the column needs
            # no second index: one index less to fill per imported member, 2.3 s of a city's import
            # (migration 0008). ID numbers are compared as bytes (varchar_pattern_ops; equality and
            # prefix), cheaper than by the locale's rules.
            models.UniqueConstraint(PatternOps("id_number"), Case(When(state="在户", then=Value(1))),
                                    name="uniq_active_person"),
        ]

    def __str__(self) -> str:
        return self.name

    def present_on(self, day) -> bool:
        """在户 on `day`: state 在户, or 死亡/迁出 with a change date after `day` (exchange-format.md)."""
        if self.state == c.MemberState.PRESENT:
            return True
        return self.state_date is not None and day < self.state_date


class IncomeRecord(BaseModel):
    """One household's income for one income year (domain.md section 3)."""

    # indexed by uniq_household_income_year, which starts with it
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="incomes", db_index=False)
    year = models.PositiveSmallIntegerField("收入年度")
    wage = models.DecimalField("工资性收入", **MONEY)
    business = models.DecimalField("生产经营性收入", **MONEY)
    property_income = models.DecimalField("财产性收入", **MONEY)
    transfer = models.DecimalField("转移性收入", **MONEY)
    business_cost = models.DecimalField("生产经营性支出", **MONEY)
    medical_spending = models.DecimalField("合规自付医疗支出", **MONEY)
    rigid_spending = models.DecimalField("其他刚性支出", **MONEY)
    risks = models.JSONField("风险类型", default=list, blank=True)

    class Meta:
        ordering = ["household_id", "year"]
        constraints = [models.UniqueConstraint(fields=["household", "year"], name="uniq_household_income_year")]
        verbose_name = "年度收入"
        verbose_name_plural = "年度收入"

    @property
    def net(self) -> Decimal:
        """household net income = 工资性 + 生产经营性 + 财产性 + 转移性 − 生产经营性支出"""
        return self.wage + self.business + self.property_income + self.transfer - self.business_cost


class HouseholdEvent(models.Model):
    """A readable line of a household's timeline (architecture.md, layer 6)."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()  # read per household (its index), never across households by time
    # No foreign key nor index in the database, as for the audit trail's actor (core.AuditEntry): a
    # timeline is read per household, never per actor, and the database's check cost a look-up
    # per event, 1.3 s of a city's import. The ORM still refuses to delete a user with events (PROTECT).
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+",
                              db_constraint=False, db_index=False)
    type = models.CharField(max_length=40)
    message = models.CharField(max_length=300)
    parameters = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
