"""Reading .xlsx sheets as a stream (fupin.registry.xlsx_stream): the same cells as python-calamine
(which read them before, holding whole sheets in memory), in memory that does not grow with the
sheet, and a clear error for a damaged workbook (performance.md; security.md 12)."""

import datetime as dt
import re
import time
import tracemalloc
import zipfile

import openpyxl
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from fupin.core.errors import ApplicationError
from fupin.registry.exchange_io import open_sources, read_table
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
        xml = re.sub(r'(<row) r="\d+"', r"\1", xml)  # rows without their number
        xml = re.sub(r'<c r="A2"( s="\d+")?( t="\w+")?', r'<c\2\1 r="A2"', xml)  # t before r
        return re.sub(r'<c r="B3"', "<c", xml)  # a cell placed by position

    path = _rewrite_sheet(excel_like, tmp_path / "norefs.xlsx", "xl/worksheets/sheet1.xml", strip_refs)
    # a row without r="…" is the row of its first cell's reference, as calamine places it
    assert _stream_rows(path, "户") == _stream_rows(excel_like, "户")


def _assert_flat(workbook, sheet: str) -> None:
    """Reading ten times the rows of `workbook(n)`'s `sheet` takes no more memory (Python's own
    allocations: the rows, the parser's elements, the text buffers)."""
    def peak(path):
        wb = Workbook(path)
        tracemalloc.start()
        count = sum(1 for _ in wb.rows(sheet))
        got = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return count, got

    (n1, small), (n2, large) = peak(workbook(2_000)), peak(workbook(20_000))
    assert (n1, n2) == (2_000, 20_000)
    assert large < small + 256 * 1024, (small, large)


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

    _assert_flat(workbook, "人")


def test_shared_strings_are_packed(excel_like):
    wb = Workbook(excel_like)
    texts = [wb.strings[i] for i in range(len(wb.strings))]
    assert "张三" in texts and "A & B <c> \"引号\"" in texts and texts.count("张三") == 1
    # one UTF-8 buffer and one offset each, not a Python string each
    assert bytes(wb.strings.buf) == "".join(texts).encode() and len(wb.strings.ends) == len(texts)


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
def test_an_error_cell_reads_as_empty_as_calamine_gave_it(cast, tmp_path):
    """An Excel error (#N/A from a broken look-up formula) is an empty cell, as python-calamine
    gave it: in a required column that is E_REQUIRED, never "#N/A" stored as a name."""
    hh, mm = families(1, VILLAGE_A)
    good = write_xlsx(tmp_path / "good.xlsx", hh, mm)
    ref = f"{chr(ord('A') + HOUSEHOLD_HEADERS.index('户主姓名'))}2"
    bad = _rewrite_sheet(good, tmp_path / "na.xlsx", "xl/worksheets/sheet1.xml",
                         lambda xml: re.sub(rf'<c r="{ref}"[^>]*>.*?</c>', f'<c r="{ref}" t="e"><v>#N/A</v></c>', xml))
    assert _stream_rows(bad, "户")[2][HOUSEHOLD_HEADERS.index("户主姓名")] == ""
    r = import_registry(actor=cast["clerk_a"], xlsx=bad)
    assert not r.ok and ("户", 2, "户主姓名", "E_REQUIRED") in [(e.sheet, e.row, e.column, e.code) for e in r.errors]
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


