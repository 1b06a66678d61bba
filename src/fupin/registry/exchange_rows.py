"""A stored household or member as a row of the exchange format (exchange-format.md).

One definition for every place that turns the registry back into rows: the exporter (which
masks and writes numbers as numbers), the web edit pages (which leave out the numbers never
sent to a browser) and the API's PATCH (which merges a client's columns over the stored row).
Values are typed: text, 是/否, int or None for years and months, Decimal or None for amounts.
"""

from fupin.registry import validation as v

SECRET_HOUSEHOLD_HEADERS = ("户主证件号码", "联系电话", "银行账号")


def yes_no(b: bool) -> str:
    return "是" if b else "否"


def household_row(h, head_id: str, income) -> dict:
    """Sheet 户 for household `h`, its head's ID number and one IncomeRecord (or None)."""
    row = {
        "户编号": h.number, "户类型": h.kind, "行政区划代码": h.village_id, "村民小组": h.group,
        "户主姓名": h.head_name, "户主证件号码": head_id or "", "联系电话": h.phone,
        "识别年度": h.year_registered, "贫困户属性": h.attribute, "主要致贫原因": h.main_cause,
        "其他致贫原因": "、".join(h.other_causes or []), "脱贫状态": h.status, "脱贫年度": h.exit_year,
        "住房安全等级": h.housing_grade, "耕地面积": h.arable_land, "林地面积": h.forest_land,
        "开户银行": h.bank_name, "银行账号": h.bank_account,
    }
    for header, name in v.HOUSEHOLD_BOOLS:
        row[header] = yes_no(getattr(h, name))
    if income is not None:
        row["收入年度"] = income.year
        for header, name in v.INCOME_FIELDS + v.SPENDING_FIELDS:
            row[header] = getattr(income, name)
        row["风险类型"] = "、".join(income.risks or [])
    return row


def member_row(m, number: str) -> dict:
    """Sheet 人 for a Member, or for a dict of Member field values (the exporter's .values() rows)."""
    get = m.get if isinstance(m, dict) else (lambda name: getattr(m, name))
    born, changed = get("birth_date"), get("state_date")
    row = {
        "户编号": number, "姓名": get("name"), "证件号码": get("id_number"), "与户主关系": get("relation"),
        "性别": get("sex"), "出生日期": born.isoformat() if born else "", "民族": get("ethnicity"),
        "文化程度": get("education"), "在校生状况": get("school_status"), "健康状况": get("health"),
        "劳动技能": get("labour"), "务工状况": get("migrant_work"), "务工时间": get("migrant_months"),
        "成员状态": get("state"), "状态变更日期": changed.isoformat() if changed else "",
    }
    for header, name in v.MEMBER_BOOLS:
        row[header] = yes_no(get(name))
    return row


def as_text(row: dict) -> dict:
    """Every value as the text a clerk would type: None → "", 6000.00 → "6000.00"."""
    return {k: "" if x is None else x if isinstance(x, str) else str(x) for k, x in row.items()}
