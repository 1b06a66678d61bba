"""The importer's fast row checks (registry.fast_validation) give, row for row, exactly what the
one definition of the rules (registry.validation.parse_household / parse_member) gives: the same
parsed values and the same errors (code, sheet, row, column, message). Checked on the seeder's
dirty files (CSV and .xlsx, as the importer reads them) and on generated rows mixing real values
with the awkward cells clerks type (full-width, spaces, Y/√, Excel floats, dates, wrong lists)."""

import datetime as dt

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fupin.registry import seeding
from fupin.registry import validation as v
from fupin.registry.exchange_io import read_csv, read_workbook
from fupin.registry.fast_validation import HouseholdParser, MemberParser
from tests.cast import VILLAGE_A

TODAY = dt.date(2024, 6, 30)
KNOWN = {VILLAGE_A, "431002001001", "431002001002"}


def area_exists(code: str) -> bool:
    return code in KNOWN


def assert_same_households(rows, parser):
    for row, raw in rows:
        assert parser.parse(raw, row) == v.parse_household(raw, row=row, area_exists=area_exists), (row, raw)


def assert_same_members(rows, parser):
    for row, raw in rows:
        assert parser.parse(raw, row) == v.parse_member(raw, row=row, today=TODAY), (row, raw)


@pytest.fixture(scope="module")
def dirty_files(tmp_path_factory):
    out = tmp_path_factory.mktemp("dirty")
    defects = []
    rows = seeding.generate(sorted(KNOWN - {VILLAGE_A}), 400, seed=3, dirty=40.0,
                            on_defect=lambda number, code: defects.append(code))
    seeding.write_files(rows, out, csv_files=True, xlsx=True)
    return out, defects


def test_dirty_csv_rows_agree(dirty_files):
    folder, defects = dirty_files
    assert len(set(defects)) >= 8  # the file really carries many kinds of error
    hh = list(read_csv(folder / "户.csv", v.HOUSEHOLD_SHEET).rows())
    mm = list(read_csv(folder / "人.csv", v.MEMBER_SHEET).rows())
    errors = sum(1 for row, raw in mm if v.parse_member(raw, row=row, today=TODAY)[1])
    assert errors > 10
    assert_same_households(hh, HouseholdParser(area_exists=area_exists))
    assert_same_members(mm, MemberParser(today=TODAY))


def test_dirty_xlsx_rows_agree(dirty_files):
    folder, _ = dirty_files
    hh_src, m_src = read_workbook(folder / "registry.xlsx")
    assert_same_households(list(hh_src.rows()), HouseholdParser(area_exists=area_exists))
    assert_same_members(list(m_src.rows()), MemberParser(today=TODAY))


def test_a_parser_reused_across_rows_still_agrees_after_its_memo_is_emptied(dirty_files, monkeypatch):
    from fupin.registry import fast_validation

    monkeypatch.setattr(fast_validation, "MEMO_MAX", 3)
    folder, _ = dirty_files
    assert_same_members(list(read_csv(folder / "人.csv", v.MEMBER_SHEET).rows())[:300], MemberParser(today=TODAY))


# --- generated rows -------------------------------------------------------------------------------

_BASE_HH = {
    "户编号": "4310020010010001", "户类型": "建档立卡户", "行政区划代码": "431002001001", "村民小组": "二组",
    "户主姓名": "曹卫刚", "户主证件号码": "43100219750814313X", "联系电话": "17656659388", "识别年度": "2017",
    "贫困户属性": "一般贫困户", "主要致贫原因": "缺资金", "其他致贫原因": "缺土地", "脱贫状态": "未脱贫", "脱贫年度": "",
    "收入年度": "2017", "工资性收入": "8976", "生产经营性收入": "5238", "财产性收入": "816", "转移性收入": "4189",
    "生产经营性支出": "1713", "合规自付医疗支出": "0", "其他刚性支出": "0", "风险类型": "", "不愁吃": "是", "不愁穿": "是",
    "住房安全等级": "B", "已完成危房改造": "否", "易地扶贫搬迁入住": "否", "饮水安全": "是", "耕地面积": "2.6",
    "林地面积": "", "开户银行": "农村信用合作联社", "银行账号": "6275760392196643680",
}
_BASE_M = {
    "户编号": "4310020010010001", "姓名": "马玉娟", "证件号码": "43100219780206378X", "与户主关系": "配偶",
    "性别": "女", "出生日期": "1978-02-06", "民族": "汉族", "文化程度": "大专及以上", "在校生状况": "非在校生",
    "健康状况": "健康", "劳动技能": "普通劳动力", "送教上门或免学": "否", "是否现役军人": "否", "基本医疗保险": "是",
    "基本养老保险": "是", "务工状况": "省外务工", "务工时间": "8", "成员状态": "在户", "状态变更日期": "",
}

