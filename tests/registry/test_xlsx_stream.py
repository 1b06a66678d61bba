"""Reading .xlsx sheets as a stream (fupin.registry.xlsx_stream): the same cells as python-calamine
(which read them before, holding whole sheets in memory), in memory that does not grow with the
sheet, and a clear error for a damaged workbook (performance.md; security.md 12)."""

import datetime as dt
import re
import tracemalloc
import zipfile

import openpyxl
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from fupin.core.errors import ApplicationError
from fupin.registry.exchange_io import open_sources
from fupin.registry.importer import import_registry
from fupin.registry.models import Household
from fupin.registry.validation import HOUSEHOLD_HEADERS
from fupin.registry.xlsx_stream import Workbook, XlsxError
from tests.cast import VILLAGE_A
from tests.registry.exchange_files import families, write_xlsx


def _trimmed(cells):
    cells = list(cells)
    while cells and cells[-1] == "":
        cells.pop()
    return cells


def _calamine_rows(path, name):
    ws = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name)
    return {i + 1: _trimmed(c) for i, c in enumerate(ws.iter_rows()) if any(x != "" for x in c)}


def _stream_rows(path, name):
    return {n: _trimmed(c) for n, c in Workbook(path).rows(name) if any(x != "" for x in c)}


def _typed(rows):
    return {n: [(type(x).__name__, x) for x in cells] for n, cells in rows.items()}


@pytest.fixture
def excel_like(tmp_path):
    """A workbook as Excel and WPS write them: texts in the shared strings, dates as numbers in a
    date format (built-in and custom, 年月日 too), a date with a time, numbers, booleans, a long
    ID number typed as a number, rich text, a formula's text, characters XML escapes, gaps."""
    path = tmp_path / "excel.xlsx"
    wb = xlsxwriter.Workbook(str(path))  # not constant_memory: shared strings, like Excel
    iso, builtin = wb.add_format({"num_format": "yyyy-mm-dd"}), wb.add_format({"num_format": 14})
    chinese = wb.add_format({"num_format": 'yyyy"年"m"月"d"日"'})
    with_time = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    money, red = wb.add_format({"num_format": "0.00"}), wb.add_format({"num_format": "[Red]0.00"})
    ws = wb.add_worksheet("户")
    ws.write_row(0, 0, ["户编号", "姓名", "日期", "数", "布尔", "备注"])
    ws.write_string(1, 0, "H001")
    ws.write_string(1, 1, "张三")
    ws.write_datetime(1, 2, dt.datetime(1990, 1, 2), iso)
    ws.write_number(1, 3, 3328.6, money)
    ws.write_boolean(1, 4, True)
    ws.write_string(1, 5, "A & B <c> \"引号\"")
    ws.write_string(2, 0, "H002")
    ws.write_datetime(2, 2, dt.datetime(2001, 12, 31), builtin)
    ws.write_number(2, 3, 12, red)
    ws.write_boolean(2, 4, False)
    ws.write_string(2, 5, "  前后空格  ")
    ws.write_string(4, 1, "张三")  # row 4 left out, row 5 starts at column B
    ws.write_datetime(4, 2, dt.datetime(1900, 1, 15), chinese)  # before the 1900 system's phantom 29 Feb
    ws.write_number(4, 3, 431027199001011234)
    ws.write_datetime(5, 2, dt.datetime(2001, 12, 31, 8, 30), with_time)
    ws.write_formula(5, 0, '="A"&"B"', None, "AB")
    ws.write_rich_string(6, 0, "富", wb.add_format({"bold": True}), "文本")
    ws.write_string(6, 5, "line1\nline2")
    ws2 = wb.add_worksheet("人")
    ws2.write_row(0, 0, ["a", "b"])
    ws2.write_row(3, 2, ["x", 1.5])
    wb.close()
    return path


