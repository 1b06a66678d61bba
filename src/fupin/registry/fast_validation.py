"""A faster road to the same answers as fupin.registry.validation, for bulk imports.

registry.validation stays the one definition of the rules (the web forms and the API use it
directly). For the hundreds of thousands of rows of an import this module gives, for every row,
EXACTLY what validation.parse_household / parse_member give — the same parsed values, the same
errors — more cheaply:

* Cell rules are memoised per column. A column's cells repeat (the same 是/否, the same causes,
  years, amounts, dates), so each distinct raw cell is run once through validation's own cell
  reader (validation._Row: text / enum / boolean / integer / money / date, with the arguments
  parse_* passes for that column) and its result is remembered. The memo is bounded (cleared when
  it grows past MEMO_MAX entries), so memory does not grow with the file.
* Two kinds of cell are too varied for a memo to help, and common enough to be read here without
  a _Row: an amount of plain ASCII digits (money(): Decimal to cents, an error from 10^9 on), and
  a 出生日期 that is exactly the birth date of the row's (valid) ID number written YYYY-MM-DD.
  Any other cell of those columns still goes to validation's reader.
* The few rules that combine cells of one row (ID number against sex and birth date, 户类型
  deciding which columns apply, 脱贫状态 against 脱贫年度, 成员状态 against 状态变更日期) are
  restated below in the same order as in validation.
* Only clean rows take this road. As soon as any cell of a row has an error, or a combined rule
  fails, the whole row is handed to validation.parse_household / parse_member, which then
  produces the errors (and values) itself. Errors therefore always come from the reference.

tests/registry/test_fast_validation_agreement.py checks the agreement, row by row, on generated
rows (hypothesis) and on the seeder's dirty files.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from fupin.core import idcard
from fupin.core.errors import ErrorCode as E
from fupin.core.text import clean, digits_only, split_list
from fupin.registry import choices as c
from fupin.registry import validation as v

MEMO_MAX = 4096  # distinct cells remembered per column before the memo is emptied (bounded memory)
_BAD = object()  # a cell (or row) that needs the reference parser: it has an error


class _Memo(dict):
    """raw cell -> parsed value, or _BAD when the cell has an error; computed by `fn(raw)` on a
    miss. Looked up as memo[raw] (a plain dict lookup when the cell was seen before). Only text
    cells are remembered under themselves: 1, 1.0 and True are equal as keys but read
    differently (clean(True) == "是"), so other cells are remembered by (type, value) aside."""

    __slots__ = ("fn", "other")

    def __init__(self, fn):
        super().__init__()
        self.fn, self.other = fn, {}

    def __missing__(self, raw):
        if type(raw) is not str:
            k = (type(raw), raw)
            value = self.other.get(k, _BAD)
            if value is _BAD and k not in self.other:
                value = self.fn(raw)
                if len(self.other) >= MEMO_MAX:
                    self.other.clear()
                self.other[k] = value
            return value
        value = self.fn(raw)
        if len(self) >= MEMO_MAX:
            self.clear()
        self[raw] = value
        return value


class _Direct(dict):
    """The same interface as _Memo for columns whose cells hardly repeat (户编号, names, ID and
    account numbers): computed every time, nothing remembered."""

    __slots__ = ("fn",)

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def __missing__(self, raw):
        return self.fn(raw)


def _cell(sheet: str, h: str, read, memo: bool = True):
    """One cell rule: `read(r)` calls validation._Row's readers on a one-cell row."""

    def fn(raw):
        r = v._Row(sheet, None, {} if raw is None else {h: raw})
        value = read(r)
        return _BAD if r.errors else value

    return _Memo(fn) if memo else _Direct(fn)


_CENT = Decimal("0.01")
_ZERO = Decimal(0)


def _money(sheet: str, h: str, required: bool, default: Decimal | None = _ZERO):
    """validation._Row.money(h, required, default) for column h, memoised. A cell of plain ASCII
    digits, the usual amount, is read directly: clean() leaves it as it is, parse_number() too,
    money() then gives Decimal(cell) to cents, or an error when it is 10^9 or more (or, as text,
    longer than 60 characters). Every other cell goes to money() itself."""
    reference = _cell(sheet, h, lambda r: r.money(h, required, default)).fn

    def fn(raw):
        if type(raw) is str and raw.isdigit() and raw.isascii() and len(raw) <= 60:
            value = Decimal(raw)
            return _BAD if value >= v._MAX_YUAN else value.quantize(_CENT)
        return reference(raw)

    return _Memo(fn)


