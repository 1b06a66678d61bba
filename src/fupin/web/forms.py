"""Form fields keyed by the exchange-format headers (exchange-format.md), for the household and
member pages.

These forms only *parse*: they turn POST data into a row {header: text} and hand it to the
registry services, which validate with fupin.registry.validation — the same rules as the
importer. Errors come back as ValidationFailed.errors and are shown next to the field whose
header they name. One validation, two front ends: nothing here re-checks a value.
"""

from dataclasses import dataclass, field

from fupin.registry import choices as c
from fupin.registry import exchange_rows as rows
from fupin.registry.validation import HOUSEHOLD_COLUMNS, MEMBER_COLUMNS

YES_NO = ["是", "否"]
# The prefix of the head member's fields on the create page (the household row uses bare headers).
HEAD_PREFIX = "户主."


@dataclass
class Field:
    name: str  # the HTML input name: the exchange-format header (maybe prefixed)
    label: str
    kind: str  # text | number | date | select | multi
    choices: list[str] = field(default_factory=list)
    required: bool = False
    value: object = ""
    errors: list[str] = field(default_factory=list)
    help: str = ""
    placeholder: str = ""
    blank: bool = True  # a select offers an empty choice

    @property
    def values(self) -> list[str]:
        return self.value if isinstance(self.value, list) else []


def _required(columns, header) -> bool:
    return {h: r for h, r in columns}.get(header) is True


# header -> (kind, choices)
HOUSEHOLD_WIDGETS: dict[str, tuple[str, list[str]]] = {
    "户类型": ("select", list(c.HouseholdKind.values)),
    "贫困户属性": ("select", list(c.Attribute.values)),
    "主要致贫原因": ("select", c.CAUSES),
    "其他致贫原因": ("multi", c.CAUSES),
    "脱贫状态": ("select", [str(s) for s in c.IMPORTABLE_STATUSES]),
    "风险类型": ("multi", c.RISKS),
    "住房安全等级": ("select", c.HOUSING_GRADES),
    **{h: ("select", YES_NO) for h in ("不愁吃", "不愁穿", "已完成危房改造", "易地扶贫搬迁入住", "饮水安全")},
    **{h: ("number", []) for h in ("识别年度", "脱贫年度", "收入年度", "工资性收入", "生产经营性收入", "财产性收入",
                                   "转移性收入", "生产经营性支出", "合规自付医疗支出", "其他刚性支出", "耕地面积", "林地面积")},
}
MEMBER_WIDGETS: dict[str, tuple[str, list[str]]] = {
    "与户主关系": ("select", c.RELATIONS),
    "性别": ("select", c.SEXES),
    "文化程度": ("select", c.EDUCATION),
    "在校生状况": ("select", c.SCHOOL_STATUS),
    "健康状况": ("select", c.HEALTH),
    "劳动技能": ("select", c.LABOUR),
    "务工状况": ("select", c.MIGRANT_WORK),
    "成员状态": ("select", list(c.MemberState.values)),
    **{h: ("select", YES_NO) for h in ("送教上门或免学", "是否现役军人", "基本医疗保险", "基本养老保险")},
    "出生日期": ("date", []),
    "状态变更日期": ("date", []),
    "务工时间": ("number", []),
}

# Sections of the household form, in the order a clerk fills in the paper form (户 sheet headers).
HOUSEHOLD_SECTIONS = [
    ("基本信息", ["户编号", "户类型", "行政区划代码", "村民小组", "户主姓名", "户主证件号码", "联系电话",
              "开户银行", "银行账号"]),
    ("贫困信息", ["识别年度", "贫困户属性", "主要致贫原因", "其他致贫原因", "脱贫状态", "脱贫年度"]),
    ("年度收入（元）", ["收入年度", "工资性收入", "生产经营性收入", "财产性收入", "转移性收入", "生产经营性支出",
                  "合规自付医疗支出", "其他刚性支出", "风险类型"]),
    ("生活条件", ["不愁吃", "不愁穿", "住房安全等级", "已完成危房改造", "易地扶贫搬迁入住", "饮水安全", "耕地面积",
              "林地面积"]),
]
assert sorted(h for _, hs in HOUSEHOLD_SECTIONS for h in hs) == sorted(h for h, _ in HOUSEHOLD_COLUMNS)