# -- workbooks built part by part: what some writers (or damaged files) put in them ------------------

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _book(path, sheet_xml: str, *, shared: list[str] | None = None, styles: str | None = None,
          main=_MAIN_NS, rel=_REL_NS, target="worksheets/sheet1.xml", strings_name="xl/sharedStrings.xml"):
    """A minimal .xlsx with one sheet 户 whose XML is `sheet_xml` (its <sheetData> content, or a
    whole document when it starts with "<?xml")."""
    if not sheet_xml.startswith("<?xml"):
        sheet_xml = (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{main}" xmlns:r="{rel}">'
                     f"<sheetData>{sheet_xml}</sheetData></worksheet>")
    rels = [f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="{target}"/>']
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", f'<?xml version="1.0"?><workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
                                      '<sheet name="户" sheetId="1" r:id="rId1"/></sheets></workbook>')
        if shared is not None:
            rels.append(f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="{strings_name[3:]}"/>')
            z.writestr(strings_name, f'<?xml version="1.0"?><sst xmlns="{main}">'
                                     + "".join(f"<si><t>{t}</t></si>" for t in shared) + "</sst>")
        if styles is not None:
            rels.append(f'<Relationship Id="rId3" Type="{rel}/styles" Target="styles.xml"/>')
            z.writestr("xl/styles.xml", f'<?xml version="1.0"?><styleSheet xmlns="{main}">{styles}</styleSheet>')
        z.writestr("xl/_rels/workbook.xml.rels",
                   '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                   'relationships">' + "".join(rels) + "</Relationships>")
        z.writestr("xl/worksheets/sheet1.xml", sheet_xml)
    return path


_DATES = ('<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/>'
          '<numFmt numFmtId="165" formatCode="#,##0.00\\ _M&quot;H&quot;_)"/></numFmts>'
          '<cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="31"/><xf numFmtId="165"/></cellXfs>')


def test_cell_types_dates_and_text_as_an_xml_parser_reads_them(tmp_path):
    path = _book(tmp_path / "types.xlsx",
                 '<row r="1"><c r="A1" t="inlineStr"><is><t>A &amp; B&#10;&#x4E2D;\r\nx</t></is></c>'
                 '<c r="B1" t="b"><v>true</v></c><c r="C1" t="b"><v>0</v></c><c r="D1" s="1"><v>32874</v></c>'
                 '<c r="E1" s="2"><v>45000.5</v></c><c r="F1" s="1"><v>2958470</v></c><c r="G1" s="3"><v>7</v></c>'
                 '<c r="H1"><v>not a number</v></c><c r="I1" t="d"><v>2016-05-01T00:00:00</v></c>'
                 '<c r="J1" t="s"><v>1</v></c><c r="K1" t="e"><v>#N/A</v></c><c r="L1" t="str"><v>AB</v></c></row>',
                 shared=["零", "一"], styles=_DATES)
    (number, cells), = Workbook(path).rows("户")
    assert number == 1
    assert cells == ["A & B\n中\nx", True, False, dt.date(1990, 1, 1), dt.datetime(2023, 3, 15, 12, 0),
                     2958470.0, 7.0, "not a number", dt.date(2016, 5, 1), "一", "", "AB"]


def test_rows_split_across_every_chunk_boundary_read_the_same(excel_like, monkeypatch):
    """The sheet is decompressed 64 KB at a time; a row, a tag or a character split between two
    pieces must make no difference (here: 7 characters at a time)."""
    from fupin.registry import xlsx_stream

    whole = {name: _stream_rows(excel_like, name) for name in ("户", "人")}
    monkeypatch.setattr(xlsx_stream, "_CHUNK", 7)
    for name in ("户", "人"):
        assert _stream_rows(excel_like, name) == whole[name] == _calamine_rows(excel_like, name)


def test_rows_and_cells_that_the_fast_path_leaves_to_xml(tmp_path):
    """Prefixed cells in an unprefixed sheet, a comment in a row, a formula, rich text with a
    phonetic guide, attributes in another order or in single quotes: read as XML, same values."""
    path = _book(tmp_path / "odd.xlsx",
                 '<row r="1" xmlns:x="' + _MAIN_NS + '"><x:c r="A1" t="inlineStr"><x:is><x:t>甲</x:t></x:is></x:c></row>'
                 '<row r="2"><!-- <c r="A2" t="inlineStr"><is><t>ghost</t></is></c> --><c r="B2"><v>2</v></c></row>'
                 '<row r="3"><c r="A3"><f>1+1</f><v>2</v></c><c t="inlineStr" r="B3"><is><r><t>富</t></r>'
                 '<rPh sb="0" eb="1"><t>fu</t></rPh><r><t>文本</t></r></is></c><c r=\'C3\'><v>3</v></c></row>'
                 "<row r='4'><c r=\"A4\"><v>4</v></c></row>")
    assert _stream_rows(path, "户") == {1: ["甲"], 2: ["", 2.0], 3: [2.0, "富文本", 3.0], 4: [4.0]}


def test_rows_without_a_number_take_their_first_cells(tmp_path):
    path = _book(tmp_path / "norow.xlsx", '<row><c r="B5"><v>5</v></c></row><row><c><v>6</v></c></row>')
    assert _stream_rows(path, "户") == {5: ["", 5.0], 6: [6.0]}


def test_strict_ooxml_case_insensitive_names_and_targets_from_the_root(tmp_path):
    strict = _book(tmp_path / "strict.xlsx", '<row r="1"><c r="A1" t="s"><v>0</v></c></row>', shared=["严格"],
                   main="http://purl.oclc.org/ooxml/spreadsheetml/main",
                   rel="http://purl.oclc.org/ooxml/officeDocument/relationships")
    assert _stream_rows(strict, "户") == {1: ["严格"]}
    odd = _book(tmp_path / "names.xlsx", '<row r="1"><c r="A1" t="s"><v>0</v></c></row>', shared=["大小写"],
                target="xl/worksheets/sheet1.xml", strings_name="xl/SharedStrings.xml")
    assert _stream_rows(odd, "户") == {1: ["大小写"]}


@pytest.mark.parametrize("sheet, message", [
    ('<row r="1"><c r="AAAAAAA1"><v>1</v></c></row>', "column"),  # would be a list of 321 million cells
    ('<row r="2000000"><c r="A2000000"><v>1</v></c></row>', "row"),
    ('<row r="1"><c r="A1" t="s"><v>5</v></c></row>', "shared string"),
])
def test_references_beyond_excel_are_file_errors(tmp_path, sheet, message):
    path = _book(tmp_path / "far.xlsx", sheet, shared=["零"])
    with pytest.raises(XlsxError, match=message):
        list(Workbook(path).rows("户"))


def test_a_sheet_cut_off_after_a_whole_row_is_refused(excel_like, tmp_path):
    """A sheet that ends after a complete row (a writer that died, a crafted file with a valid
    checksum) is not read as if those were all its rows."""
    cut = _rewrite_sheet(excel_like, tmp_path / "cut.xlsx", "xl/worksheets/sheet1.xml",
                         lambda xml: xml[:xml.index("</row>") + 6])
    with pytest.raises(XlsxError, match="row 1"):
        list(Workbook(cut).rows("户"))


def test_a_corrupt_compressed_stream_is_a_file_error(excel_like, tmp_path):
    data = bytearray(excel_like.read_bytes())
    with zipfile.ZipFile(excel_like) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for i in range(start + 10, start + min(info.compress_size, 60)):
        data[i] ^= 0x5A
    bad = tmp_path / "corrupt.xlsx"
    bad.write_bytes(bytes(data))
    with pytest.raises(ApplicationError) as exc:
        open_sources(xlsx=bad)
    assert exc.value.code == "E_FILE_FORMAT"


def test_memory_does_not_grow_with_a_prefixed_sheet(tmp_path):
    """The element-by-element path (<x:row>) also lets go of each row."""
    def workbook(n):
        rows = "".join(f'<x:row r="{r}"><x:c r="A{r}" t="inlineStr"><x:is><x:t>H{r:07d}</x:t></x:is></x:c>'
                       f'<x:c r="B{r}"><x:v>1.5</x:v></x:c></x:row>' for r in range(1, n + 1))
        xml = (f'<?xml version="1.0"?><x:worksheet xmlns:x="{_MAIN_NS}"><x:sheetData>{rows}</x:sheetData>'
               "</x:worksheet>")
        return _book(tmp_path / f"p{n}.xlsx", xml)

    _assert_flat(workbook, "户")


# -- files made to hurt: each must fail (or be read) at once, not after minutes or gigabytes ---------

def test_a_cell_the_fast_expression_cannot_match_does_not_make_it_backtrack(tmp_path):
    """A formula cell with a long run of spaces before its formula: a regular expression with two
    optional runs of spaces would try every split of them (hours for 100,000 spaces)."""
    spaces = " " * 100_000
    path = _book(tmp_path / "spaces.xlsx", f'<row r="1"><c r="A1">{spaces}<f>1+1</f><v>2</v></c></row>')
    started = time.monotonic()
    assert _stream_rows(path, "户") == {1: [2.0]}
    assert time.monotonic() - started < 10


def test_a_reference_with_a_long_run_of_letters_is_refused_at_once(tmp_path):
    path = _book(tmp_path / "letters.xlsx", f'<row r="1"><c r="{"A" * 100_000}1"><v>1</v></c></row>')
    started = time.monotonic()
    with pytest.raises(XlsxError, match="column"):
        list(Workbook(path).rows("户"))
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("rows", ['<row r="2"><c r="A2"><v>1</v></c></row><row r="2"><c r="A2"><v>2</v></c></row>',
                                  '<row r="3"><c r="A3"><v>1</v></c></row><row r="2"><c r="A2"><v>2</v></c></row>'])
def test_a_repeated_or_backward_row_is_refused(tmp_path, rows):
    """Writers number rows upwards; a sheet that repeats one (a zip bomb's endless row 2) is refused."""
    with pytest.raises(XlsxError, match="row 2"):
        list(Workbook(_book(tmp_path / "again.xlsx", rows)).rows("户"))


def test_what_follows_the_rows_is_not_read(tmp_path, monkeypatch):
    """Merged cells, links and the like after </sheetData> may be large; they are not rows."""
    from fupin.registry import xlsx_stream

    monkeypatch.setattr(xlsx_stream, "MAX_ROW_TEXT", 50_000)
    links = "".join(f'<hyperlink ref="A{i}" r:id="rId{i}"/>' for i in range(1, 5000))
    xml = (f'<?xml version="1.0"?><worksheet xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}"><sheetData>'
           f'<row r="1"><c r="A1"><v>1</v></c></row></sheetData><hyperlinks>{links}</hyperlinks></worksheet>')
    assert _stream_rows(_book(tmp_path / "links.xlsx", xml), "户") == {1: [1.0]}


def test_prefixes_mixed_with_the_default_namespace(tmp_path):
    plain_rows = '<row r="1"><c r="A1"><v>1</v></c></row>'
    xml = (f'<?xml version="1.0"?><x:worksheet xmlns:x="{_MAIN_NS}" xmlns="{_MAIN_NS}"><sheetData>{plain_rows}'
           "</sheetData></x:worksheet>")
    assert _stream_rows(_book(tmp_path / "root.xlsx", xml), "户") == {1: [1.0]}
    xml = (f'<?xml version="1.0"?><worksheet xmlns:x="{_MAIN_NS}" xmlns="{_MAIN_NS}"><sheetData>'
           '<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row></sheetData></worksheet>')
    assert _stream_rows(_book(tmp_path / "rows.xlsx", xml), "户") == {1: [1.0]}


def test_a_doctype_is_refused(tmp_path):
    xml = ('<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY a "aaaaaaaaaa">]>'
           f'<worksheet xmlns="{_MAIN_NS}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&a;</t></is></c>'
           "</row></sheetData></worksheet>")
    with pytest.raises(XlsxError, match="DOCTYPE"):
        list(Workbook(_book(tmp_path / "doctype.xlsx", xml)).rows("户"))


def test_the_1904_date_system(tmp_path):
    path = _book(tmp_path / "1904.xlsx", '<row r="1"><c r="A1" s="1"><v>0</v></c><c r="B1" s="1"><v>1</v></c>'
                 '<c r="C1" s="1"><v>2957005</v></c></row>', styles=_DATES)
    book = _rewrite_sheet(path, tmp_path / "1904b.xlsx", "xl/workbook.xml",
                          lambda xml: xml.replace("<sheets>", '<workbookPr date1904="1"/><sheets>'))
    # serial 0 is a time of day alone in either system; 1 is 2 January 1904; past year 9999 stays a number
    assert _stream_rows(book, "户") == {1: [dt.time(0, 0), dt.date(1904, 1, 2), 2957005.0]}


def test_a_password_protected_workbook_says_so(tmp_path):
    """Excel saves a workbook with an opening password as an OLE container with an
    EncryptedPackage stream: the clerk is told to remove the password."""
    path = tmp_path / "secret.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "EncryptedPackage".encode("utf-16-le"))
    with pytest.raises(ApplicationError) as exc:
        open_sources(xlsx=path)
    assert exc.value.code == "E_FILE_FORMAT" and "密码" in exc.value.message and "password" in exc.value.message


def test_a_sheet_without_dimension_gets_an_estimated_total_and_is_read_once(tmp_path, monkeypatch):
    from fupin.registry import xlsx_stream

    rows = "".join(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>{h}</t></is></c></row>'
                   for r, h in enumerate(["户编号", "H1", "H2", "H3"], start=1))
    path = _book(tmp_path / "nodim.xlsx", rows)
    reads = []
    original = xlsx_stream.Workbook.rows
    monkeypatch.setattr(xlsx_stream.Workbook, "rows", lambda self, name: reads.append(name) or original(self, name))
    src = read_table(path, "户")
    assert src.total >= 1 and len(reads) == 1  # the header's pass only, no counting pass
    assert [row[1]["户编号"] for row in src.rows()] == ["H1", "H2", "H3"]


def test_a_workbook_whose_sheets_cannot_be_found_is_a_clear_error(tmp_path):
    path = _book(tmp_path / "nosheet.xlsx", '<row r="1"><c r="A1"><v>1</v></c></row>', target="elsewhere.xml")
    with pytest.raises(ApplicationError) as exc:
        read_table(path, "户")
    assert exc.value.code == "E_FILE_FORMAT" and "没有工作表" in exc.value.message
