"""A stored household or member as an exchange-format row (exchange-format.md), server side only.

PATCH merges the headers a client sends over this row and hands the whole row to the same
service and validation as PUT and the importer, so a partial update is checked exactly like a
full one. The row holds full ID numbers (the services compare 户主证件号码 with the head
member); it is never sent to a client.
"""

from fupin.core.text import clean
from fupin.registry import exchange_rows as rows
from fupin.registry.models import Household, IncomeRecord, Member
from fupin.registry.validation import INCOME_FIELDS, SPENDING_FIELDS


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
    rec = IncomeRecord.objects.filter(household=h, year=year).first() if year else None
    row = rows.as_text(rows.household_row(h, head or "", rec))
    if rec is None:  # the columns of a year with no record stay empty for the client to fill
        row.update({"收入年度": "" if year is None else str(year),
                    **{header: "" for header, _ in INCOME_FIELDS + SPENDING_FIELDS}, "风险类型": ""})
    return row


def member_row(member: Member) -> dict:
    return rows.as_text(rows.member_row(member, member.household.number))
