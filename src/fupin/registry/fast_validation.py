"""A faster road to the same answers as fupin.registry.validation, for bulk imports.

registry.validation stays the one definition of the rules (the web forms and the API use it
directly). For the hundreds of thousands of rows of an import this module gives, for every row,
EXACTLY what validation.parse_household / parse_member give — the same parsed values, the same
errors — more cheaply:

* Cell rules are memoised per column. A column's cells repeat (the same 是/否, the same causes,
  years, amounts, dates), so each distinct raw cell is run once through validation's own cell
  reader (validation._Row: text / enum / boolean / integer / money / date, with the arguments
  parse_* passes for that column) and its result is remembered. The memo is bounded (cleared when
  it grows past MEMO_MAX entries; a money column's keeps its first MONEY_MEMO_MAX amounts), so
  memory does not grow with the file.
* Columns whose cells hardly repeat (户编号, names, ID, phone and account numbers) are not
  memoised: their rules (text(), plus the ID, phone and account checks) are restated below.
* Two kinds of cell are too varied for a memo alone, and common enough to be read here without
  a _Row: an amount of plain ASCII digits (money(): Decimal to cents, an error from 10^9 on), and
  a 出生日期 that is exactly the birth date of the row's (valid) ID number written YYYY-MM-DD.
  Any other cell of those columns still goes to validation's reader.
* The few rules that combine cells of one row (ID number against sex and birth date, 户类型
  deciding which columns apply, 脱贫状态 against 脱贫年度, 成员状态 against 状态变更日期) are
  restated below in the same order as in validation.
* Only clean rows take this road. As soon as any cell of a row has an error, or a combined rule
  fails, the whole row is handed to validation.parse_household / parse_member, which then
  produces the errors (and values) itself. Errors therefore always come from the reference.
  A cell with an error raises _Reject from its memo lookup, so that the cells of a row can be
  looked up together (map() over the columns, in C) rather than one Python statement each.

tests/registry/test_fast_validation_agreement.py checks the agreement, row by row, on generated
rows (hypothesis) and on the seeder's dirty files.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from operator import call

from fupin.core import idcard
from fupin.core.errors import ErrorCode as E
from fupin.core.text import clean, digits_only, split_list
from fupin.registry import choices as c
from fupin.registry import validation as v

MEMO_MAX = 4096  # distinct cells remembered per column before the memo is emptied (bounded memory)
MONEY_MEMO_MAX = 16384  # distinct amounts (text cells) remembered per money column (then no more)
_BAD = object()  # what a cell rule returns for a cell with an error


class _Reject(Exception):
    """A cell (or row) needs the reference parser: it has an error."""


class _Memo(dict):
    """raw cell -> parsed value, computed by `fn(raw)` on a miss; a cell with an error (fn gives
    _BAD) raises _Reject. Looked up as memo[raw] (a plain dict lookup when the cell was seen
    before). Only text cells are remembered under themselves: 1, 1.0 and True are equal as keys
    but read differently (clean(True) == "是"), so other cells are remembered by (type, value)
    aside. Text cells with an error are not remembered (their row goes to the reference anyway)."""

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
        else:
            value = self.fn(raw)
            if value is not _BAD:
                if len(self) >= MEMO_MAX:
                    self.clear()
                self[raw] = value
        if value is _BAD:
            raise _Reject
        return value


def _cell(sheet: str, h: str, read) -> _Memo:
    """One cell rule: `read(r)` calls validation._Row's readers on a one-cell row."""

    def fn(raw):
        r = v._Row(sheet, None, {} if raw is None else {h: raw})
        value = read(r)
        return _BAD if r.errors else value

    return _Memo(fn)


_CENT = Decimal("0.01")
_ZERO = Decimal(0)


class _MoneyMemo(_Memo):
    """validation._Row.money(h, required, default) for one column, memoised. A cell of plain ASCII
    digits, the usual amount, is read here: clean() leaves it as it is, parse_number() too, and
    money() then gives Decimal(cell) to cents, or an error when it is 10^9 or more (or, as text,
    longer than 60 characters). Every other cell goes to money() itself.

    Amounts are many (tens of thousands of distinct incomes in a city's file), so the first
    MONEY_MEMO_MAX text cells without an error are remembered and later new ones are read
    without being remembered: emptying the memo when full, as _Memo does, would keep dropping
    the common amounts too. Cells that are not text are remembered aside as in _Memo."""

    __slots__ = ()

    def __missing__(self, raw):
        if type(raw) is not str:
            return _Memo.__missing__(self, raw)
        if raw.isdigit() and raw.isascii() and len(raw) <= 60:
            value = Decimal(raw)
            if value >= v._MAX_YUAN:
                raise _Reject
            value = value.quantize(_CENT)
        elif (value := self.fn(raw)) is _BAD:
            raise _Reject
        if len(self) < MONEY_MEMO_MAX:
            self[raw] = value
        return value


def _money(sheet: str, h: str, required: bool, default: Decimal | None = _ZERO) -> _MoneyMemo:
    return _MoneyMemo(_cell(sheet, h, lambda r: r.money(h, required, default)).fn)