# cells a clerk might type into any column; each column also draws from its own near-misses below
_ANY = [None, "", " ", "\u3000", "0", "1", "Y", "n", "√", "×", "是", "否", "是 ", " 否", "2017", "2017.0", "２０１７",
        "3,026", "3026.50", "3026.505", "-1", "1e3", "abc", "ａｂｃ", "A", "b", "e", "其他", "在户", "死亡", "迁出",
        "1978-02-06", "1978/2/6", "1978年2月6日", "2099-01-01", "2024-02-30", 3026.0, 2017, 0.1 + 0.2, True, False,
        dt.date(1978, 2, 6), dt.datetime(1978, 2, 6), dt.datetime(2020, 1, 1, 12, 0), "x" * 70, "\t制表\t", "a\x00b"]
_NEAR = {
    "户类型": ["一般农户", "建档立卡户", "一般"], "行政区划代码": ["431002001002", "431002999001", "43100200100", "４３１００２００１００１"],
    "户主证件号码": ["43100219750814313x", " 43100219750814313X ", "43100219750814313X.0"],
    "贫困户属性": ["低保贫困户", "特困供养贫困户"], "主要致贫原因": ["因病", "交通条件落后"],
    "其他致贫原因": ["因病、因残", "因病,因残;因学", "因病、火星"], "脱贫状态": ["已脱贫", "返贫", "监测对象"],
    "脱贫年度": ["2019", "2036", "2012"], "风险类型": ["大病", "大病、灾害", "地震"], "住房安全等级": ["a", "d", "E"],
    "联系电话": ["0735-1234567", "123", "138 0000 0000"], "银行账号": ["6228 0000 0000 0000", "12345"],
    "证件号码": ["431002197802063782", "43100219780206378x", "４３１００２１９７８０２０６３７８Ｘ", "43100219781306378X",
             "43100219780206378", "431002197802063786", 431002197802063780.0],
    "性别": ["男", "M"], "出生日期": ["1978-02-07", "1978.2.6", "1978-02-06 00:00:00"],
    "与户主关系": ["户主", "之子", "儿子"], "务工时间": ["12", "13", "6.0", "6.5"], "成员状态": ["迁出", "走失"],
    "状态变更日期": ["2020-05-01", "2020-13-01"], "务工状况": ["乡(镇)内务工", "乡（镇）内务工", "其他"],
}


def _odd_cell(h: str):
    options = [st.sampled_from(_ANY), st.text(alphabet="0123456789 ,.-xX是否、（）()ａ１\u3000", max_size=8)]
    if h in _NEAR:
        options += [st.sampled_from(_NEAR[h])] * 2
    return st.one_of(*options)


def _row(base: dict):
    """The good row with one to three cells changed: few enough that the row may still be valid,
    so that both roads and the rules combining cells are exercised."""
    return st.lists(st.sampled_from(sorted(base)), min_size=1, max_size=3, unique=True).flatmap(
        lambda headers: st.fixed_dictionaries({h: _odd_cell(h) for h in headers}).map(lambda odd: {**base, **odd}))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=_row(_BASE_HH), drop=st.sets(st.sampled_from(sorted(_BASE_HH)), max_size=2))
# the rules that combine cells, each way round
@example(raw={**_BASE_HH, "脱贫状态": "已脱贫"}, drop=set())
@example(raw={**_BASE_HH, "脱贫状态": "已脱贫", "脱贫年度": "2019"}, drop=set())
@example(raw={**_BASE_HH, "脱贫年度": "2019"}, drop=set())
@example(raw={**_BASE_HH, "户类型": "一般农户", "识别年度": "", "贫困户属性": "坏"}, drop=set())
@example(raw={**_BASE_HH, "行政区划代码": "431002999001"}, drop=set())
def test_generated_household_rows_agree(raw, drop):
    for h in drop:
        raw.pop(h)  # a column missing from the file
    parser = HouseholdParser(area_exists=area_exists)
    assert parser.parse(raw, 7) == v.parse_household(raw, row=7, area_exists=area_exists)
    assert parser.parse(raw, 7) == v.parse_household(raw, row=7, area_exists=area_exists)  # now from the memo


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=_row(_BASE_M), drop=st.sets(st.sampled_from(sorted(_BASE_M)), max_size=2))
@example(raw={**_BASE_M, "性别": "男"}, drop=set())
@example(raw={**_BASE_M, "出生日期": "1978-02-07"}, drop=set())
@example(raw={**_BASE_M, "出生日期": dt.datetime(1978, 2, 6)}, drop=set())
@example(raw={**_BASE_M, "状态变更日期": "2020-05-01"}, drop=set())
@example(raw={**_BASE_M, "成员状态": "迁出", "状态变更日期": "2020-05-01"}, drop=set())
def test_generated_member_rows_agree(raw, drop):
    for h in drop:
        raw.pop(h)
    parser = MemberParser(today=TODAY)
    assert parser.parse(raw, 9) == v.parse_member(raw, row=9, today=TODAY)
    assert parser.parse(raw, 9) == v.parse_member(raw, row=9, today=TODAY)


def test_clean_rows_take_the_fast_road():
    """Not a rule but the point of the module: an ordinary row is read without the reference."""
    assert HouseholdParser(area_exists=area_exists).fast(dict(_BASE_HH)) is not None
    assert MemberParser(today=TODAY).fast(dict(_BASE_M)) is not None
