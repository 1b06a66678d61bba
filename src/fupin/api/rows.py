"""A stored household or member as an exchange-format row (exchange-format.md), server side only.

PATCH merges the headers a client sends over this row and hands the whole row to the same
service and validation as PUT and the importer, so a partial update is checked exactly like a
full one. The row holds full ID numbers (the services compare 户主证件号码 with the head
member); it is never sent to a client.
"""

from fupin.core.text import clean
from fupin.registry.models import Household, IncomeRecord, Member
from fupin.registry.validation import HOUSEHOLD_BOOLS, INCOME_FIELDS, MEMBER_BOOLS, SPENDING_FIELDS


def _yn(value: bool) -> str:
    return "是" if value else "否"


def _s(value) -> str:
    return "" if value is None else str(value)


def income_year_for(household: Household, requested) -> int | None:
    """The 收入年度 a PATCH addresses: the one sent, else the latest on record. A value that is not
    a year prefills nothing; validation then reports it (E_NUMBER) like any other bad cell."""
    text = clean(requested)
    if text:
        return int(text) if text.isdigit() and len(text) == 4 else None
    return household.incomes.order_by("-year").values_list("year", flat=True).first()


def household_row(household: Household, year: int | None) -> dict:
    h = household
    head = (h.members.filter(relation="户主").order_by("state", "-id")  # 在户 sorts before 死亡/迁出
            .values_list("id_number", flat=True).first())
    row = {
        "户编号": h.number, "户类型": h.kind, "行政区划代码": h.village_id, "村民小组": h.group,
        "户主姓名": h.head_name, "户主证件号码": head or "", "联系电话": h.phone,
        "识别年度": _s(h.year_registered), "贫困户属性": h.attribute, "主要致贫原因": h.main_cause,
        "其他致贫原因": "、".join(h.other_causes or []), "脱贫状态": h.status, "脱贫年度": _s(h.exit_year),
        "收入年度": _s(year), "住房安全等级": h.housing_grade,
        "耕地面积": _s(h.arable_land), "林地面积": _s(h.forest_land), "开户银行": h.bank_name, "银行账号": h.bank_account,
    }
    for header, field in HOUSEHOLD_BOOLS:
        row[header] = _yn(getattr(h, field))
    rec = IncomeRecord.objects.filter(household=h, year=year).first() if year else None
    for header, field in INCOME_FIELDS + SPENDING_FIELDS:
        row[header] = _s(getattr(rec, field)) if rec else ""
    row["风险类型"] = "、".join(rec.risks or []) if rec else ""
    return row


def member_row(member: Member) -> dict:
    m = member
    row = {
        "户编号": m.household.number, "姓名": m.name, "证件号码": m.id_number, "与户主关系": m.relation,
        "性别": m.sex, "出生日期": m.birth_date.isoformat() if m.birth_date else "", "民族": m.ethnicity,
        "文化程度": m.education, "在校生状况": m.school_status, "健康状况": m.health, "劳动技能": m.labour,
        "务工状况": m.migrant_work, "务工时间": _s(m.migrant_months), "成员状态": m.state,
        "状态变更日期": m.state_date.isoformat() if m.state_date else "",
    }
    for header, field in MEMBER_BOOLS:
        row[header] = _yn(getattr(m, field))
    return row