# Columns whose cells hardly repeat (户编号, names, ID, phone and account numbers) are not memoised:
# their rules are restated as functions of the raw cell that raise _Reject for a cell with an
# error. They begin with _cleaned(raw).


def _cleaned(raw) -> str:
    """text.clean(raw), its first case (printable ASCII text needs only a trim) taken without the
    call, as it runs for every row."""
    return raw.strip(" ") if type(raw) is str and raw.isascii() and raw.isprintable() else clean(raw)


def _digit_string(lo: int, hi: int, max_len: int):
    """The rule of a number kept as a string of digits (validation's phone and bank account):
    the cleaned cell; empty is ""; else lo to hi digits once separators are removed (digits_only),
    the cell itself at most max_len long."""

    def fn(raw):
        value = _cleaned(raw)
        if value:
            if value.isdigit() and value.isascii():  # as digits_only() leaves it
                if not lo <= len(value) <= hi:
                    raise _Reject
                return value
            if len(value) > max_len:
                raise _Reject
            value = digits_only(value)
            if not (value.isdigit() and lo <= len(value) <= hi):
                raise _Reject
        return value

    return fn

def _text(required: bool, max_len: int):
    """The rule of validation._Row.text(h, required, max_len), without building a _Row per cell:
    the cell cleaned; empty is "" (an error when required); longer than max_len is an error."""

    def fn(raw):
        s = _cleaned(raw)
        if not s:
            if required:
                raise _Reject
            return ""
        if len(s) > max_len:
            raise _Reject
        return s

    return fn


def _plan(columns) -> tuple[tuple, tuple, tuple]:
    """Columns read alike, (field, memo or function, header) in parse_*'s order, as (fields,
    readers, headers): a row's cells are then read all at once, in C, as
    zip(fields, map(call, readers, map(raw.get, headers))), which gives (field, value) pairs or
    raises _Reject. A memo's reader is its __getitem__."""
    fields, readers, headers = (tuple(x) for x in zip(*columns, strict=True))
    return fields, tuple(r.__getitem__ if isinstance(r, _Memo) else r for r in readers), headers


# --- sheet 户 -------------------------------------------------------------------------------------

class HouseholdParser:
    """parse(raw, row) == validation.parse_household(raw, row=row, area_exists=area_exists)."""

    def __init__(self, area_exists=None):
        self.area_exists = area_exists
        H = v.HOUSEHOLD_SHEET

        def m(h, read):
            return _cell(H, h, read)

        self.number = _text(True, 40)
        self.kind = m("户类型", lambda r: r.enum("户类型", v._KINDS, default=c.HouseholdKind.REGISTERED))
        self.code = m("行政区划代码", self._code)
        self.group = m("村民小组", lambda r: r.text("村民小组", max_len=60))
        self.head_name = _text(True, 60)
        self.head_id = self._head_id
        self.phone = _digit_string(7, 12, 30)
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
        self.account = _digit_string(10, 25, 40)
        self.areas: dict[str, bool] = {}
        # the columns, (field, memo, header), in parse_household's order: every row's first ones,
        # then those of 建档立卡户 only, the income record's, and every row's last ones
        self.plan_head = _plan((
            ("number", self.number, "户编号"), ("kind", self.kind, "户类型"),
            ("village_id", self.code, "行政区划代码"), ("group", self.group, "村民小组"),
            ("head_name", self.head_name, "户主姓名"), ("head_id_number", self.head_id, "户主证件号码"),
            ("phone", self.phone, "联系电话")))
        self.plan_registered = _plan((
            ("year_registered", self.year_registered, "识别年度"), ("attribute", self.attribute, "贫困户属性"),
            ("main_cause", self.main_cause, "主要致贫原因"), ("other_causes", self.others, "其他致贫原因"),
            ("status", self.status, "脱贫状态"), ("exit_year", self.exit_year, "脱贫年度")))
        self.plan_income = _plan((
            ("year", self.income_year, "收入年度"),
            *((name, memo, _INCOME_HEADER[name]) for name, memo in self.incomes + self.spendings),
            ("risks", self.risks, "风险类型")))
        self.plan_tail = _plan((
            *((name, memo, _BOOL_HEADER[name]) for name, memo in self.bools),
            ("housing_grade", self.grade, "住房安全等级"), ("arable_land", self.arable, "耕地面积"),
            ("forest_land", self.forest, "林地面积"), ("bank_name", self.bank_name, "开户银行"),
            ("bank_account", self.account, "银行账号")))

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
        if idn := idcard.normalize(_cleaned(raw)):
            return idn
        raise _Reject

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

    def _area_ok(self, code: str) -> bool:
        if self.area_exists is None:
            return True
        known = self.areas.get(code)
        if known is None:
            known = self.areas[code] = bool(self.area_exists(code))
            if len(self.areas) > MEMO_MAX:
                self.areas.clear()
        return known

    def _fast(self, raw: dict) -> dict:
        """The parsed fields of a row without any error; _Reject (then ask the reference)."""
        g = raw.get
        fields, readers, headers = self.plan_head
        f = dict(zip(fields, map(call, readers, map(g, headers))))
        if not (self.areas.get(code := f["village_id"]) or self._area_ok(code)):
            raise _Reject
        if f["kind"] != c.HouseholdKind.ORDINARY:
            fields, readers, headers = self.plan_registered
            f.update(zip(fields, map(call, readers, map(g, headers))))
            f["other_causes"] = list(f["other_causes"])
            status, exit_year = f["status"], f["exit_year"]
            # exit_year is None exactly when the cell is empty (a non-empty cell reads as a number or errs)
            if status == c.Status.EXITED and exit_year is None:
                raise _Reject
            if status and status != c.Status.EXITED and exit_year is not None:
                raise _Reject
        else:
            f.update(year_registered=None, attribute="", main_cause="", other_causes=[], status="", exit_year=None)
        fields, readers, headers = self.plan_income
        income = dict(zip(fields, map(call, readers, map(g, headers))))
        income["risks"] = list(income["risks"])
        f["income"] = income
        fields, readers, headers = self.plan_tail
        f.update(zip(fields, map(call, readers, map(g, headers))))
        return f

    def fast(self, raw: dict) -> dict | None:
        """The parsed fields of a row without any error, or None (then ask the reference)."""
        try:
            return self._fast(raw)
        except _Reject:
            return None

    def parse(self, raw: dict, row: int | None = None) -> tuple[dict, list[v.RowError]]:
        try:
            return self._fast(raw), []
        except (_Reject, TypeError):  # TypeError: an unhashable cell; the reference reads it
            return v.parse_household(raw, row=row, area_exists=self.area_exists)