def test_cells_agree_with_calamine_for_an_excel_like_workbook(excel_like):
    for name in ("户", "人"):
        assert _typed(_stream_rows(excel_like, name)) == _typed(_calamine_rows(excel_like, name))
    rows = _stream_rows(excel_like, "户")
    assert rows[2] == ["H001", "张三", dt.date(1990, 1, 2), 3328.6, True, "A & B <c> \"引号\""]
    assert rows[5][1:3] == ["张三", dt.date(1900, 1, 15)] and f"{rows[5][3]:.0f}".startswith("4310271990010")
    assert rows[6][2] == dt.datetime(2001, 12, 31, 8, 30)
    assert rows[7] == ["富文本", "", "", "", "", "line1\nline2"]


def test_cells_agree_with_calamine_for_an_openpyxl_workbook(tmp_path):
    path = tmp_path / "openpyxl.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "户"
    ws.append(["户编号", "日期", "数"])
    ws.append(["H1", dt.date(1990, 1, 2), 1.25])
    ws.append([None, dt.datetime(1999, 5, 6, 7, 8), True])
    wb.save(path)
    assert _typed(_stream_rows(path, "户")) == _typed(_calamine_rows(path, "户"))
    assert _stream_rows(path, "户")[2] == ["H1", dt.date(1990, 1, 2), 1.25]


def _rewrite_sheet(src, dst, part, change):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == part:
                data = change(data.decode()).encode()
            zout.writestr(item, data)
    return dst


def test_a_sheet_written_with_namespace_prefixes_reads_the_same(excel_like, tmp_path):
    """Some generators (.NET's Open XML SDK) write <x:row><x:c>…: read element by element."""
    def prefix(xml):
        xml = xml.replace('xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
                          'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"')
        return re.sub(r"<(/?)(?!\?)(\w+)([ >/])", r"<\1x:\2\3", xml)

    path = _rewrite_sheet(excel_like, tmp_path / "prefixed.xlsx", "xl/worksheets/sheet1.xml", prefix)
    with zipfile.ZipFile(path) as z:
        assert "<x:row" in z.read("xl/worksheets/sheet1.xml").decode()
    assert _stream_rows(path, "户") == _stream_rows(excel_like, "户")


def test_rows_and_cells_without_references_and_cells_in_another_attribute_order(excel_like, tmp_path):
    def strip_refs(xml):
        xml = re.sub(r'(<row) r="\d+"', r"\1", xml)  # rows numbered by position
        xml = re.sub(r'<c r="A2"( s="\d+")?( t="\w+")?', r'<c\2\1 r="A2"', xml)  # t before r
        return re.sub(r'<c r="B3"', "<c", xml)  # a cell placed by position

    path = _rewrite_sheet(excel_like, tmp_path / "norefs.xlsx", "xl/worksheets/sheet1.xml", strip_refs)
    got, want = _stream_rows(path, "户"), _stream_rows(excel_like, "户")
    # without r="…" the empty row 4 is not in the file: later rows move up by one
    assert got[1] == want[1] and got[2] == want[2] and got[3] == want[3]
    assert got[4] == want[5] and got[6] == want[7]


def test_memory_does_not_grow_with_the_sheet(tmp_path):
    """Reading ten times the rows takes no more memory (the shared strings aside, which hold each
    distinct text once, packed)."""
    def workbook(n):
        path = tmp_path / f"rows{n}.xlsx"
        wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
        ws = wb.add_worksheet("人")
        for r in range(n):
            ws.write_row(r, 0, [f"H{r:07d}", "张三", f"43102719900101{r % 10000:04d}", 1.5, "在户"])
        wb.close()
        return path

    def peak(path):
        wb = Workbook(path)
        tracemalloc.start()
        count = sum(1 for _ in wb.rows("人"))
        got = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return count, got

    (n1, small), (n2, large) = peak(workbook(2_000)), peak(workbook(20_000))
    assert (n1, n2) == (2_000, 20_000)
    assert large < small + 256 * 1024, (small, large)


def test_shared_strings_are_packed(excel_like):
    wb = Workbook(excel_like)
    texts = [wb.strings[i] for i in range(len(wb.strings))]
    assert "张三" in texts and "A & B <c> \"引号\"" in texts and texts.count("张三") == 1