def _text(required: bool, max_len: int):
    """The rule of validation._Row.text(h, required, max_len) for a column whose cells hardly repeat,
    without building a _Row per cell: the cell cleaned; empty is "" (an error when required);
    longer than max_len is an error."""

    def fn(raw):
        s = clean(raw)
        if not s:
            return _BAD if required else ""
        return _BAD if len(s) > max_len else s

    return _Direct(fn)


# --- sheet 户 -------------------------------------------------------------------------------------

class HouseholdParser:
    """parse(raw, row) == validation.parse_household(raw, row=row, area_exists=area_exists)."""

    def __init__(self, area_exists=None):
        self.area_exists = area_exists
        H = v.HOUSEHOLD_SHEET

        def m(h, read, memo=True):
            return _cell(H, h, read, memo)

        self.number = _text(True, 40)
        self.kind = m("户类型", lambda r: r.enum("户类型", v._KINDS, default=c.HouseholdKind.REGISTERED))
        self.code = m("行政区划代码", self._code)
        self.group = m("村民小组", lambda r: r.text("村民小组", max_len=60))
        self.head_name = _text(True, 60)
        self.head_id = _Direct(self._head_id)
        self.phone = _Direct(self._phone)
        self.year_registered = m("识别年度", lambda r: r.integer("识别年度", 2013, 2030, True))
        self.attribute = m("贫困户属性", lambda r: r.enum("贫困户属性", v._ATTRIBUTES, True))
        self.main_cause = m("主要致贫原因", lambda r: r.enum("主要致贫原因", c.CAUSES, True))
        self.others = m("其他致贫原因", self._others)
        self.status = m("脱贫状态", lambda r: r.enum("脱贫状态", c.IMPORTABLE_STATUSES, default=c.Status.NOT_EXITED))
        self.exit_year = m("脱贫年度", lambda r: r.integer("脱贫年度", 2013, 2035))
        self.income_year = m("收入年度", lambda r: r.integer("收入年度", 2000, 2100, True))
        self.incomes = [(name, _money(H, h, True)) for h, name in v.INCOME_FIELDS]
        self.spendings = [(name, _money(H, h, False)) for h, name in v.SPENDING_FIELDS]
        self.risks = m("风险类型", self._risks)
        self.bools = [(name, m(h, lambda r, h=h: r.boolean(h, True, default=False))) for h, name in v.HOUSEHOLD_BOOLS]
        self.grade = m("住房安全等级", self._grade)
        self.arable = _money(H, "耕地面积", False, None)
        self.forest = _money(H, "林地面积", False, None)
        self.bank_name = m("开户银行", lambda r: r.text("开户银行", max_len=100))
        self.account = _Direct(self._account)
        self.areas: dict[str, bool] = {}
        # the plain columns, (field, memo, header) in parse_household's order, between the special ones
        self.plan_head = (("group", self.group, "村民小组"), ("head_name", self.head_name, "户主姓名"),
                          ("head_id_number", self.head_id, "户主证件号码"), ("phone", self.phone, "联系电话"))
        self.plan_registered = (("year_registered", self.year_registered, "识别年度"),
                                ("attribute", self.attribute, "贫困户属性"),
                                ("main_cause", self.main_cause, "主要致贫原因"))
        self.plan_income = tuple((name, memo, _INCOME_HEADER[name]) for name, memo in self.incomes + self.spendings)
        self.plan_tail = (*((name, memo, _BOOL_HEADER[name]) for name, memo in self.bools),
                          ("housing_grade", self.grade, "住房安全等级"), ("arable_land", self.arable, "耕地面积"),
                          ("forest_land", self.forest, "林地面积"), ("bank_name", self.bank_name, "开户银行"),
                          ("bank_account", self.account, "银行账号"))

    # cell rules that are more than one reader call: the same statements as parse_household
    @staticmethod
    def _code(r):
        code = r.text("行政区划代码", True, 20)
        if code and not (len(code) == 12 and code.isdigit()):
            r.err("行政区划代码", E.E_UNKNOWN_AREA, "")
        return code

    # the cells of these columns hardly repeat: read directly (validation._Row.text's rule restated)
    @staticmethod
    def _head_id(raw):
        return idcard.normalize(clean(raw)) or _BAD

    @staticmethod
    def _phone(raw):
        phone = clean(raw)
        if phone:
            if len(phone) > 30:
                return _BAD
            phone = digits_only(phone)
            if not (phone.isdigit() and 7 <= len(phone) <= 12):
                return _BAD
        return phone

    @staticmethod
    def _others(r):
        others = split_list(r.v.get("其他致贫原因", ""))
        if [o for o in others if o not in c.CAUSES] or len(others) > 2:
            r.err("其他致贫原因", E.E_ENUM, "")
        return tuple(others)

    @staticmethod
    def _risks(r):
        risks = split_list(r.v.get("风险类型", ""), "、,;")
        if [x for x in risks if x not in c.RISKS]:
            r.err("风险类型", E.E_ENUM, "")
        return tuple(risks)

    @staticmethod
    def _grade(r):
        r.v["住房安全等级"] = r.v.get("住房安全等级", "").upper()
        return r.enum("住房安全等级", c.HOUSING_GRADES, True)

    @staticmethod
    def _account(raw):
        account = clean(raw)
        if account:
            if len(account) > 40:
                return _BAD
            account = digits_only(account)
            if not (account.isdigit() and 10 <= len(account) <= 25):
                return _BAD
        return account

    def _area_ok(self, code: str) -> bool:
        if self.area_exists is None:
            return True
        known = self.areas.get(code)
        if known is None:
            known = self.areas[code] = bool(self.area_exists(code))
            if len(self.areas) > MEMO_MAX:
                self.areas.clear()
        return known

    def fast(self, raw: dict) -> dict | None:
        """The parsed fields of a row without any error, or None (then ask the reference)."""
        g = raw.get
        f: dict = {}
        if (x := self.number[g("户编号")]) is _BAD:
            return None
        f["number"] = x
        if (kind := self.kind[g("户类型")]) is _BAD:
            return None
        f["kind"] = kind
        if (code := self.code[g("行政区划代码")]) is _BAD or not self._area_ok(code):
            return None
        f["village_id"] = code
        for name, memo, h in self.plan_head:
            if (x := memo[g(h)]) is _BAD:
                return None
            f[name] = x
        if kind != c.HouseholdKind.ORDINARY:
            for name, memo, h in self.plan_registered:
                if (x := memo[g(h)]) is _BAD:
                    return None
                f[name] = x
            if (x := self.others[g("其他致贫原因")]) is _BAD:
                return None
            f["other_causes"] = list(x)
            if (status := self.status[g("脱贫状态")]) is _BAD:
                return None
            f["status"] = status
            if (exit_year := self.exit_year[g("脱贫年度")]) is _BAD:
                return None
            # exit_year is None exactly when the cell is empty (a non-empty cell reads as a number or errs)
            if status == c.Status.EXITED and exit_year is None:
                return None
            if status and status != c.Status.EXITED and exit_year is not None:
                return None
            f["exit_year"] = exit_year
        else:
            f.update(year_registered=None, attribute="", main_cause="", other_causes=[], status="", exit_year=None)
        if (year := self.income_year[g("收入年度")]) is _BAD:
            return None
        income: dict = {"year": year}
        for name, memo, h in self.plan_income:
            if (x := memo[g(h)]) is _BAD:
                return None
            income[name] = x
        if (x := self.risks[g("风险类型")]) is _BAD:
            return None
        income["risks"] = list(x)
        f["income"] = income
        for name, memo, h in self.plan_tail:
            if (x := memo[g(h)]) is _BAD:
                return None
            f[name] = x
        return f

    def parse(self, raw: dict, row: int | None = None) -> tuple[dict, list[v.RowError]]:
        try:
            f = self.fast(raw)
        except TypeError:  # an unhashable cell: the reference reads it
            f = None
        if f is not None:
            return f, []
        return v.parse_household(raw, row=row, area_exists=self.area_exists)


