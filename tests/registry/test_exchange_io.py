"""Reading exchange-format files: encodings, header order, extra and missing columns, blank rows,
row numbers and unusable files (exchange-format.md; security.md 12)."""

import pytest
import xlsxwriter

from fupin.core.errors import ApplicationError
from fupin.registry.exchange_io import open_sources, read_csv
from fupin.registry.importer import import_registry
from fupin.registry.models import Household, Member
from fupin.registry.validation import HOUSEHOLD_HEADERS, MEMBER_HEADERS
from tests.cast import VILLAGE_A
from tests.registry.exchange_files import families, write_csv, write_csv_pair, write_xlsx

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8"])
def test_utf8_csv_with_or_without_bom(cast, tmp_path, encoding):
    hh, mm = families(2, VILLAGE_A)
    hp, mp = write_csv_pair(tmp_path, hh, mm, encoding=encoding)
    assert (tmp_path / "户.csv").read_bytes().startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    r = import_registry(actor=cast["clerk_a"], households=hp, members=mp)
    assert r.ok, r.errors
    assert Household.objects.get(number="H00001").head_name == "张三"


@pytest.mark.parametrize("encoding,hint", [("gbk", "GBK"), ("gb18030", "GBK")])
def test_gbk_csv_is_refused_with_a_clear_error_and_nothing_written(cast, tmp_path, encoding, hint):
    hh, mm = families(1, VILLAGE_A)
    hp, mp = write_csv_pair(tmp_path, hh, mm, encoding=encoding)
    with pytest.raises(ApplicationError) as exc:
        import_registry(actor=cast["clerk_a"], households=hp, members=mp)
    assert exc.value.code == "E_FILE_FORMAT"
    assert "UTF-8" in exc.value.message and hint in exc.value.message and "户.csv" in exc.value.message
    assert Household.objects.count() == 0


def test_utf16_csv_is_refused(tmp_path):
    path = write_csv(tmp_path / "户.csv", [], HOUSEHOLD_HEADERS, encoding="utf-16")
    with pytest.raises(ApplicationError) as exc:
        read_csv(path, "户")
    assert exc.value.code == "E_FILE_FORMAT" and "UTF-16" in exc.value.message


def test_invalid_utf8_late_in_the_file_is_caught_before_reading_rows(tmp_path):
    path = write_csv(tmp_path / "户.csv", [{"户编号": "H1"}] * 3, HOUSEHOLD_HEADERS)
    with open(path, "ab") as fh:
        fh.write("张三".encode("gbk") + b"\n")
    with pytest.raises(ApplicationError) as exc:
        read_csv(path, "户")
    assert exc.value.code == "E_FILE_FORMAT"


def test_headers_in_any_order_and_extra_columns_are_warnings(cast, tmp_path):
    hh, mm = families(2, VILLAGE_A)
    hh_headers = list(reversed(HOUSEHOLD_HEADERS)) + ["备注"]
    m_headers = MEMBER_HEADERS[5:] + ["手机号"] + MEMBER_HEADERS[:5]
    for h in hh:
        h["备注"] = "=HYPERLINK(1)"
    r = import_registry(actor=cast["clerk_a"], xlsx=write_xlsx(tmp_path / "o.xlsx", hh, mm, hh_headers=hh_headers,
                                                                m_headers=m_headers))
    assert r.ok, r.errors
    assert r.created == 2 and Member.objects.count() == 6
    assert any("备注" in w for w in r.warnings) and any("手机号" in w for w in r.warnings)


def test_missing_required_columns_in_both_sheets_all_reported_with_no_row(cast, tmp_path):
    hh, mm = families(1, VILLAGE_A)
    hh_headers = [h for h in HOUSEHOLD_HEADERS if h not in ("收入年度", "不愁吃")]
    m_headers = [h for h in MEMBER_HEADERS if h != "证件号码"]
    r = import_registry(actor=cast["clerk_a"], xlsx=write_xlsx(tmp_path / "m.xlsx", hh, mm, hh_headers=hh_headers,
                                                                m_headers=m_headers))
    got = sorted((e.sheet, e.row, e.column, e.code) for e in r.errors)
    assert got == sorted([("户", None, "收入年度", "E_MISSING_COLUMN"), ("户", None, "不愁吃", "E_MISSING_COLUMN"),
                          ("人", None, "证件号码", "E_MISSING_COLUMN")])


def test_blank_rows_are_skipped_and_row_numbers_are_excels(cast, tmp_path):
    hh, mm = families(2, VILLAGE_A)
    mm.insert(2, {h: "  " for h in MEMBER_HEADERS})  # Excel row 4: spaces only
    # rows: 2 head 1, 3 spouse 1, 4 blank, 5 son 1, 6 head 2, 7 spouse 2 (女), 8 son 2
    mm[5]["性别"] = "男"
    r = import_registry(actor=cast["clerk_a"], xlsx=write_xlsx(tmp_path / "b.xlsx", hh, mm))
    assert [(e.sheet, e.row, e.code) for e in r.errors] == [("人", 7, "E_SEX_MISMATCH")]


def test_workbook_without_sheet_ren_is_unusable(cast, tmp_path):
    path = tmp_path / "one.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("户").write_row(0, 0, HOUSEHOLD_HEADERS)
    wb.close()
    with pytest.raises(ApplicationError) as exc:
        import_registry(actor=cast["clerk_a"], xlsx=path)
    assert exc.value.code == "E_FILE_FORMAT" and "人" in exc.value.message


@pytest.mark.parametrize("content", [b"not a workbook at all", b"PK\x03\x04garbage-zip"])
def test_non_workbook_given_as_xlsx_is_unusable(tmp_path, content):
    path = tmp_path / "x.xlsx"
    path.write_bytes(content)
    with pytest.raises(ApplicationError) as exc:
        open_sources(xlsx=path)
    assert exc.value.code == "E_FILE_FORMAT"


def test_missing_file_is_unusable(tmp_path):
    with pytest.raises(ApplicationError) as exc:
        open_sources(households=tmp_path / "none.csv", members=tmp_path / "none2.csv")
    assert exc.value.code == "E_FILE_FORMAT"


def test_duplicate_header_uses_the_first_column_and_warns(tmp_path):
    path = write_csv(tmp_path / "户.csv", [], HOUSEHOLD_HEADERS + ["户编号"])
    src = read_csv(path, "户")
    assert any("户编号" in w and "重复" in w for w in src.warnings)
    assert not src.missing_required


def test_csv_quoted_newlines_and_commas_in_cells(cast, tmp_path):
    hh, mm = families(1, VILLAGE_A)
    hh[0]["开户银行"] = "桂东县农村信用社,沙田分社"
    hh[0]["村民小组"] = "一组\n(新)"
    hp, mp = write_csv_pair(tmp_path, hh, mm)
    r = import_registry(actor=cast["clerk_a"], households=hp, members=mp)
    assert r.ok, r.errors
    assert Household.objects.get().bank_name == "桂东县农村信用社,沙田分社"
