"""One validation for the registry, used by the importer, the web forms and the API
(exchange-format.md: "Normalisation" and "Validation errors").

Rows come in as {header: raw cell value}; out come model field values and a list of
RowError. Cross-row rules (duplicates, heads, unknown households, people already in
another household) live in the importer, which sees the whole file, and in the
services, which see the database.
"""

import datetime as dt
import functools
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from fupin.core import idcard
from fupin.core.errors import ErrorCode as E
from fupin.core.text import clean, digits_only, parse_bool, parse_number, split_list
from fupin.registry import choices as c

HOUSEHOLD_SHEET = "户"
MEMBER_SHEET = "人"


@dataclass(frozen=True)
class RowError:
    sheet: str
    row: int | None  # as Excel shows it (header = 1); None for a whole-file error
    column: str
    code: str
    message: str

    def as_dict(self) -> dict:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "code": self.code,
                "message": self.message}


# (header, required) in the order the export writes them. "reg" = required for 建档立卡户 only.
HOUSEHOLD_COLUMNS = [
    ("户编号", True), ("户类型", False), ("行政区划代码", True), ("村民小组", False), ("户主姓名", True),
    ("户主证件号码", True), ("联系电话", False), ("识别年度", "reg"), ("贫困户属性", "reg"),
    ("主要致贫原因", "reg"), ("其他致贫原因", False), ("脱贫状态", False), ("脱贫年度", False),
    ("收入年度", True), ("工资性收入", True), ("生产经营性收入", True), ("财产性收入", True), ("转移性收入", True),
    ("生产经营性支出", True), ("合规自付医疗支出", False), ("其他刚性支出", False), ("风险类型", False),
    ("不愁吃", True), ("不愁穿", True), ("住房安全等级", True), ("已完成危房改造", True), ("易地扶贫搬迁入住", True),
    ("饮水安全", True), ("耕地面积", False), ("林地面积", False), ("开户银行", False), ("银行账号", False),
]
MEMBER_COLUMNS = [
    ("户编号", True), ("姓名", True), ("证件号码", True), ("与户主关系", True), ("性别", True), ("出生日期", False),
    ("民族", False), ("文化程度", True), ("在校生状况", True), ("健康状况", True), ("劳动技能", True),
    ("送教上门或免学", True), ("是否现役军人", True), ("基本医疗保险", True), ("基本养老保险", True),
    ("务工状况", False), ("务工时间", False), ("成员状态", False), ("状态变更日期", False),
]
HOUSEHOLD_REQUIRED_HEADERS = [h for h, r in HOUSEHOLD_COLUMNS if r]
MEMBER_REQUIRED_HEADERS = [h for h, r in MEMBER_COLUMNS if r]
HOUSEHOLD_HEADERS = [h for h, _ in HOUSEHOLD_COLUMNS]
MEMBER_HEADERS = [h for h, _ in MEMBER_COLUMNS]

INCOME_FIELDS = [("工资性收入", "wage"), ("生产经营性收入", "business"), ("财产性收入", "property_income"),
                 ("转移性收入", "transfer"), ("生产经营性支出", "business_cost")]
SPENDING_FIELDS = [("合规自付医疗支出", "medical_spending"), ("其他刚性支出", "rigid_spending")]
HOUSEHOLD_BOOLS = [("不愁吃", "food_ok"), ("不愁穿", "clothing_ok"), ("已完成危房改造", "renovated"),
                   ("易地扶贫搬迁入住", "relocated"), ("饮水安全", "safe_water")]
MEMBER_BOOLS = [("送教上门或免学", "home_schooling"), ("是否现役军人", "soldier"), ("基本医疗保险", "medical_insurance"),
                ("基本养老保险", "pension_insurance")]
MEMBER_ENUMS = [("与户主关系", "relation", c.RELATIONS), ("文化程度", "education", c.EDUCATION),
                ("在校生状况", "school_status", c.SCHOOL_STATUS), ("健康状况", "health", c.HEALTH),
                ("劳动技能", "labour", c.LABOUR)]

_MAX_YUAN = Decimal("1000000000")
# TextChoices.values builds a new list on every access: take them once.
_KINDS = tuple(c.HouseholdKind.values)
_ATTRIBUTES = tuple(c.Attribute.values)
_MEMBER_STATES = tuple(c.MemberState.values)


@functools.lru_cache(maxsize=64)
def _as_set(allowed: tuple) -> frozenset:
    """Membership sets of the value lists, built once (the importer checks millions of cells)."""
    return frozenset(allowed)


