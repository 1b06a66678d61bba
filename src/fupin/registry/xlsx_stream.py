"""Reading an .xlsx workbook's sheets row by row, in memory that does not grow with the sheet
(performance.md: "peak memory independent of file size"; exchange_io.read_workbook).

python-calamine, which read the import's workbooks before, builds each sheet's whole cell range
in memory first (≈ 1 GB for a city's 405,000 member rows; it has no lazy reader). Here the
sheet's XML is decompressed and parsed as a stream (zipfile + ElementTree's incremental parser,
both in C), and each row is dropped once it has been handed on.

What is held for the whole read: the workbook's sheet list, the cell styles (which number
formats are dates) and the shared strings. Excel keeps each distinct text of a workbook once, in
its sharedStrings part, and a cell refers to it by number; those texts are kept packed as UTF-8
in one buffer (≈ 20 bytes per distinct text, not a Python object each). Workbooks written in
constant-memory mode (xlsxwriter, this project's own exports) write their texts inline and have
no shared strings.

Cells come out as calamine gave them, so that validation sees the same values: text as str,
numbers as float, booleans as bool, a number in a date format as datetime.date (datetime.datetime
when it has a time of day), an error cell as its text ("#N/A"), an empty cell as "".
"""

from __future__ import annotations

import codecs
import datetime as dt
import html
import posixpath
import re
import zipfile
from array import array
from collections.abc import Iterator
from xml.etree import ElementTree as ET

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CHUNK = 1 << 16
# Limits against damaged files and zip bombs (a few KB of zip that inflate to GBs): a row of the
# exchange format is about 1 KB of XML; a city's distinct texts are a few dozen MB.
MAX_ROW_TEXT = 32 << 20  # characters of one row's XML
MAX_SHARED_TEXT = 256 << 20  # bytes (UTF-8) of all shared strings

# Built-in number formats that show a date or time (ECMA-376 part 1, 18.8.30, and the East Asian
# ids that Excel uses for 年/月/日 formats), as calamine counts them.
_DATE_FORMAT_IDS = {*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59), *range(71, 82)}
_QUOTED = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')  # literal text, escaped characters, [colours]/[locales]
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_AFTER_NAME = {" ", ">", "\t", "\n", "\r", "/"}  # what may follow "<row" in the tag <row …>
_ROW_NUMBER = re.compile(r'\br="(\d+)"')
# A cell as every common writer puts it (attributes r, s, t in that order; a value or an inline
# text, or nothing): column letters, style, type, <v> text, inline text.
_CELL = re.compile(r'<c r="([A-Z]{1,3})\d+"(?: s="(\d+)")?(?: t="(\w+)")?\s*'
                   r'(?:/>|>\s*(?:<v>([^<]*)</v>|<is><t(?: xml:space="preserve")?>([^<]*)</t></is>)?\s*</c>)')
_EPOCH_1904 = dt.datetime(1904, 1, 1)


class XlsxError(Exception):
    """The file is not a workbook this reader understands (damaged zip, missing parts)."""


def _is_date_format(code: str) -> bool:
    """A custom number format that shows a date or time (y, m, d, h, s outside literal text)."""
    bare = _QUOTED.sub("", code).lower()
    return "general" not in bare and any(ch in bare for ch in "ymdhs")


