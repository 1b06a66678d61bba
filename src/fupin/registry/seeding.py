"""Synthetic but realistic registry data on the real divisions (performance.md "Data sizes";
cli.md `fupin seed`; docs/seed.md describes every rule below).

One pure generator, `generate()`, yields (household row, member rows) keyed by the
exchange-format headers (exchange-format.md), so the same rows feed the database writer
(`seed_database`), the file writers (`write_csv`, `write_xlsx`) and the tests. It draws from
`random.Random(seed)` only: the same (villages, count, seed, year, dirty) give the same rows.

Nothing here is personal data: names are drawn from common surname and given-name pools, ID
numbers are built with fupin.core.idcard.make, phones and bank accounts are random digits.
"""

import csv
import datetime as dt
import math
import random
from bisect import bisect
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from itertools import accumulate
from pathlib import Path

from fupin.core import idcard
from fupin.registry import choices as c
from fupin.registry.validation import HOUSEHOLD_HEADERS, MEMBER_HEADERS

Row = dict[str, str]


@dataclass(frozen=True)
class Preset:
    name: str
    label: str
    root: str | None  # 12-digit area code whose villages are used; None = every village loaded
    households: int
    villages: int  # villages of the NBS 2023 edition below root (performance.md)


PRESETS = {
    "chenzhou": Preset("chenzhou", "郴州市", "431000000000", 130_000, 2_420),
    "hunan": Preset("hunan", "湖南省", "430000000000", 2_500_000, 29_534),
    "national": Preset("national", "全国", None, 29_480_000, 620_573),
}

# The Hunan poverty line (domain.md section 5, built-in pack `hunan`). Used here only to shape
# synthetic incomes around the line; assessments read the policy pack, never this table.
POVERTY_LINES = {2014: 2736, 2015: 2855, 2016: 2952, 2017: 3026, 2018: 3200, 2019: 3400, 2020: 4000}
YEARS = sorted(POVERTY_LINES)
DEFAULT_YEAR = 2017

# Share of registered households exited by the end of each year. 郴州 (domain.md section 10):
# 197,900 of about 405,000 people out over 2014–2016, 225,000 left in October 2017.
_EXITED_BY_END = {2013: 0.0, 2014: 0.12, 2015: 0.27, 2016: 0.47, 2017: 0.66, 2018: 0.85, 2019: 0.97, 2020: 1.0}

# An exchange-format ID must not lie in the future; the synthetic ones never do, since every
# birth date is within or before the income year and YEARS stop at 2020.

# ---------------------------------------------------------------------------------------------
# vocabularies and weights

SURNAMES = (  # noqa: SIM905 (a list of 80 one-character strings reads better as one string)
    "李 刘 陈 黄 王 张 唐 周 谭 曾 罗 彭 邓 何 肖 欧阳 曹 廖 胡 袁 邱 朱 钟 谢 雷 李 刘 陈 黄 王 张 唐 "
    "杨 吴 蒋 许 蔡 段 首 郭 侯 范 龙 文 邝 伍 郑 马 赵 孙 徐 林 高 梁 宋 韩 冯 贺 毛 颜 尹 江 姚 卢 贾 "
    "万 汤 戴 丁 田 易 付 向 石 阳 龚 严 夏 熊 旷 任"
).split()
_SURNAME_CUM = list(accumulate(1.0 / (1 + i * 0.08) for i in range(len(SURNAMES))))

def _words(s: str) -> list[str]:
    return s.split()


# Given names by generation (born before 1960 / 1960–1984 / 1985 on) and sex.
_OLD_GIVEN = {
    "男": _words("德福 福生 长生 石生 国庆 建国 金生 贵生 有才 满生 桂生 冬生 春生 水生 德明 土生 光明 志刚 "
          "善良 玉生 和平 成 福 贵 林 发 旺 财 秋生 年生"),
    "女": _words("秀英 桂英 玉兰 秀兰 桂兰 冬梅 春花 满秀 月英 凤英 翠英 菊英 桂花 玉梅 秀珍 金花 银花 "
          "秀梅 满英 玉英 兰 英 珍 梅 秀 莲 凤 桂香 四妹 细妹"),
}
_MID_GIVEN = {
    "男": ("建国志红小春海永文德新卫小", "华平军明强林辉勇兵峰斌军东波刚"),
    "女": ("秀丽小红春桂玉美金海丽", "芳英华红梅兰萍琴霞燕娟丽"),
}
_YOUNG_GIVEN = {
    "男": ("子浩俊宇梓博思家嘉一文", "轩涛杰豪睿航宇阳鑫明鹏"),
    "女": ("雨梓欣思诗佳可紫梦一晓", "涵怡琪萱彤妍琳婷雪欣怡"),
}

_CAUSE_WEIGHTS = {"因病": 30, "因残": 10, "因学": 6, "因灾": 3, "缺土地": 3, "缺水": 2, "缺技术": 17,
                  "缺劳力": 12, "缺资金": 11, "交通条件落后": 2, "自身发展动力不足": 3, "其他": 1}
assert list(_CAUSE_WEIGHTS) == c.CAUSES
_ETHNICITIES = (["汉族"] * 95) + (["瑶族"] * 4) + ["畲族"]
_MIGRANT = (c.MIGRANT_WORK, list(accumulate([15, 15, 20, 45, 5])))  # 郴州's migrants go mostly to 广东
_BANKS = ["农村信用合作联社", "农村商业银行", "中国邮政储蓄银行", "中国农业银行"]
_CN_DIGITS = "零一二三四五六七八九十"
_W15, _W16, _W17 = idcard.WEIGHTS[14:]  # weights of the 3-digit sequence in the check sum


@lru_cache(maxsize=65536)
def _date_sum(born: dt.date) -> int:
    """The birth date's part of the GB 11643 weighted sum (ID digits 7–14)."""
    return sum(int(d) * w for d, w in zip(f"{born:%Y%m%d}", idcard.WEIGHTS[6:14]))