class _Row:
    """Collects errors for one row while reading its cells."""

    def __init__(self, sheet: str, row: int | None, raw: dict):
        self.sheet, self.row, self.errors = sheet, row, []
        self.v = {k: clean(v) for k, v in raw.items()}
        self.raw = raw

    def err(self, column: str, code: str, message: str):
        self.errors.append(RowError(self.sheet, self.row, column, str(code), message))

    def text(self, h: str, required: bool = False, max_len: int = 60) -> str:
        s = self.v.get(h, "")
        if not s:
            if required:
                self.err(h, E.E_REQUIRED, f"“{h}”不能为空 / {h} is required")
            return ""
        if len(s) > max_len:
            self.err(h, E.E_NUMBER, f"“{h}”过长（最多 {max_len} 字）/ {h} is too long (max {max_len})")
            return s[:max_len]
        return s

    def enum(self, h: str, allowed, required: bool = False, default: str = "") -> str:
        s = self.text(h, required)
        if not s:
            return default
        if s not in _as_set(tuple(allowed)):
            shown = "、".join(allowed) if len(allowed) <= 8 else "、".join(list(allowed)[:8]) + "…"
            self.err(h, E.E_ENUM, f"“{h}”的值“{s}”无效，应为：{shown} / {h}: '{s}' is not allowed")
            return ""
        return s

    def boolean(self, h: str, required: bool = True, default: bool = False) -> bool:
        s = self.text(h, required)
        if not s:
            return default
        b = parse_bool(s)
        if b is None:
            self.err(h, E.E_ENUM, f"“{h}”应为 是 或 否，而不是“{s}” / {h} must be 是 or 否")
            return default
        return b

    def integer(self, h: str, lo: int, hi: int, required: bool = False) -> int | None:
        s = self.text(h, required)
        if not s:
            return None
        n = parse_number(s)
        if n is None or Decimal(n) != Decimal(n).to_integral_value():
            self.err(h, E.E_NUMBER, f"“{h}”应为整数，而不是“{s}” / {h} must be a whole number")
            return None
        value = int(Decimal(n))
        if not lo <= value <= hi:
            self.err(h, E.E_NUMBER, f"“{h}”应在 {lo} 到 {hi} 之间，而不是 {value} / {h} must be {lo}–{hi}")
            return None
        return value

    def money(self, h: str, required: bool = True, default: Decimal | None = Decimal("0")) -> Decimal | None:
        s = self.text(h, required)
        if not s:
            return default
        n = parse_number(s)
        try:
            value = Decimal(n) if n is not None else None
        except InvalidOperation:
            value = None
        if value is None:
            self.err(h, E.E_NUMBER, f"“{h}”不是数字：“{s}” / {h} is not a number")
            return default
        if value < 0:
            self.err(h, E.E_NUMBER, f"“{h}”不能为负数：{s} / {h} must be ≥ 0")
            return default
        if value >= _MAX_YUAN or value.as_tuple().exponent < -2 and value != value.quantize(Decimal("0.01")):
            self.err(h, E.E_NUMBER, f"“{h}”超出范围或多于两位小数：{s} / {h} out of range or more than 2 decimals")
            return default
        return value.quantize(Decimal("0.01"))

    def date(self, h: str, code: str) -> dt.date | None:
        raw = self.raw.get(h)
        if isinstance(raw, dt.datetime):
            return raw.date()
        if isinstance(raw, dt.date):
            return raw
        s = self.v.get(h, "")
        if not s:
            return None
        m = re.match(r"^(\d{4})[-/.年]?(\d{1,2})[-/.月]?(\d{1,2})日?(?:[ T]00:00(?::00)?)?$", s)
        if m:
            try:
                return dt.date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                pass
        self.err(h, code, f"“{h}”不是有效日期（YYYY-MM-DD）：“{s}” / {h} is not a date")
        return None


