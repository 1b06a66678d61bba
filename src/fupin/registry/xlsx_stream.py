"""Reading an .xlsx workbook's sheets row by row, in memory that does not grow with the sheet
(performance.md: "peak memory independent of file size"; exchange_io.read_workbook).

python-calamine, which read the import's workbooks before, builds each sheet's whole cell range
in memory first (≈ 1 GB for a city's 405,000 member rows; it has no lazy reader). Here the
sheet's XML is decompressed and read as a stream, and each row is dropped once it has been
handed on.

What is held for the whole read: the workbook's sheet list, the cell styles (which number
formats are dates) and the shared strings. Excel keeps each distinct text of a workbook once, in
its sharedStrings part, and a cell refers to it by number; those texts are kept packed as UTF-8
in one buffer (each text's UTF-8 bytes and a 4-byte offset, not a Python object each). Workbooks written in
constant-memory mode (xlsxwriter, this project's own exports) and by openpyxl write their texts
inline and have no shared strings.

Cells come out as calamine gave them, so that validation sees the same values: text as str,
numbers as float, booleans as bool, a number in a date format as datetime.date (datetime.datetime
when it has a time of day, datetime.time for a time alone), an empty cell or an error cell
(#N/A) as "". Part names are matched without regard to case, and elements by their local names
(transitional and strict OOXML alike).

Every failure to read the file is an XlsxError (the importer's E_FILE_FORMAT), and the limits
below keep a damaged file or a zip bomb (a few KB that inflate to GBs) from filling memory.
"""

from __future__ import annotations

import codecs
import datetime as dt
import posixpath
import re
import zipfile
from array import array
from collections.abc import Iterator
from xml.etree import ElementTree as ET

_CHUNK = 1 << 16
MAX_ROW_TEXT = 4 << 20  # characters of one row's XML (an exchange-format row is about 1 KB)
MAX_SHARED_TEXT = 256 << 20  # bytes (UTF-8) of all shared strings (a city's are a few dozen MB)
MAX_SHARED_COUNT = 16_000_000  # shared strings (each costs an offset even when empty)
MAX_PART = 16 << 20  # bytes of the small parts read whole (workbook, relationships, styles)
MAX_COLUMN = 16_383  # XFD, Excel's last column (0-based)
MAX_ROW = 1_048_576  # Excel's last row

# Built-in number formats that show a date or time: ECMA-376 part 1, 18.8.30 (14–22, 45–47, as
# calamine counts them), and the East Asian ids Excel and WPS use for 年/月/日 formats (27–36,
# 50–58, 71–81).
_DATE_FORMAT_IDS = {*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59), *range(71, 82)}
# literal text, escaped characters, [colours]/[locales], and the character after _ (a space as wide
# as it) or * (repeated to fill)
_LITERAL = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.')
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_EPOCH_1904 = dt.datetime(1904, 1, 1)
_LAST_SERIAL = 2_958_466  # 10000-01-01 in the 1900 system (1,462 days less in the 1904 one): past the last date
_AFTER_NAME = {" ", ">", "\t", "\n", "\r", "/"}  # what may follow "<row" in the tag <row …>
_XMLNS = re.compile(r'xmlns(?::\w+)?="[^"]*"')
_ROW_NUMBER = re.compile(r"""\br=["'](\d+)["']""")
_FIRST_CELL_ROW = re.compile(r'<c r="[A-Z]{1,3}(\d+)"')
# A cell as every common writer puts it (attributes r, s, t in that order; a value or an inline
# text, or nothing): column letters, style, type, <v> text, inline text.
# Possessive quantifiers (*+): a cell that does not match fails at once, whatever its length,
# instead of the engine trying every split of its spaces.
_CELL = re.compile(r'<c r="([A-Z]{1,3})\d++"(?: s="(\d++)")?(?: t="(\w++)")?\s*+'
                   r'(?:/>|>\s*+(?:(?:<v>([^<]*+)</v>|<is><t(?: xml:space="preserve")?>([^<]*+)</t></is>)\s*+)?</c>)')