_INCOME_HEADER = {name: h for h, name in v.INCOME_FIELDS + v.SPENDING_FIELDS}
_BOOL_HEADER = {name: h for h, name in v.HOUSEHOLD_BOOLS + v.MEMBER_BOOLS}


# --- sheet 人 -------------------------------------------------------------------------------------

class MemberParser:
    """parse(raw, row) == validation.parse_member(raw, row=row, today=today)."""

    def __init__(self, today: dt.date | None = None):
        self.today = today or dt.date.today()
        M = v.MEMBER_SHEET

        def m(h, read, memo=True):
            return _cell(M, h, read, memo)

        self.number = _text(True, 40)
        self.name = _text(True, 60)
        self.enums = [(name, m(h, lambda r, h=h, allowed=allowed: r.enum(h, allowed, True)))
                      for h, name, allowed in v.MEMBER_ENUMS]
        self.sex = m("性别", lambda r: r.enum("性别", c.SEXES, True))
        self.born = m("出生日期", lambda r: r.date("出生日期", E.E_BIRTHDATE_MISMATCH))
        self.ethnicity = m("民族", lambda r: r.text("民族", max_len=20))
        self.bools = [(name, m(h, lambda r, h=h: r.boolean(h, True, default=False))) for h, name in v.MEMBER_BOOLS]
        self.migrant_work = m("务工状况", lambda r: r.enum("务工状况", c.MIGRANT_WORK))
        self.migrant_months = m("务工时间", lambda r: r.integer("务工时间", 0, 12))
        self.state = m("成员状态", lambda r: (r.enum("成员状态", v._MEMBER_STATES, default=c.MemberState.PRESENT)
                                          or c.MemberState.PRESENT))
        self.state_date = m("状态变更日期", lambda r: r.date("状态变更日期", E.E_NUMBER))
        self.ids = _Memo(self._id)
        # the plain columns, (field, memo, header) in parse_member's order, between the special ones
        self.plan_enums = tuple((name, memo, h) for (name, memo), (h, _, _) in zip(self.enums, v.MEMBER_ENUMS,
                                                                                   strict=True))
        self.plan_rest = (("ethnicity", self.ethnicity, "民族"),
                          *((name, memo, _BOOL_HEADER[name]) for name, memo in self.bools),
                          ("migrant_work", self.migrant_work, "务工状况"),
                          ("migrant_months", self.migrant_months, "务工时间"))

    def _id(self, raw):
        """(ID number, its sex, its birth date, that date as YYYY-MM-DD) or _BAD."""
        idn = idcard.normalize(clean(raw))
        if not idn or idcard.validate(idn, today=self.today):
            return _BAD
        return idn, idcard.sex(idn), idcard.birth_date(idn), f"{idn[6:10]}-{idn[10:12]}-{idn[12:14]}"

    def fast(self, raw: dict) -> dict | None:
        g = raw.get
        if (number := self.number[g("户编号")]) is _BAD or (name := self.name[g("姓名")]) is _BAD:
            return None
        # ID numbers are unique: read them directly rather than filling a memo
        idr = g("证件号码")
        got = self._id(idr) if type(idr) is str else self.ids[idr]
        if got is _BAD:
            return None
        idn, id_sex, id_born, id_born_text = got
        f: dict = {"household_number": number, "name": name, "id_number": idn}
        for fname, memo, h in self.plan_enums:
            if (x := memo[g(h)]) is _BAD:
                return None
            f[fname] = x
        if (sex := self.sex[g("性别")]) is _BAD or sex != id_sex:
            return None
        f["sex"] = sex
        # the usual 出生日期 is the ID's own date, as text: date() would read it as exactly id_born
        if (b := g("出生日期")) != id_born_text and (
                (born := self.born[b]) is _BAD or (born is not None and born != id_born)):
            return None
        f["birth_date"] = id_born
        for fname, memo, h in self.plan_rest:
            if (x := memo[g(h)]) is _BAD:
                return None
            f[fname] = x
        if (state := self.state[g("成员状态")]) is _BAD:
            return None
        f["state"] = state
        if (state_date := self.state_date[g("状态变更日期")]) is _BAD or (state_date and state == c.MemberState.PRESENT):
            return None
        f["state_date"] = state_date
        return f

    def parse(self, raw: dict, row: int | None = None) -> tuple[dict, list[v.RowError]]:
        try:
            f = self.fast(raw)
        except TypeError:  # an unhashable cell: the reference reads it
            f = None
        if f is not None:
            return f, []
        return v.parse_member(raw, row=row, today=self.today)