def parse_household(raw: dict, *, row: int | None = None, area_exists=None) -> tuple[dict, list[RowError]]:
    """One row of sheet 户 → (fields, errors).

    fields has the Household model fields plus "number", "head_id_number" and "income" (a dict
    of IncomeRecord fields including "year"). `area_exists(code)` checks E_UNKNOWN_AREA.
    """
    r = _Row(HOUSEHOLD_SHEET, row, raw)
    f: dict = {}
    f["number"] = r.text("户编号", True, 40)
    f["kind"] = r.enum("户类型", _KINDS, default=c.HouseholdKind.REGISTERED)
    registered = f["kind"] != c.HouseholdKind.ORDINARY
    code = r.text("行政区划代码", True, 20)
    if code:
        if not (len(code) == 12 and code.isdigit()) or (area_exists is not None and not area_exists(code)):
            r.err("行政区划代码", E.E_UNKNOWN_AREA,
                  f"“{code}”不是系统中已知的村级行政区划代码 / {code} is not a known village code")
    f["village_id"] = code
    f["group"] = r.text("村民小组", max_len=60)
    f["head_name"] = r.text("户主姓名", True)
    f["head_id_number"] = idcard.normalize(r.v.get("户主证件号码", ""))
    if not f["head_id_number"]:
        r.err("户主证件号码", E.E_REQUIRED, "“户主证件号码”不能为空 / 户主证件号码 is required")
    phone = r.text("联系电话", max_len=30)
    if phone:
        phone = digits_only(phone)
        if not (phone.isdigit() and 7 <= len(phone) <= 12):
            r.err("联系电话", E.E_NUMBER, "“联系电话”应为 7–12 位数字 / phone must be 7–12 digits")
            phone = ""
    f["phone"] = phone
    if registered:
        f["year_registered"] = r.integer("识别年度", 2013, 2030, True)
        f["attribute"] = r.enum("贫困户属性", _ATTRIBUTES, True)
        f["main_cause"] = r.enum("主要致贫原因", c.CAUSES, True)
        others = split_list(r.v.get("其他致贫原因", ""))
        bad = [o for o in others if o not in c.CAUSES]
        if bad:
            r.err("其他致贫原因", E.E_ENUM, f"“其他致贫原因”中“{'、'.join(bad)}”无效 / unknown cause")
            others = [o for o in others if o in c.CAUSES]
        if len(others) > 2:
            r.err("其他致贫原因", E.E_ENUM, "“其他致贫原因”最多两项 / at most two other causes")
            others = others[:2]
        f["other_causes"] = others
        f["status"] = r.enum("脱贫状态", c.IMPORTABLE_STATUSES, default=c.Status.NOT_EXITED)
        exit_year = r.integer("脱贫年度", 2013, 2035)
        if f["status"] == c.Status.EXITED and exit_year is None and not r.v.get("脱贫年度"):
            r.err("脱贫年度", E.E_EXIT_YEAR, "脱贫状态为“已脱贫”时必须填写“脱贫年度” / exit year required for 已脱贫")
        elif f["status"] and f["status"] != c.Status.EXITED and r.v.get("脱贫年度"):
            r.err("脱贫年度", E.E_EXIT_YEAR,
                  f"脱贫状态为“{f['status']}”时“脱贫年度”应为空 / exit year only with 已脱贫")
            exit_year = None
        f["exit_year"] = exit_year
    else:
        f.update(year_registered=None, attribute="", main_cause="", other_causes=[], status="", exit_year=None)
    income: dict = {"year": r.integer("收入年度", 2000, 2100, True)}
    for h, name in INCOME_FIELDS:
        income[name] = r.money(h, True)
    for h, name in SPENDING_FIELDS:
        income[name] = r.money(h, False)
    risks = split_list(r.v.get("风险类型", ""), "、,;")
    bad = [x for x in risks if x not in c.RISKS]
    if bad:
        r.err("风险类型", E.E_ENUM, f"“风险类型”中“{'、'.join(bad)}”无效，应为：{'、'.join(c.RISKS)} / unknown risk")
    income["risks"] = [x for x in risks if x in c.RISKS]
    f["income"] = income
    for h, name in HOUSEHOLD_BOOLS:
        f[name] = r.boolean(h, True, default=False)
    grade = r.v.get("住房安全等级", "").upper()
    r.v["住房安全等级"] = grade
    f["housing_grade"] = r.enum("住房安全等级", c.HOUSING_GRADES, True)
    f["arable_land"] = r.money("耕地面积", False, None)
    f["forest_land"] = r.money("林地面积", False, None)
    f["bank_name"] = r.text("开户银行", max_len=100)
    account = r.text("银行账号", max_len=40)
    if account:
        account = digits_only(account)
        if not (account.isdigit() and 10 <= len(account) <= 25):
            r.err("银行账号", E.E_NUMBER, "“银行账号”应为 10–25 位数字 / bank account must be 10–25 digits")
            account = ""
    f["bank_account"] = account
    return f, r.errors