def _cum(weights: Iterable[float]) -> list[float]:
    return list(accumulate(weights))


# rng.randint/choice/randrange cost 1.5–2 µs a call through Python-level code; these cost 0.3 µs
# and run some ten million times for the chenzhou preset.
def _ri(rng: random.Random, a: int, b: int) -> int:
    return a + int(rng.random() * (b - a + 1))


def _rr(rng: random.Random, n: int) -> int:
    return int(rng.random() * n)


def _ch(rng: random.Random, seq):
    return seq[int(rng.random() * len(seq))]


def _pick(rng: random.Random, values, cum: list[float]):
    """Weighted choice; rng.choices costs 8 µs a call, this 1 µs (it runs a few million times)."""
    return values[bisect(cum, rng.random() * cum[-1])]


_SIZE = (list(range(1, 8)), _cum([15, 24, 22, 21, 11, 5, 2]))  # mean ≈ 3.1 (performance.md)
_CAUSE_CUM = _cum(_CAUSE_WEIGHTS.values())
_OTHERS_CUM = _cum([35, 45, 20])  # how many other causes
_GRADE_GOOD_CUM = _cum([57, 38, 4, 1])  # housing A B C D of exited and ordinary households
_GRADE_POOR_CUM = _cum([35, 40, 17, 8])


def _group_name(k: int) -> str:
    if k <= 10:
        return f"{_CN_DIGITS[k]}组"
    return f"十{_CN_DIGITS[k - 10]}组" if k < 20 else f"{k}组"


# ---------------------------------------------------------------------------------------------
# dirty rows (exchange-format.md "Validation errors"): each dirty household carries exactly one
# defect, and the defect raises exactly one error of the code it is named after.

DIRTY_KINDS = {
    "E_ID_CHECKSUM": "证件号码校验位被改错 / a member's ID check character is wrong",
    "E_ID_FORMAT": "证件号码少一位 / a member's ID lacks a digit",
    "E_ID_BIRTHDATE": "证件号码中的月份为 13（校验位正确）/ month 13 in the ID, valid check character",
    "E_SEX_MISMATCH": "性别与证件号码相反 / sex flipped against the ID",
    "E_BIRTHDATE_MISMATCH": "出生日期与证件号码差一天 / birth date one day off the ID",
    "E_UNKNOWN_AREA": "行政区划代码指向不存在的乡镇 999 / village code in a non-existent township 999",
    "E_DUP_ID_IN_FILE": "成员证件号码与前一户的某人相同 / a member has the ID of a person in an earlier household",
    "E_ENUM": "住房安全等级为 E / housing grade E",
    "E_NUMBER": "工资性收入为负数 / negative wage income",
    "E_REQUIRED": "成员的文化程度为空 / a member's education is empty",
    "E_EXIT_YEAR": "已脱贫但脱贫年度为空 / 已脱贫 without exit year",
    "E_HEAD_MISMATCH": "户主姓名与成员表中的户主不符 / head name differs from the head member",
}


# ---------------------------------------------------------------------------------------------
# the generator