_INCOME_HEADER = {name: h for h, name in v.INCOME_FIELDS + v.SPENDING_FIELDS}
_BOOL_HEADER = {name: h for h, name in v.HOUSEHOLD_BOOLS + v.MEMBER_BOOLS}


# --- sheet 人 -------------------------------------------------------------------------------------

class MemberParser:
    """parse(raw, row) == validation.parse_member(raw, row=row, today=today)."""

    def __init__(self, today: dt.date | None = None):
        self.today = today or dt.date.today()
        M = v.MEMBER_SHEET

        def m(h, read):
            return _cell(M, h, read)

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
        # the columns, (field, memo, header), in parse_member's order: from 与户主关系 to 劳动技能,
        # then (after 性别 and 出生日期) from 民族 to 状态变更日期
        self.plan_enums = _plan((name, memo, h) for (name, memo), (h, _, _) in zip(self.enums, v.MEMBER_ENUMS,
                                                                                   strict=True))
        self.plan_rest = _plan((("ethnicity", self.ethnicity, "民族"),
                                *((name, memo, _BOOL_HEADER[name]) for name, memo in self.bools),
                                ("migrant_work", self.migrant_work, "务工状况"),
                                ("migrant_months", self.migrant_months, "务工时间"),
                                ("state", self.state, "成员状态"), ("state_date", self.state_date, "状态变更日期")))

    def _id(self, raw):
        """(ID number, its sex, its birth date, that date as YYYY-MM-DD) or _BAD."""
        idn = idcard.normalize(_cleaned(raw))
        if not idn:
            return _BAD
        code, born = idcard.check(idn, today=self.today)
        if code:
            return _BAD
        return idn, idcard.sex(idn), born, f"{idn[6:10]}-{idn[10:12]}-{idn[12:14]}"

    def _fast(self, raw: dict) -> dict:
        """The parsed fields of a row without any error; _Reject (then ask the reference)."""
        g = raw.get
        f: dict = {"household_number": self.number(g("户编号")), "name": self.name(g("姓名"))}
        # ID numbers are unique: read them directly rather than filling a memo
        idr = g("证件号码")
        got = self._id(idr) if type(idr) is str else self.ids[idr]
        if got is _BAD:
            raise _Reject
        idn, id_sex, id_born, id_born_text = got
        f["id_number"] = idn
        fields, readers, headers = self.plan_enums
        f.update(zip(fields, map(call, readers, map(g, headers))))
        if (sex := self.sex[g("性别")]) != id_sex:
            raise _Reject
        f["sex"] = sex
        # the usual 出生日期 is the ID's own date, as text: date() would read it as exactly id_born
        if (b := g("出生日期")) != id_born_text and (born := self.born[b]) is not None and born != id_born:
            raise _Reject
        f["birth_date"] = id_born
        fields, readers, headers = self.plan_rest
        f.update(zip(fields, map(call, readers, map(g, headers))))
        if f["state_date"] and f["state"] == c.MemberState.PRESENT:
            raise _Reject
        return f

    def fast(self, raw: dict) -> dict | None:
        """The parsed fields of a row without any error, or None (then ask the reference)."""
        try:
            return self._fast(raw)
        except _Reject:
            return None

    def parse(self, raw: dict, row: int | None = None) -> tuple[dict, list[v.RowError]]:
        try:
            return self._fast(raw), []
        except (_Reject, TypeError):  # TypeError: an unhashable cell; the reference reads it
            return v.parse_member(raw, row=row, today=self.today)