def parse_member(raw: dict, *, row: int | None = None, today: dt.date | None = None) -> tuple[dict, list[RowError]]:
    """One row of sheet 人 → (fields, errors). fields has "household_number" and Member fields."""
    r = _Row(MEMBER_SHEET, row, raw)
    f: dict = {"household_number": r.text("户编号", True, 40), "name": r.text("姓名", True)}
    idn = idcard.normalize(r.v.get("证件号码", ""))
    f["id_number"] = idn
    id_ok = False
    if not idn:
        r.err("证件号码", E.E_REQUIRED, "“证件号码”不能为空 / ID number is required")
    else:
        code = idcard.validate(idn, today=today)
        messages = {
            "E_ID_FORMAT": "证件号码应为 17 位数字加 1 位数字或 X / ID must be 17 digits + digit or X",
            "E_ID_CHECKSUM": "证件号码校验位错误，请核对 / ID check character is wrong",
            "E_ID_BIRTHDATE": "证件号码中的出生日期不存在或晚于今天 / birth date in ID is not a real past date",
        }
        if code:
            r.err("证件号码", code, messages[code])
        else:
            id_ok = True
    for h, name, allowed in MEMBER_ENUMS:
        f[name] = r.enum(h, allowed, True)
    f["sex"] = r.enum("性别", c.SEXES, True)
    if id_ok and f["sex"] and f["sex"] != idcard.sex(idn):
        r.err("性别", E.E_SEX_MISMATCH,
              f"性别“{f['sex']}”与证件号码（第17位表示{idcard.sex(idn)}）不符 / sex disagrees with the ID number")
    born = r.date("出生日期", E.E_BIRTHDATE_MISMATCH)
    if id_ok:
        id_born = idcard.birth_date(idn)
        if born is not None and born != id_born:
            r.err("出生日期", E.E_BIRTHDATE_MISMATCH,
                  f"出生日期 {born:%Y-%m-%d} 与证件号码中的 {id_born:%Y-%m-%d} 不符 / birth date disagrees with ID")
        born = id_born
    f["birth_date"] = born
    f["ethnicity"] = r.text("民族", max_len=20)
    for h, name in MEMBER_BOOLS:
        f[name] = r.boolean(h, True, default=False)
    f["migrant_work"] = r.enum("务工状况", c.MIGRANT_WORK)
    f["migrant_months"] = r.integer("务工时间", 0, 12)
    f["state"] = r.enum("成员状态", _MEMBER_STATES, default=c.MemberState.PRESENT) or c.MemberState.PRESENT
    f["state_date"] = r.date("状态变更日期", E.E_NUMBER)
    if f["state_date"] and f["state"] == c.MemberState.PRESENT:
        r.err("状态变更日期", E.E_ENUM, "“状态变更日期”仅用于 死亡 或 迁出 / change date only with 死亡 or 迁出")
        f["state_date"] = None
    return f, r.errors


def check_composition(hh: dict, hh_row: int | None, members: list[tuple[int | None, dict]]) -> list[RowError]:
    """Rules over one household and its member rows (exchange-format.md: E_EMPTY_HOUSEHOLD,
    E_NO_HEAD, E_MULTIPLE_HEADS, E_HEAD_MISMATCH). `members` are (row, parsed fields) of the
    rows that name this household; only members 在户 or with a state are counted as given."""
    errors: list[RowError] = []
    if not members:
        errors.append(RowError(HOUSEHOLD_SHEET, hh_row, "户编号", E.E_EMPTY_HOUSEHOLD,
                               f"户“{hh['number']}”在成员表中没有成员 / household has no member"))
        return errors
    heads = [(row, m) for row, m in members if m.get("relation") == "户主"]
    if not heads:
        errors.append(RowError(HOUSEHOLD_SHEET, hh_row, "户编号", E.E_NO_HEAD,
                               f"户“{hh['number']}”没有与户主关系为“户主”的成员 / household has no head"))
        return errors
    for row, _m in heads[1:]:
        errors.append(RowError(MEMBER_SHEET, row, "与户主关系", E.E_MULTIPLE_HEADS,
                               f"户“{hh['number']}”有多个户主 / more than one head"))
    head = heads[0][1]
    if hh.get("head_name") and head.get("name") and hh["head_name"] != head["name"]:
        errors.append(RowError(HOUSEHOLD_SHEET, hh_row, "户主姓名", E.E_HEAD_MISMATCH,
                               f"户主姓名“{hh['head_name']}”与成员表中的户主“{head['name']}”不符 / head name differs"))
    if hh.get("head_id_number") and head.get("id_number") and hh["head_id_number"] != head["id_number"]:
        errors.append(RowError(HOUSEHOLD_SHEET, hh_row, "户主证件号码", E.E_HEAD_MISMATCH,
                               "户主证件号码与成员表中户主的证件号码不符 / head ID differs from the head member"))
    return errors
