"""The cells registry.fast_validation reads without validation's _Row (plain-digit amounts, a
出生日期 written as the ID's own date) give what parse_household / parse_member give, at and
around the edges of those roads."""

import datetime as dt

import pytest

from fupin.registry import validation as v
from fupin.registry.fast_validation import HouseholdParser, MemberParser
from tests.registry.test_fast_validation_agreement import _BASE_HH, _BASE_M, TODAY, area_exists

AMOUNTS = ["0", "7", "0007", "999999999", "1000000000", "0" * 52 + "999999999", "0" * 60, "0" * 61,
           "1" * 30, "٣", "３", "12.5", "12.345", "1,000", " 12", "", None, 12.0, 12, "-0"]


@pytest.mark.parametrize("amount", AMOUNTS)
@pytest.mark.parametrize("column", ["工资性收入", "合规自付医疗支出", "耕地面积"])
def test_amounts_agree(column, amount):
    raw = {**_BASE_HH, column: amount}
    parser = HouseholdParser(area_exists=area_exists)
    for _ in range(2):  # the second time from the memo
        assert parser.parse(raw, 3) == v.parse_household(raw, row=3, area_exists=area_exists)


ID_AR = "".join("٠١٢٣٤٥٦٧٨٩"[int(d)] for d in "43100219780206378") + "X"  # \d and int() read these


@pytest.mark.parametrize(("idn", "born"), [
    ("43100219780206378X", "1978-02-06"), ("43100219780206378X", "1978-2-6"), ("43100219780206378X", "1978-02-07"),
    ("43100219780206378X", " 1978-02-06"), ("43100219780206378X", "１９７８-０２-０６"),
    ("43100219780206378X", dt.date(1978, 2, 6)), ("43100219780206378X", ""), ("43100219780206378X", None),
    ("43100219780206378x", "1978-02-06"), (ID_AR, "1978-02-06"), (ID_AR, ID_AR[6:10] + "-" + ID_AR[10:12] + "-" + ID_AR[12:14]),
    ("43100219780206378", "1978-02-06"),
])
def test_birth_dates_agree(idn, born):
    raw = {**_BASE_M, "证件号码": idn, "出生日期": born}
    parser = MemberParser(today=TODAY)
    for _ in range(2):
        assert parser.parse(raw, 5) == v.parse_member(raw, row=5, today=TODAY)


def test_amounts_agree_once_the_money_memo_is_full(monkeypatch):
    from fupin.registry import fast_validation

    monkeypatch.setattr(fast_validation, "MONEY_MEMO_MAX", 2)
    parser = HouseholdParser(area_exists=area_exists)
    for amount in [*AMOUNTS, "12", "12.5", "13", "12", "12.5", 12.0, "999999999", "12"]:
        raw = {**_BASE_HH, "工资性收入": amount, "合规自付医疗支出": amount}
        assert parser.parse(raw, 3) == v.parse_household(raw, row=3, area_exists=area_exists), amount
    assert len(parser.incomes[0][1]) == 2
