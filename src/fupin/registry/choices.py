"""The registry's vocabulary (domain.md section 3). Stored values are the official Chinese
terms, exactly as the exchange format writes them; English is the gettext translation."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class HouseholdKind(models.TextChoices):
    REGISTERED = "建档立卡户", _("建档立卡户")
    ORDINARY = "一般农户", _("一般农户")


class Attribute(models.TextChoices):
    GENERAL = "一般贫困户", _("一般贫困户")
    DIBAO = "低保贫困户", _("低保贫困户")
    TEKUN = "特困供养贫困户", _("特困供养贫困户")


CAUSES = ["因病", "因残", "因学", "因灾", "缺土地", "缺水", "缺技术", "缺劳力", "缺资金", "交通条件落后",
          "自身发展动力不足", "其他"]
Cause = models.TextChoices("Cause", [(c, c) for c in CAUSES])


class Status(models.TextChoices):
    """domain.md section 7 adds the monitoring states; the exchange format carries the first three."""

    NOT_EXITED = "未脱贫", _("未脱贫")
    EXITED = "已脱贫", _("已脱贫")
    RETURNED = "返贫", _("返贫")
    MONITORED = "监测对象", _("监测对象")


IMPORTABLE_STATUSES = [Status.NOT_EXITED, Status.EXITED, Status.RETURNED]

HOUSING_GRADES = ["A", "B", "C", "D"]

RELATIONS = ["户主", "配偶", "之子", "之女", "之儿媳", "之女婿", "之孙子", "之孙女", "之外孙子", "之外孙女", "之父",
             "之母", "之岳父", "之岳母", "之公公", "之婆婆", "之祖父", "之祖母", "之外祖父", "之外祖母", "其他"]
EDUCATION = ["文盲或半文盲", "小学", "初中", "高中", "大专及以上", "学龄前儿童"]
SCHOOL_STATUS = ["非在校生", "学前教育", "小学", "七年级", "八年级", "九年级", "高中一年级", "高中二年级", "高中三年级",
                 "中职一年级", "中职二年级", "中职三年级", "高职一年级", "高职二年级", "高职三年级", "大专及以上"]
HEALTH = ["健康", "长期慢性病", "患有大病", "残疾"]
LABOUR = ["普通劳动力", "技能劳动力", "丧失劳动力", "无劳动力"]
MIGRANT_WORK = ["乡(镇)内务工", "乡(镇)外县内务工", "县外省内务工", "省外务工", "其他"]
SEXES = ["男", "女"]
RISKS = ["大病", "重残", "灾害", "意外事故", "产业失败", "务工不稳", "缺劳动力"]


class MemberState(models.TextChoices):
    PRESENT = "在户", _("在户")
    DEAD = "死亡", _("死亡")
    MOVED_OUT = "迁出", _("迁出")


def choices(values):
    return [(v, v) for v in values]