_ENTITY = re.compile(r"&(#[0-9]+|#x[0-9a-fA-F]+|amp|lt|gt|quot|apos);")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


class XlsxError(Exception):
    """The file is not a workbook this reader understands (damaged zip, missing parts, limits)."""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _entity(m: re.Match) -> str:
    name = m[1]
    if name[0] != "#":
        return _NAMED[name]
    code = int("0" + name[1:], 0) if name[1] == "x" else int(name[1:])  # "#x41" -> "0x41"
    if not (0 < code <= 0x10FFFF) or 0xD800 <= code <= 0xDFFF:
        raise XlsxError(f"无效的字符引用 &{name}; / invalid character reference")
    return chr(code)


def _xml_text(text: str) -> str:
    """Text between tags as an XML parser gives it: references resolved, line ends as \\n."""
    if "&" in text:
        text = _ENTITY.sub(_entity, text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _is_date_format(code: str) -> bool:
    """A custom number format that shows a date or time (y, m, d, h, s in its first section,
    outside literal text)."""
    bare = _LITERAL.sub("", code).split(";", 1)[0].lower()
    return "general" not in bare and any(ch in bare for ch in "ymdhs")


class _Strings:
    """The shared strings, packed: one UTF-8 buffer and the end of each text in it."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.ends = array("I")  # MAX_SHARED_TEXT < 4 GB

    def append(self, text: str) -> None:
        self.buf += text.encode()
        self.ends.append(len(self.buf))
        if len(self.buf) > MAX_SHARED_TEXT or len(self.ends) > MAX_SHARED_COUNT:
            raise XlsxError(f"共享字符串超过 {MAX_SHARED_TEXT >> 20} MB 或 {MAX_SHARED_COUNT} 个 / the shared strings "
                            f"exceed {MAX_SHARED_TEXT >> 20} MB or {MAX_SHARED_COUNT} texts")

    def __getitem__(self, i: int) -> str:
        if not 0 <= i < len(self.ends):
            raise XlsxError(f"共享字符串编号 {i} 不存在 / no shared string {i}")
        start = self.ends[i - 1] if i else 0
        return self.buf[start:self.ends[i]].decode()

    def __len__(self) -> int:
        return len(self.ends)


def _text(si) -> str:
    """The text of a shared string or inline string element: its <t>, or its runs' <t>s, without
    phonetic guides (<rPh>, the kana/pinyin Excel may keep above CJK text)."""
    out = []
    for child in si:
        name = _local(child.tag)
        if name == "t":
            out.append(child.text or "")
        elif name == "r":
            out += [t.text or "" for t in child if _local(t.tag) == "t"]
    return "".join(out)


def _column(letters: str, memo: dict[str, int]) -> int:
    """0-based column of a reference's letters ("AB" -> 27), remembered in `memo`."""
    col = memo.get(letters)
    if col is not None:
        return col
    ok = 1 <= len(letters) <= 3 and letters.isascii() and letters.isalpha() and letters.isupper()
    col = 0
    for ch in letters if ok else "":
        col = col * 26 + (ord(ch) - 64)
    if not 1 <= col <= MAX_COLUMN + 1:
        raise XlsxError(f"单元格列号“{letters[:10]}”超出 Excel 的范围 / column {letters[:10]} is beyond Excel's last column")
    col = memo[letters] = col - 1
    return col


def _next_row(number: int, last: int) -> int:
    """A row's number, checked: within Excel's rows and after the row before (every writer writes
    them in order; a sheet repeating a row is damaged or made to be endless)."""
    if not last < number <= MAX_ROW:
        raise XlsxError(f"行号 {number} 重复、次序错乱或超出 Excel 的范围 / row {number} repeats, is out of order or "
                        "is beyond Excel's last row")
    return number


class _FileErrors:
    """Any failure while reading the file (zipfile, zlib, lzma, ElementTree, …) as an XlsxError."""

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if exc is None or isinstance(exc, XlsxError) or not isinstance(exc, Exception):
            return False  # GeneratorExit and KeyboardInterrupt pass as they are
        raise XlsxError(f"{type(exc).__name__}: {exc}") from exc


def _too_large(zh: str, en: str) -> XlsxError:
    return XlsxError(f"{zh}超过 {MAX_ROW_TEXT >> 20} MB / {en} is larger than {MAX_ROW_TEXT >> 20} MB")


def _truncated(last_row: int) -> XlsxError:
    return XlsxError(f"工作表在第 {last_row} 行之后被截断 / the sheet ends abruptly after row {last_row}")


def _no_doctype(head: bytes | str) -> None:
    """OOXML parts never declare a DOCTYPE; one would allow entity expansion (a billion laughs)."""
    if (b"<!DOCTYPE" if isinstance(head, bytes) else "<!DOCTYPE") in head:
        raise XlsxError("文件含有 DOCTYPE 声明 / the file declares a DOCTYPE")


def _place(cells: list, col: int, value) -> None:
    """Put a value in its column (the cells between stay "")."""
    n = len(cells)
    if col == n:
        cells.append(value)
    elif col > n:
        cells.extend([""] * (col - n))
        cells.append(value)
    else:  # a cell out of order: where its reference says, as calamine placed it
        cells[col] = value


class Workbook:
    """An .xlsx file opened for streaming its sheets. Raises XlsxError for a file that is not one."""

    def __init__(self, path) -> None:
        with _FileErrors():
            self._open(path)

    def _open(self, path) -> None:
        self.zip = zipfile.ZipFile(path)
        self.parts = {i.filename.lower(): i for i in self.zip.infolist()}  # part names ignore case
        book = self._xml(self._find("xl/workbook.xml"))
        rels = self._relationships("xl/workbook.xml")  # (type, id, part)
        by_id = {rid: part for _, rid, part in rels}
        by_type = {kind.rsplit("/", 1)[-1]: part for kind, _, part in rels}
        self.sheets: dict[str, zipfile.ZipInfo] = {}  # sheet name -> its part
        for el in book.iter():
            if _local(el.tag) != "sheet":
                continue
            rid = next((v for k, v in el.attrib.items() if k.startswith("{") and _local(k) == "id"), None)
            if rid in by_id:
                self.sheets[el.get("name", "")] = by_id[rid]
        pr = next((el for el in book.iter() if _local(el.tag) == "workbookPr"), None)
        self.epoch = _EPOCH_1904 if pr is not None and pr.get("date1904") in ("1", "true") else _EXCEL_EPOCH
        self.date_styles = self._date_styles(by_type.get("styles") or self.parts.get("xl/styles.xml"))
        self.strings = self._shared_strings(by_type.get("sharedStrings") or self.parts.get("xl/sharedstrings.xml"))

    # -- parts -------------------------------------------------------------------------------
    def _find(self, name: str) -> zipfile.ZipInfo:
        info = self.parts.get(name.lower())
        if info is None:
            raise XlsxError(f"缺少 {name} / {name} is missing")
        return info

    def _xml(self, info: zipfile.ZipInfo):
        if info.file_size > MAX_PART:
            raise XlsxError(f"{info.filename} 超过 {MAX_PART >> 20} MB / {info.filename} is larger than "
                            f"{MAX_PART >> 20} MB")
        data = self.zip.read(info)
        _no_doctype(data)
        return ET.fromstring(data)

    def _resolve(self, source: str, target: str) -> zipfile.ZipInfo | None:
        """The part a relationship's Target names: relative to its source part's folder, absolute
        with a leading "/", or (as some writers put it) already from the package's root."""
        if target.startswith("/"):
            candidates = [target.lstrip("/")]
        else:
            candidates = [posixpath.normpath(posixpath.join(posixpath.dirname(source), target)), target]
        for name in candidates:
            info = self.parts.get(name.lower())
            if info is not None:
                return info
        return None

    def _relationships(self, source: str) -> list[tuple[str, str, zipfile.ZipInfo]]:
        """(Type, Id, part) of each relationship of the part `source` whose target is in the file."""
        info = self.parts.get(posixpath.join(posixpath.dirname(source), "_rels",
                                             posixpath.basename(source) + ".rels").lower())
        if info is None:
            raise XlsxError(f"缺少 {source} 的关系 / the relationships of {source} are missing")
        out = []
        for r in self._xml(info).iter():
            if _local(r.tag) == "Relationship":
                part = self._resolve(source, r.get("Target", ""))
                if part is not None:
                    out.append((r.get("Type", ""), r.get("Id", ""), part))
        return out

    def _date_styles(self, info: zipfile.ZipInfo | None) -> frozenset[int]:
        """Indexes of the cell styles (cellXfs) whose number format is a date or time."""
        if info is None:
            return frozenset()
        styles = self._xml(info)
        custom = {int(f.get("numFmtId", -1)): f.get("formatCode", "") for f in styles.iter()
                  if _local(f.tag) == "numFmt"}
        xfs = next((el for el in styles.iter() if _local(el.tag) == "cellXfs"), None)
        out = set()
        for i, xf in enumerate(x for x in (xfs if xfs is not None else ()) if _local(x.tag) == "xf"):
            fid = int(xf.get("numFmtId", 0))
            if fid in custom and _is_date_format(custom[fid]) or fid not in custom and fid in _DATE_FORMAT_IDS:
                out.add(i)
        return frozenset(out)

    def _shared_strings(self, info: zipfile.ZipInfo | None) -> _Strings:
        strings = _Strings()
        if info is None:
            return strings
        parser = ET.XMLPullParser(events=("start", "end"))
        root, fed = None, 0  # `fed`: characters since the last <si> ended
        with self.zip.open(info) as fh:
            while chunk := fh.read(_CHUNK):
                if root is None:
                    _no_doctype(chunk)
                parser.feed(chunk)
                fed += len(chunk)
                for event, el in parser.read_events():
                    if event == "start":
                        root = el if root is None else root
                    elif _local(el.tag) == "si":
                        strings.append(_text(el))
                        root.clear()  # the <si> elements read so far
                        fed = 0
                if fed > MAX_ROW_TEXT:
                    raise _too_large("一个共享字符串", "a shared string")
        parser.close()
        return strings

    @property
    def sheet_names(self) -> list[str]:
        return list(self.sheets)

    def dimension_rows(self, name: str) -> int | None:
        """The last row of the sheet's <dimension ref="A1:V405503"> (written by Excel and
        xlsxwriter at the top of the sheet), or None."""
        with _FileErrors(), self.zip.open(self.sheets[name]) as fh:
            head = fh.read(4096).decode("utf-8", "replace")
        m = re.search(r'<(?:\w+:)?dimension ref="[A-Z]*\d*:?[A-Z]*(\d+)"', head)
        return int(m[1]) if m else None

    def size_estimate(self, name: str) -> int:
        """The sheet's rows, estimated from its size (≈ 400 bytes of XML a row; a member row of a
        city's file is ≈ 950), for the progress bar of a sheet without a <dimension>."""
        return max(1, self.sheets[name].file_size // 400)

    # -- rows --------------------------------------------------------------------------------
    def rows(self, name: str) -> Iterator[tuple[int, list]]:
        """(Excel row number, cells from column A on) for each <row> of the sheet, in file order.
        Cells the file leaves out are ""; a row ends at its last cell.

        Sheets written without namespace prefixes (Excel, WPS, LibreOffice, xlsxwriter, openpyxl)
        are read as text: each <row> is found and its cells taken by a regular expression
        (_CELL), several times faster than building an element per cell. Any row whose content is
        not wholly made of such cells (formulas, rich text, attributes in another order, comments)
        is parsed as XML instead (_tree_cells), and so is any sheet written with prefixes
        (<x:row>). Reading stops at the end of the rows (</sheetData>)."""
        with _FileErrors(), self.zip.open(self.sheets[name]) as fh:
            decoder = codecs.getincrementaldecoder("utf-8")()
            head, eof = "", False
            while not eof and "sheetData" not in head and len(head) < MAX_ROW_TEXT:
                chunk = fh.read(_CHUNK)
                eof = not chunk
                head += decoder.decode(chunk, final=eof)
            _no_doctype(head)
            data = re.search(r"<(\w+:)?sheetData\b", head)
            root = re.search(r"<(?:\w+:)?worksheet\b[^<>]*>", head)
            if data is None or root is None:
                raise XlsxError(f"“{name}”不是工作表 / {name} is not a worksheet")
            if data[1] or re.search(r"<\w+:row\b", head):  # prefixed elements
                yield from self._rows_tree(name)
                return
            if re.match(r"<sheetData\b[^<>]*/>", head[data.start():]):
                return  # <sheetData/>: no rows
            yield from self._rows_text(fh, decoder, head, eof, root[0])

    def _rows_text(self, fh, decoder, buf: str, eof: bool, root_tag: str) -> Iterator[tuple[int, list]]:
        strings, date_styles, epoch = self.strings, self.date_styles, self.epoch
        # the root's namespace declarations, for parsing a single row as XML (_tree_cells)
        declared = _XMLNS.findall(root_tag)
        memo: dict[str, int] = {}
        last_row, searched = 0, 0
        while True:
            # whole rows only: up to the end of the rows (</sheetData>) when it is here, else up to
            # the last "</row>"; only the text not searched before is searched
            end = buf.find("</sheetData>", max(0, searched - 11))
            done = end >= 0
            if done:
                cut = end
            elif eof:
                raise _truncated(last_row)
            else:
                cut = buf.rfind("</row>", max(0, searched - 5)) + 6
                if cut < 6:
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
                if r is None:  # the row of its first cell's reference, else the one after the last
                    r = _FIRST_CELL_ROW.match(inner.lstrip())
                number = last_row = _next_row(int(r[1]) if r else last_row + 1 + piece.count("<row", 0, at),
                                              last_row)
                cells: list = []
                found = _CELL.findall(inner)
                # Every match is a whole cell and starts with "<c"; so when there are as many
                # matches as "<c" in the row, every cell matched (a cell with a formula or rich
                # text, or a "<color" inside one, makes the count differ: then XML decides). A
                # comment or a prefixed cell (<x:c>) is also left to XML.
                if len(found) != inner.count("<c") or "<!" in inner or "<?" in inner or (
                        not found and "<" in inner):
                    # as XML, with the namespaces declared on the sheet and on the row itself
                    wrap = " ".join(dict.fromkeys(declared + _XMLNS.findall(attrs)))
                    yield number, self._tree_cells(ET.fromstring(f"<row {wrap}>{inner}</row>"), memo)
                    continue
                for letters, style, t, text, inline in found:
                    col = memo.get(letters)
                    if col is None:
                        col = _column(letters, memo)
                    if t == "inlineStr":
                        value = _xml_text(inline) if "&" in inline or "\r" in inline else inline
                    else:
                        if "&" in text or "\r" in text:
                            text = _xml_text(text)
                        value = _value(t, style, text, strings, date_styles, epoch)
                    if col == len(cells):
                        cells.append(value)
                    else:
                        _place(cells, col, value)
                yield number, cells
            if done:
                return  # what follows the rows (merged cells, links, …) is not read
            buf = buf[cut:]
            if len(buf) > MAX_ROW_TEXT:  # no "</row>" in all that: a damaged file, or a zip bomb
                raise _too_large(f"第 {last_row} 行之后的一行", f"a row after row {last_row}")
            searched = len(buf)
            chunk = fh.read(_CHUNK)
            eof = not chunk
            buf += decoder.decode(chunk, final=eof)

    def _rows_tree(self, name: str) -> Iterator[tuple[int, list]]:
        """The sheet parsed as XML, element by element (any namespace prefix)."""
        parser = ET.XMLPullParser(events=("start", "end"))
        root, parent, last_row, memo, fed, depth = None, None, 0, {}, 0, 0
        with self.zip.open(self.sheets[name]) as fh:
            while chunk := fh.read(_CHUNK):
                parser.feed(chunk)
                fed += len(chunk)
                for event, el in parser.read_events():
                    if event == "start":
                        depth += 1
                        if root is None:
                            root = el
                        elif depth == 2:
                            parent = el  # sheetData (or what stands there): emptied as rows are handed on
                        continue
                    depth -= 1
                    if depth == 1:  # a part of the sheet (views, sheetData, …) is over
                        if _local(el.tag) == "sheetData":
                            return  # what follows the rows is not read
                        root.clear()
                        fed = 0
                    if depth != 2 or _local(el.tag) != "row":
                        continue
                    fed = 0
                    r = el.get("r")
                    if r is None:  # the row of its first cell's reference, else the one after the last
                        first = next((c.get("r") for c in el if _local(c.tag) == "c"), None) or ""
                        r = first.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ") or None
                    number = last_row = _next_row(int(r) if r else last_row + 1, last_row)
                    cells = self._tree_cells(el, memo)
                    parent.clear()
                    yield number, cells
                if fed > MAX_ROW_TEXT:
                    raise _too_large(f"第 {last_row} 行之后的一行", f"a row after row {last_row}")
        parser.close()
        raise _truncated(last_row)

    def _tree_cells(self, row, memo: dict[str, int]) -> list:
        cells: list = []
        for c in row:
            if _local(c.tag) != "c":
                continue
            ref = c.get("r")
            col = _column(ref.rstrip("0123456789"), memo) if ref is not None else len(cells)
            t = c.get("t")
            v = inline = None
            for child in c:
                name = _local(child.tag)
                if name == "v":
                    v = child.text
                elif name == "is":
                    inline = child
            if t == "inlineStr":
                value = _text(inline) if inline is not None else ""
            else:
                value = _value(t, c.get("s"), v or "", self.strings, self.date_styles, self.epoch)
            _place(cells, col, value)
        return cells

    def close(self) -> None:
        self.zip.close()


def _value(t, style, text, strings, date_styles, epoch):
    """A cell's value from its type (t), style number (s) and <v> text ("" when it has none)."""
    if not t or t == "n":
        if not text:
            return ""
        try:
            value = float(text)
        except ValueError:
            return text  # text where a number belongs: kept as text, as calamine does
        if style and int(style) in date_styles:
            return _date(value, epoch)
        return value
    if t == "s":
        return strings[int(text)] if text else ""
    if t == "b":
        return text not in ("0", "false") if text else ""
    if t == "d":
        return _iso_date(text)
    if t == "e":
        return ""  # an error (#N/A, #DIV/0!): calamine's empty cell
    return text  # "str": a formula's text


def _date(serial: float, epoch: dt.datetime):
    """An Excel date serial number as a date (datetime when it has a time of day, time when it is
    one alone, as calamine gives them). In the 1900 system Excel counts a 29 February 1900 that
    never was: serials before it are one day early."""
    if not 0 <= serial < (_LAST_SERIAL if epoch is _EXCEL_EPOCH else _LAST_SERIAL - 1462):
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
        try:
            return dt.time.fromisoformat(text)
        except ValueError:
            return text
    return value.date() if value.time() == dt.time() else value