@pytest.mark.django_db
def test_a_damaged_sheet_is_a_file_error_and_nothing_is_written(cast, tmp_path):
    hh, mm = families(3, VILLAGE_A)
    good = write_xlsx(tmp_path / "good.xlsx", hh, mm)
    # the member sheet's XML cut off inside a row: the rows before it are read, then the error
    bad = _rewrite_sheet(good, tmp_path / "bad.xlsx", "xl/worksheets/sheet2.xml",
                         lambda xml: xml[:xml.index("<row r=\"3\"")] + '<row r="3"><c r="A3" t="inlineStr"><is><t>H0')
    with pytest.raises(ApplicationError) as exc:
        import_registry(actor=cast["clerk_a"], xlsx=bad)
    assert exc.value.code == "E_FILE_FORMAT" and "人" in exc.value.message
    assert Household.objects.count() == 0


@pytest.mark.django_db
def test_an_error_cell_is_not_read_as_empty(cast, tmp_path):
    """An Excel error (#N/A from a broken formula) in a cell is its text, which the row's rules
    reject, rather than an empty cell that an optional column would let through."""
    hh, mm = families(1, VILLAGE_A)
    good = write_xlsx(tmp_path / "good.xlsx", hh, mm)
    ref = f"{chr(ord('A') + HOUSEHOLD_HEADERS.index('联系电话'))}2"
    bad = _rewrite_sheet(good, tmp_path / "na.xlsx", "xl/worksheets/sheet1.xml",
                         lambda xml: re.sub(rf'<c r="{ref}"[^>]*>.*?</c>', f'<c r="{ref}" t="e"><v>#N/A</v></c>', xml))
    r = import_registry(actor=cast["clerk_a"], xlsx=bad)
    assert not r.ok and [(e.sheet, e.row, e.column) for e in r.errors] == [("户", 2, "联系电话")]
    assert Household.objects.count() == 0


def test_not_a_workbook(tmp_path):
    path = tmp_path / "x.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "no workbook here")
    with pytest.raises(XlsxError):
        Workbook(path)
    with pytest.raises(ApplicationError) as exc:
        open_sources(xlsx=path)
    assert exc.value.code == "E_FILE_FORMAT"


@pytest.mark.django_db
def test_the_import_reads_shared_and_inline_strings_alike(cast, tmp_path):
    """The same households from a workbook with shared strings (as Excel and WPS save) and from
    one with inline strings (openpyxl, xlsxwriter's constant-memory mode, this project's exports)."""
    hh, mm = families(2, VILLAGE_A)
    shared = write_xlsx(tmp_path / "shared.xlsx", hh, mm)
    inline = tmp_path / "inline.xlsx"
    openpyxl.load_workbook(shared).save(inline)
    with zipfile.ZipFile(shared) as a, zipfile.ZipFile(inline) as b:
        assert "xl/sharedStrings.xml" in a.namelist() and "xl/sharedStrings.xml" not in b.namelist()
    for name in ("户", "人"):
        assert _stream_rows(shared, name) == _stream_rows(inline, name)
    r = import_registry(actor=cast["clerk_a"], xlsx=inline)
    assert r.ok, r.errors
    assert r.created == 2 and Household.objects.get(number="H00001").head_name == "张三"


def test_a_row_or_shared_strings_past_the_limits_are_refused_not_read_into_memory(excel_like, tmp_path, monkeypatch):
    """A zip bomb (a few KB that inflate to GBs) or a damaged sheet without row ends is refused
    once past the limits, instead of being held in memory."""
    from fupin.registry import xlsx_stream

    monkeypatch.setattr(xlsx_stream, "MAX_SHARED_TEXT", 16)
    with pytest.raises(ApplicationError) as exc:
        open_sources(xlsx=excel_like)
    assert exc.value.code == "E_FILE_FORMAT" and "MB" in exc.value.message
    monkeypatch.undo()

    monkeypatch.setattr(xlsx_stream, "MAX_ROW_TEXT", 200_000)
    endless = _rewrite_sheet(excel_like, tmp_path / "endless.xlsx", "xl/worksheets/sheet2.xml",
                             lambda xml: xml.replace("</row>", "", 1).replace("<c r=\"A1\"", "<c r=\"A1\"" + " " * 300_000, 1))
    wb = Workbook(endless)
    with pytest.raises(XlsxError, match="MB"):
        list(wb.rows("人"))