def allocate(villages: list[str], n_households: int, rng: random.Random) -> list[int]:
    """How many households each village gets; the counts add up to exactly n_households.

    About one village in six is a poor village (贫困村, 郴州: 442 of 2,420) with about three times
    the households; urban communities (居委会: NBS codes ending 001–199) get few.
    """
    if not villages:
        return []
    weights = []
    for code in villages:
        base = 0.15 if int(code[9:]) < 200 else (3.0 if rng.random() < 0.18 else 1.0)
        weights.append(base * rng.lognormvariate(0, 0.45))
    total = sum(weights)
    exact = [n_households * w / total for w in weights]
    counts = [int(x) for x in exact]
    short = n_households - sum(counts)
    by_fraction = sorted(range(len(villages)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in by_fraction[:short]:
        counts[i] += 1
    return counts


def _yn(b: bool) -> str:
    return "是" if b else "否"


class _Person:
    __slots__ = ("age", "born", "idn", "name", "relation", "row", "sex", "surname")

    def __init__(self, relation: str, sex: str, age: int, surname: str):
        self.relation, self.sex, self.age, self.surname = relation, sex, age, surname


class Generator:
    """Stateful generator; use `generate()`. State kept across households: the ID sequence
    counters of the current county (cleared when the county changes, so memory stays bounded
    by the largest county) and the last person made (for E_DUP_ID_IN_FILE)."""

    def __init__(self, seed: int, year: int, dirty: float = 0.0,
                 on_defect: Callable[[str, str], None] | None = None):
        if year not in POVERTY_LINES:
            raise ValueError(f"year must be one of {YEARS}")
        self.rng = random.Random(seed)
        # A separate stream for defects: the clean households of a dirty run equal those of a clean run.
        self.dirt_rng = random.Random(f"dirty:{seed}")
        self.seed, self.year, self.dirty, self.on_defect = seed, year, dirty / 100.0, on_defect
        self.line = POVERTY_LINES[year]
        self.assess_date = dt.date(year, 12, 31)
        self._county = ""
        self._seq: dict[tuple[int, bool], int] = {}
        self._prefix_sum = 0
        self._last_person: tuple[str, str, str] | None = None
        self._salt = random.Random(f"salt:{seed}").randrange(500)

    # -- identity --------------------------------------------------------------------------
    def _id(self, prefix6: str, born: dt.date, sex: str) -> tuple[str, dt.date]:
        """A valid ID unique within the run: per (county, birth date, sex) a counter picks the
        3-digit sequence (odd for 男), so no two people get the same number."""
        male = sex == "男"
        while True:
            key = (born.toordinal(), male)
            n = self._seq.get(key, 0)
            if n < 500:
                self._seq[key] = n + 1
                seq3 = ((key[0] * 7919 + self._salt + n) % 500) * 2 + (1 if male else 0)
                first14 = f"{prefix6}{born:%Y%m%d}"
                # idcard.make does this in 40 µs; the weighted sum of the first 14 digits is the same
                # for everyone born that day in the county, so it is computed once (tests compare every
                # ID with idcard.validate and a sample with idcard.make).
                partial = self._prefix_sum + _date_sum(born)
                total = partial + (seq3 // 100) * _W15 + (seq3 // 10 % 10) * _W16 + (seq3 % 10) * _W17
                return f"{first14}{seq3:03d}{idcard.CHECK[total % 11]}", born
            # 500 people of one sex born on one day in one county: move to the previous day.
            born -= dt.timedelta(days=1)

    def _given(self, sex: str, birth_year: int) -> str:
        rng = self.rng
        if birth_year < 1960:
            return _ch(rng, _OLD_GIVEN[sex])
        first, second = (_MID_GIVEN if birth_year < 1985 else _YOUNG_GIVEN)[sex]
        if rng.random() < 0.25:
            return _ch(rng, second)
        return _ch(rng, first) + _ch(rng, second)

    def _surname(self) -> str:
        return _pick(self.rng, SURNAMES, _SURNAME_CUM)

    # -- family composition ----------------------------------------------------------------
    def _family(self, size: int) -> list[_Person]:
        """Members with relation, sex, age and surname; domain.md section 3 relations."""
        rng = self.rng
        head_sex = "男" if rng.random() < 0.85 else "女"
        other = "女" if head_sex == "男" else "男"
        sur = self._surname()
        if size == 1:
            age = _ri(rng, 55, 80) if rng.random() < 0.8 else _ri(rng, 30, 54)
        elif size == 2:
            age = _ri(rng, 52, 80) if rng.random() < 0.65 else _ri(rng, 30, 51)
        else:
            age = _ri(rng, 30, 54) if rng.random() < (0.6 if size <= 4 else 0.35) else _ri(rng, 55, 80)
        people = [_Person("户主", head_sex, age, sur)]
        head_age = age

        def add(relation, sex, a, surname=None):
            people.append(_Person(relation, sex, max(0, a), surname or self._surname()))

        def child_relation(sex):
            return "之子" if sex == "男" else "之女"

        if size >= 2 and (size > 2 or rng.random() < 0.75):
            spouse_age = head_age + (_ri(rng, -6, 1) if head_sex == "男" else _ri(rng, -1, 6))
            add("配偶", other, min(max(spouse_age, 20), 85))
        elif size == 2:
            # a widowed or single head living with one child
            s = _ch(rng, "男女")
            add(child_relation(s), s, head_age - _ri(rng, 22, 36), sur)
        if head_age < 55:
            # nuclear family: children, then the head's parents for any slot left
            child_age = head_age - _ri(rng, 21, 32)
            while len(people) < size and child_age >= 0 and sum(p.relation in ("之子", "之女") for p in people) < 4:
                s = _ch(rng, "男女")
                add(child_relation(s), s, child_age, sur)
                child_age -= _ri(rng, 1, 5)
            for rel, s in (("之父", "男"), ("之母", "女")):
                if len(people) < size and head_age + 22 <= 90:
                    add(rel, s, min(head_age + _ri(rng, 22, 32), 92), sur if rel == "之父" else None)
        elif len(people) < size:
            # three generations: an adult son, his wife, and grandchildren
            son_age = head_age - _ri(rng, 22, 34)
            add("之子", "男", son_age, sur)
            if len(people) < size:
                add("之儿媳", "女", son_age + _ri(rng, -4, 1))
            g_age = son_age - _ri(rng, 20, 30)
            while len(people) < size and g_age >= 0:
                s = _ch(rng, "男女")
                add("之孙子" if s == "男" else "之孙女", s, g_age, sur)
                g_age -= _ri(rng, 1, 4)
        while len(people) < size:
            # whatever is left: an unmarried child of the head
            s = _ch(rng, "男女")
            add(child_relation(s), s, max(0, head_age - _ri(rng, 20, 40)), sur)
        return people

    # -- one member's attributes -----------------------------------------------------------
    def _schooling(self, age: int) -> tuple[str, str, bool]:
        """(文化程度, 在校生状况, 送教上门或免学) for an age on the assessment date."""
        rng = self.rng
        if age <= 2:
            return "学龄前儿童", "非在校生", False
        if age <= 5:
            return "学龄前儿童", ("学前教育" if rng.random() < 0.75 else "非在校生"), False
        if age <= 15:
            if rng.random() < 0.015:
                # out of school during compulsory education; half of them are taught at home
                return ("小学" if age <= 11 else "初中"), "非在校生", rng.random() < 0.5
            if age <= 11:
                return "小学", "小学", False
            if age <= 14:
                return "初中", ("七年级", "八年级", "九年级")[age - 12], False
            return ("高中", "高中一年级", False) if rng.random() < 0.65 else ("高中", "中职一年级", False)
        if age <= 18:
            r = rng.random()
            grade = ("二", "三", "三")[age - 16]
            if r < 0.55:
                return "高中", f"高中{grade}年级", False
            if r < 0.80:
                return "高中", f"中职{grade}年级", False
            return "初中", "非在校生", False
        if age <= 22 and rng.random() < 0.3:
            if rng.random() < 0.6 and age <= 21:
                return "大专及以上", f"高职{('一', '二', '三')[min(age - 19, 2)]}年级", False
            return "大专及以上", "大专及以上", False
        birth_year = self.year - age
        r = rng.random()
        if birth_year < 1950:
            return ("文盲或半文盲" if r < 0.45 else "小学" if r < 0.9 else "初中"), "非在校生", False
        if birth_year < 1970:
            return ("文盲或半文盲" if r < 0.1 else "小学" if r < 0.5 else "初中" if r < 0.92 else "高中"), "非在校生", False
        if birth_year < 1990:
            return ("小学" if r < 0.2 else "初中" if r < 0.8 else "高中" if r < 0.96 else "大专及以上"), "非在校生", False
        return ("初中" if r < 0.5 else "高中" if r < 0.88 else "大专及以上"), "非在校生", False

    def _health(self, age: int) -> str:
        r = self.rng.random()
        if age < 16:
            return "健康" if r < 0.96 else "残疾" if r < 0.98 else "长期慢性病" if r < 0.995 else "患有大病"
        if age < 60:
            return "健康" if r < 0.82 else "长期慢性病" if r < 0.91 else "患有大病" if r < 0.95 else "残疾"
        return "健康" if r < 0.55 else "长期慢性病" if r < 0.83 else "患有大病" if r < 0.90 else "残疾"

    def _labour(self, age: int, health: str, in_school: bool) -> str:
        rng = self.rng
        if age < 16 or in_school:
            return "无劳动力"
        if health in ("残疾", "患有大病") and rng.random() < 0.7:
            return "丧失劳动力"
        if age >= 65:
            return "普通劳动力" if health == "健康" and rng.random() < 0.3 else "无劳动力"
        return "技能劳动力" if rng.random() < 0.15 else "普通劳动力"

    def _fill(self, p: _Person, number: str, prefix6: str) -> None:
        rng, year = self.rng, self.year
        birth_year = year - p.age
        born = dt.date(birth_year, 1, 1) + dt.timedelta(days=_rr(rng, 365))
        p.idn, p.born = self._id(prefix6, born, p.sex)
        p.name = p.surname + self._given(p.sex, birth_year)
        education, school, home = self._schooling(p.age)
        in_school = school != "非在校生"
        health = "残疾" if home else self._health(p.age)
        labour = self._labour(p.age, health, in_school)
        migrant, months = "", ""
        if labour in ("普通劳动力", "技能劳动力") and 18 <= p.age <= 55 and rng.random() < 0.55:
            migrant = _pick(rng, *_MIGRANT)
            months = str(_ri(rng, 3, 12))
        soldier = p.sex == "男" and 18 <= p.age <= 24 and p.relation != "户主" and rng.random() < 0.01
        medical = rng.random() < (0.5 if soldier else 0.975)
        pension = (16 <= p.age < 60 and not in_school and rng.random() < 0.85) or (p.age >= 60 and rng.random() < 0.92)
        state, state_date = "在户", ""
        if p.relation != "户主":
            r = rng.random()
            if p.age >= 70 and r < 0.08:
                state = "死亡"
            elif 18 <= p.age <= 40 and r < 0.04:
                state = "迁出"  # mostly daughters marrying out, young people settling in town
            if state != "在户":
                day = dt.date(year - 1, 1, 1) + dt.timedelta(days=_rr(rng, 730))
                state_date = day.isoformat()
        p.row = {
            "户编号": number, "姓名": p.name, "证件号码": p.idn, "与户主关系": p.relation, "性别": p.sex,
            "出生日期": p.born.isoformat(), "民族": _ch(rng, _ETHNICITIES), "文化程度": education,
            "在校生状况": school, "健康状况": health, "劳动技能": labour, "送教上门或免学": _yn(home),
            "是否现役军人": _yn(soldier), "基本医疗保险": _yn(medical), "基本养老保险": _yn(pension),
            "务工状况": migrant, "务工时间": months, "成员状态": state, "状态变更日期": state_date,
        }

    # -- the household ---------------------------------------------------------------------
    def household(self, village: str, seq: int, groups: int) -> tuple[Row, list[Row]]:
        rng, year, line = self.rng, self.year, self.line
        prefix6 = village[:6]
        if prefix6 != self._county:
            self._county, self._seq = prefix6, {}
            self._prefix_sum = sum(int(d) * w for d, w in zip(prefix6, idcard.WEIGHTS))
        number = f"{village}{seq:04d}"
        size = _pick(rng, *_SIZE)
        people = self._family(size)
        for p in people:
            self._fill(p, number, prefix6)
        rows = [p.row for p in people]
        head = people[0]
        ordinary = rng.random() < 0.04

        hh: Row = dict.fromkeys(HOUSEHOLD_HEADERS, "")
        hh.update({"户编号": number, "户类型": "一般农户" if ordinary else "建档立卡户",
                   "行政区划代码": village, "村民小组": _group_name(_ri(rng, 1, groups)),
                   "户主姓名": head.name, "户主证件号码": head.idn, "收入年度": str(year)})
        if rng.random() < 0.88:
            hh["联系电话"] = f"1{_ch(rng, '3578')}{_rr(rng, 10 ** 9):09d}"
        if rng.random() < 0.95:
            hh["开户银行"] = _ch(rng, _BANKS)
            hh["银行账号"] = f"62{_rr(rng, 10 ** 17):017d}"

        status = ""
        attribute = ""
        cause = ""
        if not ordinary:
            registered = 2014 if rng.random() < 0.85 or year == 2014 else _ri(rng, 2015, year)
            lone_elder = size == 1 and head.age >= 60
            r = rng.random()
            if lone_elder:
                attribute = "特困供养贫困户" if r < 0.35 else "低保贫困户" if r < 0.7 else "一般贫困户"
            else:
                attribute = "特困供养贫困户" if r < 0.03 else "低保贫困户" if r < 0.22 else "一般贫困户"
            cause = self._cause(rows)
            k = _pick(rng, (0, 1, 2), _OTHERS_CUM)
            others = []
            while len(others) < k:
                x = _ch(rng, c.CAUSES)
                if x != cause and x not in others:
                    others.append(x)
            status, exit_year = self._status(registered)
            hh.update({"识别年度": str(registered), "贫困户属性": attribute, "主要致贫原因": cause,
                       "其他致贫原因": "、".join(others), "脱贫状态": status,
                       "脱贫年度": str(exit_year) if exit_year else ""})

        # income of the income year, spread around the line (domain.md 6.1 INCOME)
        present = sum(1 for m in rows if m["成员状态"] == "在户")
        if ordinary:
            ratio = rng.lognormvariate(math.log(2.2), 0.45)
        elif status == "已脱贫":
            ratio = rng.lognormvariate(math.log(1.6), 0.3)
        elif status == "返贫":
            ratio = rng.lognormvariate(math.log(0.8), 0.25)
        else:
            ratio = rng.lognormvariate(math.log(0.92 if attribute != "一般贫困户" else 1.0), 0.3)
        net = round(ratio * line * present)
        hh.update(self._income(net, attribute))
        ill = any(m["健康状况"] in ("患有大病", "长期慢性病") for m in rows)
        if cause == "因病" or (ill and rng.random() < 0.4):
            hh["合规自付医疗支出"] = str(_ri(rng, 300, 12000))
        else:
            hh["合规自付医疗支出"] = "0"
        hh["其他刚性支出"] = str(_ri(rng, 1500, 8000)) if cause == "因学" else "0"
        if rng.random() < 0.04:
            hh["风险类型"] = _ch(rng, c.RISKS)

        # living conditions (domain.md section 3)
        exited_or_ordinary = ordinary or status == "已脱贫"
        grade = _pick(rng, "ABCD", _GRADE_GOOD_CUM if exited_or_ordinary else _GRADE_POOR_CUM)
        relocated = rng.random() < 0.03
        if relocated:
            grade = "A"
        renovated = rng.random() < (0.45 if grade in "CD" else 0.08)
        food_ok = exited_or_ordinary or rng.random() > 0.015
        hh.update({"不愁吃": _yn(food_ok), "不愁穿": _yn(exited_or_ordinary or rng.random() > 0.01),
                   "住房安全等级": grade, "已完成危房改造": _yn(renovated), "易地扶贫搬迁入住": _yn(relocated),
                   "饮水安全": _yn(rng.random() < (0.97 if exited_or_ordinary else 0.9))})
        if rng.random() < 0.85:
            hh["耕地面积"] = f"{rng.uniform(0.3, 5):.1f}"
        if rng.random() < 0.4:
            hh["林地面积"] = f"{rng.uniform(1, 30):.1f}"

        if self.dirty and self.dirt_rng.random() < self.dirty:
            self._spoil(hh, people)
        else:
            # only a clean household's person: a copied ID must be valid and still in the file
            self._last_person = (rows[-1]["证件号码"], rows[-1]["性别"], rows[-1]["出生日期"])
        return hh, rows

    def _cause(self, rows: list[Row]) -> str:
        """Main cause, weighted (domain.md section 3) and made to agree with the members."""
        rng = self.rng
        cause = _pick(rng, c.CAUSES, _CAUSE_CUM)
        studying = any(m["在校生状况"] not in ("非在校生", "学前教育", "小学") for m in rows)
        if studying and rng.random() < 0.12:
            cause = "因学"  # school costs weigh on families with children past primary school
        adults = [m for m in rows if m["在校生状况"] == "非在校生" and m["文化程度"] != "学龄前儿童"] or rows
        if cause == "因学" and not studying:
            cause = "缺资金"
        if cause == "因病" and not any(m["健康状况"] in ("患有大病", "长期慢性病") for m in rows):
            _ch(rng, adults)["健康状况"] = "患有大病"
        if cause == "因残" and not any(m["健康状况"] == "残疾" for m in rows):
            m = _ch(rng, adults)
            m["健康状况"] = "残疾"
            if m["劳动技能"] in ("普通劳动力", "技能劳动力"):
                m["劳动技能"] = "丧失劳动力"
                m["务工状况"], m["务工时间"] = "", ""
        return cause

    def _status(self, registered: int) -> tuple[str, int | None]:
        """Status as of the start of the income year: exits happened in years before it, so the
        income of the year decides whether a household still 未脱贫 can exit."""
        rng, year = self.rng, self.year
        last = year - 1
        if last < registered:
            return "未脱贫", None
        r = rng.random()
        if r >= _EXITED_BY_END[last]:
            return "未脱贫", None
        if rng.random() < 0.02:
            return "返贫", None
        # the exit year: where r falls in the yearly exit increments, not before registration
        for y in range(2014, last + 1):
            if r < _EXITED_BY_END[y]:
                return "已脱贫", max(y, registered)
        return "已脱贫", last

    def _income(self, net: int, attribute: str) -> Row:
        """Split a household net income into the four incomes and the business cost."""
        rng = self.rng
        if attribute == "特困供养贫困户":
            t = rng.uniform(0.6, 0.9)
        elif attribute == "低保贫困户":
            t = rng.uniform(0.3, 0.5)
        else:
            t = rng.uniform(0.08, 0.25)
        p = rng.uniform(0, 0.05)
        b = (1 - t - p) * rng.uniform(0.1, 0.4)
        cost_rate = rng.uniform(0.15, 0.45)
        gross = net / (1 - b * cost_rate)
        transfer, prop, business = round(gross * t), round(gross * p), round(gross * b)
        cost = round(business * cost_rate)
        wage = net - transfer - prop - business + cost
        if wage < 0:
            transfer, wage = transfer + wage, 0
        return {"工资性收入": str(wage), "生产经营性收入": str(business), "财产性收入": str(prop),
                "转移性收入": str(transfer), "生产经营性支出": str(cost)}

    # -- dirty rows ------------------------------------------------------------------------
    def _spoil(self, hh: Row, people: list[_Person]) -> None:
        rng = self.dirt_rng
        kinds = list(DIRTY_KINDS)
        if self._last_person is None:
            kinds.remove("E_DUP_ID_IN_FILE")
        if hh["脱贫状态"] != "已脱贫":
            kinds.remove("E_EXIT_YEAR")
        kind = _ch(rng, kinds)
        # a member other than the head when there is one, so that only this code fires
        target = people[_ri(rng, 1, len(people) - 1)] if len(people) > 1 else people[0]
        m = target.row

        def set_id(new: str):
            if target.relation == "户主":
                hh["户主证件号码"] = new
            m["证件号码"] = new

        idn = m["证件号码"]
        if kind == "E_ID_CHECKSUM":
            set_id(idn[:17] + idcard.CHECK[(idcard.CHECK.index(idn[17]) + 1) % 11])
        elif kind == "E_ID_FORMAT":
            set_id(idn[:16] + idn[17])
        elif kind == "E_ID_BIRTHDATE":
            bad = idn[:10] + "13" + idn[12:17]
            set_id(bad + idcard.check_char(bad))
            m["出生日期"] = ""
        elif kind == "E_SEX_MISMATCH":
            m["性别"] = "女" if m["性别"] == "男" else "男"
        elif kind == "E_BIRTHDATE_MISMATCH":
            m["出生日期"] = (dt.date.fromisoformat(m["出生日期"]) + dt.timedelta(days=1)).isoformat()
        elif kind == "E_UNKNOWN_AREA":
            hh["行政区划代码"] = hh["行政区划代码"][:6] + "999" + hh["行政区划代码"][9:]
        elif kind == "E_DUP_ID_IN_FILE":
            set_id(self._last_person[0])
            m["性别"], m["出生日期"] = self._last_person[1], self._last_person[2]
        elif kind == "E_ENUM":
            hh["住房安全等级"] = "E"
        elif kind == "E_NUMBER":
            hh["工资性收入"] = str(-max(int(hh["工资性收入"]), 100))
        elif kind == "E_REQUIRED":
            m["文化程度"] = ""
        elif kind == "E_EXIT_YEAR":
            hh["脱贫年度"] = ""
        elif kind == "E_HEAD_MISMATCH":
            hh["户主姓名"] = hh["户主姓名"] + "某"
        if self.on_defect:
            self.on_defect(hh["户编号"], kind)


def generate(villages: list[str], n_households: int, *, seed: int = 0, year: int = DEFAULT_YEAR,
             dirty: float = 0.0, on_defect: Callable[[str, str], None] | None = None
             ) -> Iterator[tuple[Row, list[Row]]]:
    """(household row, member rows) for n_households spread over `villages` (12-digit codes,
    taken in code order), keyed by the exchange-format headers. `dirty` is the percentage of
    households given one defect of DIRTY_KINDS; on_defect(户编号, code) is told of each."""
    villages = sorted(villages)
    gen = Generator(seed, year, dirty, on_defect)
    counts = allocate(villages, n_households, random.Random(f"allocate:{seed}"))
    groups_rng = random.Random(f"groups:{seed}")
    for village, count in zip(villages, counts, strict=True):
        groups = groups_rng.randint(4, 14)
        for seq in range(1, count + 1):
            yield gen.household(village, seq, groups)


# ---------------------------------------------------------------------------------------------
# villages of a preset (database reads)


def preset_villages(preset: Preset) -> list[str]:
    """Codes of the level-5 areas of the preset that are loaded in the database."""
    from fupin.areas.models import Area, code_range

    qs = Area.objects.filter(level=5)
    if preset.root:
        level = 1 if preset.root.endswith("0000000000") else 2
        lo, hi = code_range(preset.root, level)
        qs = qs.filter(code__gte=lo, code__lte=hi)
    return list(qs.order_by("code").values_list("code", flat=True))


# ---------------------------------------------------------------------------------------------
# writers


def write_csv(rows: Iterable[tuple[Row, list[Row]]], out_dir: Path, *, progress=None) -> tuple[int, int]:
    """户.csv and 人.csv (UTF-8 with BOM, exchange-format.md), streamed row by row."""
    out_dir.mkdir(parents=True, exist_ok=True)
    n_hh = n_m = 0
    with (open(out_dir / "户.csv", "w", encoding="utf-8-sig", newline="") as fh,
          open(out_dir / "人.csv", "w", encoding="utf-8-sig", newline="") as fm):
        wh = csv.DictWriter(fh, HOUSEHOLD_HEADERS)
        wm = csv.DictWriter(fm, MEMBER_HEADERS)
        wh.writeheader()
        wm.writeheader()
        for hh, members in rows:
            wh.writerow(hh)
            wm.writerows(members)
            n_hh += 1
            n_m += len(members)
            if progress and n_hh % 1000 == 0:
                progress(n_hh)
    return n_hh, n_m


XLSX_MAX_ROWS = 1_048_575  # data rows of one Excel sheet (1,048,576 minus the header)
_XLSX_NUMERIC = {"识别年度", "脱贫年度", "收入年度", "工资性收入", "生产经营性收入", "财产性收入", "转移性收入",
                 "生产经营性支出", "合规自付医疗支出", "其他刚性支出", "耕地面积", "林地面积", "务工时间"}


class XlsxWriter:
    """registry.xlsx with sheets 户 and 人, written in xlsxwriter's constant_memory mode. ID
    numbers, phones, accounts and codes stay text; amounts and years are numbers, as a person
    filling the sheet in by hand would have them."""

    def __init__(self, path: Path):
        import xlsxwriter

        path.parent.mkdir(parents=True, exist_ok=True)
        self.book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False,
                                                    "strings_to_formulas": False, "strings_to_urls": False})
        self.sheets = {}
        for name, headers in (("户", HOUSEHOLD_HEADERS), ("人", MEMBER_HEADERS)):
            ws = self.book.add_worksheet(name)
            ws.write_row(0, 0, headers)
            self.sheets[name] = [ws, headers, 1]

    def _write(self, name: str, row: Row) -> None:
        ws, headers, r = self.sheets[name]
        if r > XLSX_MAX_ROWS:
            raise OverflowError(f"sheet {name} exceeds Excel's row limit")
        for col, h in enumerate(headers):
            v = row.get(h, "")
            if v == "":
                continue
            if h in _XLSX_NUMERIC:
                try:
                    ws.write_number(r, col, float(v) if "." in v else int(v))
                    continue
                except ValueError:
                    pass
            ws.write_string(r, col, v)
        self.sheets[name][2] = r + 1

    def add(self, hh: Row, members: list[Row]) -> None:
        self._write("户", hh)
        for m in members:
            self._write("人", m)

    def close(self) -> None:
        self.book.close()


def write_files(rows: Iterable[tuple[Row, list[Row]]], out_dir: Path, *, csv_files: bool = True,
                xlsx: bool = False, progress=None) -> tuple[int, int]:
    """One pass over the generator writing 户.csv/人.csv and/or registry.xlsx into out_dir."""
    out_dir.mkdir(parents=True, exist_ok=True)
    book = XlsxWriter(out_dir / "registry.xlsx") if xlsx else None
    counts = [0, 0]

    def tee():
        for hh, members in rows:
            if book is not None:
                book.add(hh, members)
            counts[0] += 1
            counts[1] += len(members)
            if progress and counts[0] % 1000 == 0:
                progress(counts[0])
            yield hh, members

    try:
        if csv_files:
            write_csv(tee(), out_dir)
        else:
            for _ in tee():
                pass
    finally:
        if book is not None:
            book.close()
    return counts[0], counts[1]


def _d(s: str) -> Decimal | None:
    return Decimal(s).quantize(_CENT) if s else None


_CENT = Decimal("0.01")
_YES = "是"


def household_fields(row: Row) -> dict:
    """Model fields of a generated (clean) household row: the same dict that
    validation.parse_household returns for it (a test holds the two equal), without the
    general-purpose normalisation that a generated row does not need."""
    registered = row["户类型"] != "一般农户"
    return {
        "number": row["户编号"], "kind": row["户类型"], "village_id": row["行政区划代码"], "group": row["村民小组"],
        "head_name": row["户主姓名"], "head_id_number": row["户主证件号码"], "phone": row["联系电话"],
        "year_registered": int(row["识别年度"]) if registered else None,
        "attribute": row["贫困户属性"], "main_cause": row["主要致贫原因"],
        "other_causes": row["其他致贫原因"].split("、") if row["其他致贫原因"] else [],
        "status": row["脱贫状态"], "exit_year": int(row["脱贫年度"]) if row["脱贫年度"] else None,
        "income": {"year": int(row["收入年度"]), "wage": _d(row["工资性收入"]), "business": _d(row["生产经营性收入"]),
                   "property_income": _d(row["财产性收入"]), "transfer": _d(row["转移性收入"]),
                   "business_cost": _d(row["生产经营性支出"]), "medical_spending": _d(row["合规自付医疗支出"]),
                   "rigid_spending": _d(row["其他刚性支出"]),
                   "risks": row["风险类型"].split("、") if row["风险类型"] else []},
        "food_ok": row["不愁吃"] == _YES, "clothing_ok": row["不愁穿"] == _YES, "housing_grade": row["住房安全等级"],
        "renovated": row["已完成危房改造"] == _YES, "relocated": row["易地扶贫搬迁入住"] == _YES,
        "safe_water": row["饮水安全"] == _YES, "arable_land": _d(row["耕地面积"]), "forest_land": _d(row["林地面积"]),
        "bank_name": row["开户银行"], "bank_account": row["银行账号"],
    }


def member_fields(row: Row) -> dict:
    """Model fields of a generated (clean) member row, as validation.parse_member returns them."""
    return {
        "household_number": row["户编号"], "name": row["姓名"], "id_number": row["证件号码"],
        "relation": row["与户主关系"], "sex": row["性别"], "birth_date": dt.date.fromisoformat(row["出生日期"]),
        "ethnicity": row["民族"], "education": row["文化程度"], "school_status": row["在校生状况"],
        "health": row["健康状况"], "labour": row["劳动技能"], "home_schooling": row["送教上门或免学"] == _YES,
        "soldier": row["是否现役军人"] == _YES, "medical_insurance": row["基本医疗保险"] == _YES,
        "pension_insurance": row["基本养老保险"] == _YES, "migrant_work": row["务工状况"],
        "migrant_months": int(row["务工时间"]) if row["务工时间"] else None, "state": row["成员状态"],
        "state_date": dt.date.fromisoformat(row["状态变更日期"]) if row["状态变更日期"] else None,
    }


class _Inserter:
    """Plain multi-row INSERT (SQLite: executemany) or COPY (PostgreSQL) of model rows given as
    {attname: value} with every concrete field present. Values are adapted as the field's
    get_db_prep_save would; what is skipped is the ORM's per-object SQL compilation, which costs
    ~15 µs a field (about 4 minutes for the chenzhou preset with bulk_create on SQLite, whose
    999-parameter limit also cuts batches to ~45 members)."""

    def __init__(self, model, connection, with_pk: bool = False):
        self.connection = connection
        ops = connection.ops
        fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
        self.attnames = [f.attname for f in fields]
        # (column index, adapter) for the types the backend adapts; identity adapters are dropped.
        self.convert = []
        for i, f in enumerate(fields):
            kind = f.get_internal_type()
            if kind == "DateField":
                fn, sample = ops.adapt_datefield_value, dt.date(2000, 1, 2)
            elif kind == "DateTimeField":
                fn, sample = ops.adapt_datetimefield_value, dt.datetime(2000, 1, 2, tzinfo=dt.UTC)
            elif kind == "DecimalField":
                fn, sample = (lambda v, f=f: ops.adapt_decimalfield_value(v, f.max_digits, f.decimal_places),
                              Decimal("1.50"))
            elif kind == "JSONField":
                fn, sample = (lambda v, f=f: f.get_db_prep_save(v, connection)), None
            else:
                continue
            if sample is None or fn(sample) is not sample:
                self.convert.append((i, fn))
        q = ops.quote_name
        cols = ", ".join(q(f.column) for f in fields)
        table = q(model._meta.db_table)
        self.copy_sql = f"COPY {table} ({cols}) FROM STDIN"
        self.insert_sql = f"INSERT INTO {table} ({cols}) VALUES ({', '.join(['%s'] * len(fields))})"

    def tuples(self, rows: list[dict]) -> list[list]:
        names, convert = self.attnames, self.convert
        out = [[row[n] for n in names] for row in rows]
        for i, fn in convert:
            last_in = last_out = None  # a batch's timestamps are one object: adapt it once
            for t in out:
                v = t[i]
                if v is None:
                    continue
                if v is not last_in:
                    last_in, last_out = v, fn(v)
                t[i] = last_out
        return out

    def insert(self, rows: list[dict]) -> None:
        if not rows:
            return
        with self.connection.cursor() as cur:
            if self.connection.vendor == "postgresql":
                with cur.cursor.copy(self.copy_sql) as copy:
                    for t in self.tuples(rows):
                        copy.write_row(t)
            else:
                cur.executemany(self.insert_sql, self.tuples(rows))


@contextmanager
def _sqlite_cache(connection, kib: int = 262_144):
    """A 256 MB page cache while seeding SQLite: the indexes on names, ID numbers and accounts take
    random inserts, and with the default 2 MB cache the chenzhou preset slows to a crawl."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cur:
        cur.execute("PRAGMA cache_size")
        old = cur.fetchone()[0]
        cur.execute(f"PRAGMA cache_size = -{int(kib)}")
    try:
        yield
    finally:
        with connection.cursor() as cur:
            cur.execute(f"PRAGMA cache_size = {int(old)}")


def _reserve_ids(connection, model, n: int, state: dict) -> list[int]:
    """Primary keys for n new rows: from the sequence on PostgreSQL; on SQLite above the current
    maximum, which is safe because the seeding transaction holds the write lock (BEGIN IMMEDIATE)."""
    from fupin.registry.bulkwrite import sequence_ids

    table = model._meta.db_table
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            return sequence_ids(cur, model, n)
        if "next" not in state:
            cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}")
            state["next"] = cur.fetchone()[0] + 1
    first = state["next"]
    state["next"] += n
    return list(range(first, first + n))


def seed_database(*, actor, rows: Iterable[tuple[Row, list[Row]]], villages: Iterable[str],
                  batch: int = 2000, progress=None, summary: dict | None = None,
                  check_every: int = 100) -> tuple[int, int]:
    """Write generated rows into the registry in batches, in one transaction (all or nothing).

    Rows must be clean: every `check_every`-th household goes through registry.validation (the
    rules of the importer), the rest through the plain conversions above. A synthetic registry
    is not a business action on each household, so one summary audit row (action
    registry.seed) and one timeline event per household stand for the per-row audit.
    """
    from django.db import DEFAULT_DB_ALIAS, connections, transaction
    from django.utils import timezone

    from fupin.core import audit
    from fupin.core.pinyin import initials
    from fupin.registry import validation as v
    from fupin.registry.models import Household, HouseholdEvent, IncomeRecord, Member
    from fupin.registry.services import HOUSEHOLD_FIELDS, MEMBER_FIELDS

    known = set(villages)
    names: dict[str, str] = {}
    today = dt.date.today()
    actor_id = actor.pk if getattr(actor, "pk", None) else None

    def ini(name: str) -> str:
        # pypinyin costs ~50 µs a name and names repeat a lot
        s = names.get(name)
        if s is None:
            if len(names) > 500_000:
                names.clear()
            s = names[name] = initials(name)
        return s

    connection = connections[DEFAULT_DB_ALIAS]  # the wrapper itself, not the per-attribute proxy
    ins = {m: _Inserter(m, connection, with_pk=(m is Household))
           for m in (Household, IncomeRecord, Member, HouseholdEvent)}
    id_state: dict = {}

    def flush(buf) -> int:
        now = timezone.now()
        stamp = {"created_at": now, "updated_at": now}
        ids = _reserve_ids(connection, Household, len(buf), id_state)
        hhs, incomes, members, events = [], [], [], []
        for pk, (hh, ms) in zip(ids, buf, strict=True):
            hhs.append({"id": pk, "number": hh["number"], "head_initials": ini(hh["head_name"]), "version": 1,
                        **{f: hh[f] for f in HOUSEHOLD_FIELDS}, **stamp})
            incomes.append({"household_id": pk, **hh["income"], **stamp})
            for m in ms:
                members.append({"household_id": pk, "name_initials": ini(m["name"]),
                                **{f: m[f] for f in MEMBER_FIELDS}, **stamp})
            events.append({"household_id": pk, "at": now, "actor_id": actor_id, "type": "seeded",
                           "message": f"合成数据：户主 {hh['head_name']}，{len(ms)} 人", "parameters": {}})
        ins[Household].insert(hhs)
        ins[IncomeRecord].insert(incomes)
        ins[Member].insert(members)
        ins[HouseholdEvent].insert(events)
        return len(members)

    n_hh = n_m = 0
    buf: list = []
    with transaction.atomic(), _sqlite_cache(connection):
        for n, (hh_row, member_rows) in enumerate(rows):
            if n % check_every == 0:
                # a spot check that generated rows still pass the one validation (the tests check all)
                _, errors = v.parse_household(hh_row, area_exists=known.__contains__)
                for raw in member_rows:
                    errors += v.parse_member(raw, today=today)[1]
                if errors:
                    e = errors[0]
                    raise ValueError(f"generated row failed validation: {e.code} {e.column} ({hh_row['户编号']})")
            elif hh_row["行政区划代码"] not in known:
                raise ValueError(f"unknown village {hh_row['行政区划代码']}")
            buf.append((household_fields(hh_row), [member_fields(m) for m in member_rows]))
            if len(buf) >= batch:
                n_m += flush(buf)
                n_hh += len(buf)
                buf = []
                if progress:
                    progress(n_hh)
        if buf:
            n_m += flush(buf)
            n_hh += len(buf)
            if progress:
                progress(n_hh)
        audit.record(actor=actor, action="registry.seed", object_type="registry",
                     object_id=(summary or {}).get("preset", ""), area_code=(summary or {}).get("root") or "",
                     after={**(summary or {}), "households": n_hh, "members": n_m})
    return n_hh, n_m