# Member headers on the member page; 户编号 comes from the household being edited.
MEMBER_FORM_HEADERS = [h for h, _ in MEMBER_COLUMNS if h != "户编号"]
# The head member on the create page: name and ID come from 户主姓名 / 户主证件号码, relation is 户主.
HEAD_FORM_HEADERS = [h for h in MEMBER_FORM_HEADERS if h not in ("姓名", "证件号码", "与户主关系")]


def make_field(header: str, widgets: dict, columns, *, prefix: str = "", value="", village_choices=None) -> Field:
    kind, choices = widgets.get(header, ("text", []))
    if header == "行政区划代码" and village_choices is not None:
        kind, choices = "select", village_choices
    choices = [(x, x) if isinstance(x, str) else tuple(x) for x in choices]
    return Field(name=prefix + header, label=header, kind=kind, choices=choices,
                 required=_required(columns, header),
                 value=value)


def row_from_post(post, headers, *, prefix: str = "") -> dict:
    """{header: text} from the POST data; multi-choice fields are joined with 、 as in the file format."""
    row = {}
    for h in headers:
        kind = HOUSEHOLD_WIDGETS.get(h, MEMBER_WIDGETS.get(h, ("text", [])))[0]
        if kind == "multi":
            row[h] = "、".join(v for v in post.getlist(prefix + h) if v)
        else:
            row[h] = post.get(prefix + h, "")
    return row


def attach_errors(fields: list[Field], errors: list[dict], *, member_prefix: str = "",
                  member_aliases: dict | None = None) -> list[dict]:
    """Put each error next to the field whose header it names; return those that match no field.

    Household-sheet errors name bare headers; member-sheet errors name member headers, which on the
    create page are prefixed (or aliased: the head's 姓名 is the household's 户主姓名)."""
    by_name = {f.name: f for f in fields}
    aliases = member_aliases or {}
    loose = []
    for e in errors:
        col = e.get("column", "")
        if e.get("sheet") == "人":
            name = aliases.get(col, member_prefix + col)
        else:
            name = col
        f = by_name.get(name)
        if f is None:
            loose.append(e)
        else:
            f.errors.append(e.get("message", ""))
    return loose


def household_fields(values: dict, *, village_choices, exclude=()) -> list[tuple[str, list[Field]]]:
    sections = []
    for title, headers in HOUSEHOLD_SECTIONS:
        fs = [make_field(h, HOUSEHOLD_WIDGETS, HOUSEHOLD_COLUMNS, value=_value(values, h),
                         village_choices=village_choices)
              for h in headers if h not in exclude]
        sections.append((title, fs))
    return sections


def member_fields(values: dict, *, headers=None, prefix: str = "") -> list[Field]:
    return [make_field(h, MEMBER_WIDGETS, MEMBER_COLUMNS, prefix=prefix, value=_value(values, prefix + h))
            for h in (headers or MEMBER_FORM_HEADERS)]


def _value(values: dict, key: str):
    v = values.get(key, "")
    kind = HOUSEHOLD_WIDGETS.get(key, ("text", []))[0]
    if kind == "multi" and isinstance(v, str):
        return [x for x in v.replace(",", "、").replace(";", "、").split("、") if x]
    return "" if v is None else v


def values_from_post(post) -> dict:
    """Re-display what the user typed (multi fields as lists)."""
    out = {}
    for k in post:
        if k == "csrfmiddlewaretoken":
            continue
        vals = post.getlist(k)
        out[k] = vals if HOUSEHOLD_WIDGETS.get(k, ("", []))[0] == "multi" else vals[-1]
    return out


# ---------------------------------------------------------------- model → row (the edit pages)

def household_row(h, income) -> dict:
    """A household as an exchange-format row (the 户 sheet), for pre-filling the edit page.
    Phone, bank account and the head's ID are left out: they are never sent to the browser
    unmasked; an empty box keeps the stored value."""
    row = rows.as_text(rows.household_row(h, "", income))
    for header in rows.SECRET_HOUSEHOLD_HEADERS:
        row.pop(header, None)
    return row


def member_row(m) -> dict:
    """A member as a 人 row without the ID number (see household_row)."""
    row = rows.as_text(rows.member_row(m, m.household.number))
    del row["证件号码"], row["户编号"]
    return row