class _Strings:
    """The shared strings, packed: one UTF-8 buffer and the offsets of each text in it."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.ends = array("Q")

    def append(self, text: str) -> None:
        self.buf += text.encode()
        self.ends.append(len(self.buf))
        if len(self.buf) > MAX_SHARED_TEXT:
            raise XlsxError(f"共享字符串超过 {MAX_SHARED_TEXT >> 20} MB / the shared strings exceed "
                            f"{MAX_SHARED_TEXT >> 20} MB")

    def __getitem__(self, i: int) -> str:
        start = self.ends[i - 1] if i else 0
        return self.buf[start:self.ends[i]].decode()

    def __len__(self) -> int:
        return len(self.ends)


def _text(si, ns: str = _MAIN) -> str:
    """The text of a shared string or inline string element: its <t>, or its runs' <t>s, without
    phonetic guides (<rPh>, the kana/pinyin Excel may keep above CJK text)."""
    t = si.find(ns + "t")
    if t is not None:
        return t.text or ""
    return "".join(x.text or "" for r in si.iter(ns + "r") for x in r.iter(ns + "t"))


def _column(ref: str, memo: dict[str, int]) -> int:
    """0-based column of a cell reference ("AB12" -> 27)."""
    letters = ref.rstrip("0123456789")
    col = memo.get(letters)
    if col is None:
        col = 0
        for ch in letters:
            col = col * 26 + (ord(ch) - 64)
        col = memo[letters] = col - 1
    return col


class Workbook:
    """An .xlsx file opened for streaming its sheets. Raises XlsxError for a file that is not one."""

    def __init__(self, path) -> None:
        try:
            self._open(path)
        except (zipfile.BadZipFile, KeyError, ET.ParseError, OSError, ValueError, EOFError) as exc:
            raise XlsxError(f"{type(exc).__name__}: {exc}") from exc

    def _open(self, path) -> None:
        self.zip = zipfile.ZipFile(path)
        names = set(self.zip.namelist())
        book = ET.fromstring(self.zip.read("xl/workbook.xml"))
        rels = ET.fromstring(self.zip.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(_PKG_REL + "Relationship")}
        self.sheets: dict[str, str] = {}  # sheet name -> its part in the zip
        for s in book.iter(_MAIN + "sheet"):
            target = targets.get(s.get(_REL + "id"), "")
            part = target.lstrip("/") if target.startswith("/") else posixpath.normpath("xl/" + target)
            if part in names:
                self.sheets[s.get("name", "")] = part
        pr = book.find(_MAIN + "workbookPr")
        self.epoch = _EPOCH_1904 if pr is not None and pr.get("date1904") in ("1", "true") else _EXCEL_EPOCH
        self.date_styles = self._date_styles(names, targets)
        self.strings = self._shared_strings(names, targets)

    @property
    def sheet_names(self) -> list[str]:
        return list(self.sheets)

    def _part(self, names: set[str], targets: dict, kind: str, default: str) -> str | None:
        for target in targets.values():
            if target.endswith(kind):
                part = target.lstrip("/") if target.startswith("/") else posixpath.normpath("xl/" + target)
                if part in names:
                    return part
        return default if default in names else None

    def _date_styles(self, names, targets) -> frozenset[int]:
        """Indexes of the cell styles (cellXfs) whose number format is a date or time."""
        part = self._part(names, targets, "styles.xml", "xl/styles.xml")
        if part is None:
            return frozenset()
        styles = ET.fromstring(self.zip.read(part))
        custom = {int(f.get("numFmtId", -1)): f.get("formatCode", "") for f in styles.iter(_MAIN + "numFmt")}
        xfs = styles.find(_MAIN + "cellXfs")
        out = set()
        for i, xf in enumerate(xfs.iter(_MAIN + "xf") if xfs is not None else ()):
            fid = int(xf.get("numFmtId", 0))
            if fid in custom and _is_date_format(custom[fid]) or fid not in custom and fid in _DATE_FORMAT_IDS:
                out.add(i)
        return frozenset(out)

    def _shared_strings(self, names, targets) -> _Strings:
        strings = _Strings()
        part = self._part(names, targets, "sharedStrings.xml", "xl/sharedStrings.xml")
        if part is None:
            return strings
        parser = ET.XMLPullParser(events=("start", "end"))
        root = None
        with self.zip.open(part) as fh:
            while chunk := fh.read(_CHUNK):
                parser.feed(chunk)
                for event, el in parser.read_events():
                    if event == "start":
                        root = el if root is None else root
                    elif el.tag == _MAIN + "si":
                        strings.append(_text(el))
                        root.clear()  # the <si> elements read so far
        parser.close()
        return strings

    def dimension_rows(self, name: str) -> int | None:
        """The last row of the sheet's <dimension ref="A1:V405503"> (written by Excel and
        xlsxwriter at the top of the sheet), or None."""
        with self.zip.open(self.sheets[name]) as fh:
            head = fh.read(4096).decode("utf-8", "replace")
        m = re.search(r'<(?:\w+:)?dimension ref="[A-Z]*\d*:?[A-Z]*(\d+)"', head)
        return int(m[1]) if m else None

    def rows(self, name: str) -> Iterator[tuple[int, list]]:
        """(Excel row number, cells from column A on) for each <row> of the sheet, in file order.
        Cells the file leaves out are ""; a row ends at its last cell.

        Sheets whose elements carry no namespace prefix (Excel, WPS, LibreOffice, xlsxwriter,
        openpyxl) are read as text: each <row> is found and its cells taken by a regular
        expression (_CELL), which is several times faster than building an element per cell. Any
        row whose content is not wholly made of such cells (formulas, rich text, attributes in
        another order) is parsed as XML instead (_tree_cells), and so is any sheet written with
        prefixes (<x:row>)."""
        try:
            with self.zip.open(self.sheets[name]) as fh:
                decoder = codecs.getincrementaldecoder("utf-8")()
                head, eof = "", False
                while not eof and "sheetData" not in head and len(head) < (1 << 22):
                    chunk = fh.read(_CHUNK)
                    eof = not chunk
                    head += decoder.decode(chunk, final=eof)
                root = re.search(r"<(?:(\w+):)?worksheet\b[^>]*>", head)
                if root is None:
                    raise XlsxError(f"工作表“{name}”不是工作表 / not a worksheet part")
                if root[1]:  # prefixed elements
                    yield from self._rows_tree(name)
                    return
                yield from self._rows_text(fh, decoder, head, eof, root[0])
        except (ET.ParseError, zipfile.BadZipFile, ValueError, IndexError, OSError, EOFError) as exc:
            raise XlsxError(f"{type(exc).__name__}: {exc}") from exc

    def _rows_text(self, fh, decoder, buf: str, eof: bool, root_tag: str) -> Iterator[tuple[int, list]]:
        strings, date_styles, epoch = self.strings, self.date_styles, self.epoch
        # the root's namespace declarations, for parsing a single row as XML (_tree_cells)
        wrap = "<row " + " ".join(re.findall(r'xmlns(?::\w+)?="[^"]*"', root_tag)) + ">"
        ns = re.search(r'\bxmlns="([^"]*)"', root_tag)
        ns = "{" + ns[1] + "}" if ns else ""
        memo: dict[str, int] = {}
        unescape = html.unescape
        last_row = 0
        while True:
            # whole rows only: up to the last "</row>" (at the end, all that is left)
            cut = len(buf) if eof else buf.rfind("</row>") + 6
            if cut < 6 and not eof:
                cut = 0
            # "</row>" ends each row that has content; the last "<row" before it starts that row
            # (text and attribute values cannot hold a "<"), and any "<row …/>" before that is
            # an empty row, which has nothing to hand on.
            for piece in buf[:cut].split("</row>"):
                at = piece.rfind("<row")
                if at < 0 or piece[at + 4:at + 5] not in _AFTER_NAME:
                    continue
                gt = piece.index(">", at)
                if piece[gt - 1] == "/":
                    continue  # "<row …/>" after the last row: an empty row at the end of the sheet
                attrs, inner = piece[at + 4:gt], piece[gt + 1:]
                r = _ROW_NUMBER.search(attrs)
                # without r="…", a row is the one after the last, counting the empty ones between
                number = last_row = int(r[1]) if r else last_row + 1 + piece.count("<row", 0, at)
                cells: list = []
                found = _CELL.findall(inner)
                # Every match is a whole cell and starts with "<c"; so when there are as many
                # matches as "<c" in the row, every cell matched (a cell with a formula or rich
                # text, or a "<color" inside one, makes the count differ: then XML decides).
                if len(found) != inner.count("<c"):
                    cells = self._tree_cells(ET.fromstring(wrap + inner + "</row>"), ns, memo)
                    yield number, cells
                    continue
                for letters, style, t, text, inline in found:
                    col = memo.get(letters)
                    if col is None:
                        col = memo[letters] = _column(letters, {})
                    if col != len(cells):
                        if col < len(cells):
                            raise XlsxError(f"第 {number} 行的单元格次序错乱 / row {number}: cells out of order")
                        cells.extend([""] * (col - len(cells)))
                    if t == "inlineStr":
                        cells.append(inline if "&" not in inline else unescape(inline))
                    else:
                        if "&" in text:
                            text = unescape(text)
                        cells.append(_value(t, style, text, strings, date_styles, epoch))
                yield number, cells
            buf = buf[cut:]
            if eof:
                return
            if len(buf) > MAX_ROW_TEXT:  # no "</row>" in all that: a damaged file, or a zip bomb
                raise XlsxError(f"第 {last_row} 行之后的一行超过 {MAX_ROW_TEXT >> 20} MB / a row after row {last_row} "
                                f"is larger than {MAX_ROW_TEXT >> 20} MB")
            chunk = fh.read(_CHUNK)
            eof = not chunk
            buf += decoder.decode(chunk, final=eof)

    def _rows_tree(self, name: str) -> Iterator[tuple[int, list]]:
        """The sheet parsed as XML, element by element (any namespace prefix)."""
        parser = ET.XMLPullParser(events=("start", "end"))
        ns, parent, last_row, memo = None, None, 0, {}
        with self.zip.open(self.sheets[name]) as fh:
            while chunk := fh.read(_CHUNK):
                parser.feed(chunk)
                for event, el in parser.read_events():
                    if event == "start":
                        if ns is None:
                            ns = el.tag[:el.tag.index("}") + 1] if el.tag.startswith("{") else ""
                        elif el.tag == ns + "sheetData":
                            parent = el  # emptied as rows are handed on
                        continue
                    if el.tag != ns + "row":
                        continue
                    r = el.get("r")
                    number = last_row = int(r) if r else last_row + 1
                    cells = self._tree_cells(el, ns, memo)
                    if parent is not None:
                        parent.clear()
                    yield number, cells
        parser.close()

    def _tree_cells(self, row, ns: str, memo: dict[str, int]) -> list:
        cells: list = []
        v_tag, is_tag = ns + "v", ns + "is"
        for c in row.iter(ns + "c"):
            ref = c.get("r")
            if ref is not None:
                col = _column(ref, memo)
                if col < len(cells):
                    raise XlsxError(f"单元格 {ref} 次序错乱 / cell {ref} out of order")
                cells.extend([""] * (col - len(cells)))
            t = c.get("t")
            if t == "inlineStr":
                inline = c.find(is_tag)
                cells.append(_text(inline, ns) if inline is not None else "")
                continue
            v = c.find(v_tag)
            cells.append(_value(t, c.get("s"), v.text if v is not None else None, self.strings, self.date_styles,
                                self.epoch))
        return cells

    def close(self) -> None:
        self.zip.close()


def _value(t, style, text, strings, date_styles, epoch):
    """A cell's value from its type (t), style number (s) and <v> text."""
    if not t or t == "n":
        if not text:
            return ""
        value = float(text)
        if style and int(style) in date_styles:
            return _date(value, epoch)
        return value
    if t == "s":
        return strings[int(text)] if text else ""
    if t == "b":
        return text == "1" if text else ""
    if t == "d":
        return _iso_date(text)
    return text or ""  # "str" (a formula's text), "e" (an error such as #N/A)


def _date(serial: float, epoch: dt.datetime):
    """An Excel date serial number as a date (datetime when it has a time of day, time when it is
    one alone, as calamine gives them). In the 1900
    system Excel counts a 29 February 1900 that never was: serials before it are one day early."""
    if not 0 <= serial < 3e6:
        return serial  # not a date Excel can show; left as the number
    if serial < 1:  # a time of day alone
        return (dt.datetime.min + dt.timedelta(milliseconds=round(serial * 86_400_000))).time()
    if epoch is _EXCEL_EPOCH and serial < 61:
        serial += 1
    value = epoch + dt.timedelta(milliseconds=round(serial * 86_400_000))  # 08:30 is 0.35416666…
    if value.hour == value.minute == value.second == value.microsecond == 0:
        return value.date()
    return value


def _iso_date(text: str | None):
    if not text:
        return ""
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    return value.date() if value.time() == dt.time() else value
