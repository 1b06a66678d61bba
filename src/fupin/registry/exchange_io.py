"""Reading the exchange format's files (exchange-format.md, first paragraph): an .xlsx workbook
with sheets 户 and 人, or two UTF-8 CSV files (with or without BOM).

This module only turns files into rows of {header: raw cell value}; what a value means is
decided by fupin.registry.validation. Headers may come in any order; unknown headers become
warnings; a missing required header is an E_MISSING_COLUMN error for the whole file.

Memory: both are streamed row by row. CSV files by the csv module; an .xlsx sheet by
fupin.registry.xlsx_stream, which holds only the workbook's shared strings (packed) besides the
row at hand. Other workbook formats (.xls, .xlsb, .ods) go to python-calamine, which holds a whole
sheet (_LegacyWorkbook).
"""

from __future__ import annotations

import codecs
import csv
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from fupin.core.errors import ApplicationError, ErrorCode
from fupin.core.text import clean
from fupin.registry.validation import (
    HOUSEHOLD_COLUMNS,
    HOUSEHOLD_SHEET,
    MEMBER_COLUMNS,
    MEMBER_SHEET,
    RowError,
)
from fupin.registry.xlsx_stream import Workbook, XlsxError

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls
_CHUNK = 1 << 20

COLUMNS = {HOUSEHOLD_SHEET: HOUSEHOLD_COLUMNS, MEMBER_SHEET: MEMBER_COLUMNS}


def _file_error(message: str) -> ApplicationError:
    return ApplicationError(ErrorCode.E_FILE_FORMAT, message)


@dataclass
class SheetSource:
    """One table (sheet 户 or 人) of an import: its headers and a way to iterate its rows.

    rows() may be called more than once; each call streams the table again.
    """

    sheet: str
    path: Path
    headers: list[str]
    _rows: object  # callable returning an iterator of (excel row number, list of raw cells)
    total: int = 0  # number of data rows (an estimate for CSV: physical lines - 1)
    missing_required: list[str] = field(default_factory=list)  # required for every row
    missing_registered: list[str] = field(default_factory=list)  # required for 建档立卡户 rows only
    warnings: list[str] = field(default_factory=list)

    def header_errors(self) -> list[RowError]:
        return [
            RowError(self.sheet, None, h, ErrorCode.E_MISSING_COLUMN,
                     f"工作表“{self.sheet}”缺少必填列“{h}” / sheet {self.sheet} lacks the required column {h}")
            for h in self.missing_required
        ]

    def rows(self) -> Iterator[tuple[int, dict]]:
        """(row number as Excel shows it, {header: raw value}); blank rows are skipped."""
        index = [(i, h) for i, h in enumerate(self.headers) if h and h in self._known]
        # the usual file: every header known and each once, so a row is just zip(headers, cells)
        width = len(self.headers) if len(index) == len(self.headers) else -1
        headers = self.headers
        for number, cells in self._rows():  # type: ignore[operator]
            # most rows start with a non-blank 户编号 (letters or digits: clean() keeps them, so
            # non-blank); only the others need every cell looked at
            first = cells[0] if cells else None
            if not (type(first) is str and first.isalnum()) and not _non_blank(first) \
                    and not any(_non_blank(c) for c in cells):
                continue
            n = len(cells)
            if n == width:
                yield number, dict(zip(headers, cells))  # n == width: zip pairs them all
            else:
                yield number, {h: (cells[i] if i < n else None) for i, h in index}

    @property
    def _known(self) -> set[str]:
        return {h for h, _ in COLUMNS[self.sheet]}


def _non_blank(value) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(clean(value))
    return True


def _check_headers(src: SheetSource) -> None:
    known = {h: required for h, required in COLUMNS[src.sheet]}
    seen: set[str] = set()
    for i, h in enumerate(src.headers):
        if not h:
            continue
        if h in seen:
            src.warnings.append(f"工作表“{src.sheet}”的列“{h}”重复，只读取第一列 / column {h} repeated; first one used")
            src.headers[i] = ""
            continue
        seen.add(h)
        if h not in known:
            src.warnings.append(f"工作表“{src.sheet}”的列“{h}”不属于交换格式，已忽略 / unknown column {h} ignored")
    for h, required in COLUMNS[src.sheet]:
        if h in seen:
            continue
        if required is True:
            src.missing_required.append(h)
        elif required == "reg":
            src.missing_registered.append(h)


# --- xlsx ---------------------------------------------------------------------------------------

def _sheet_error(name: str, exc: Exception) -> ApplicationError:
    return _file_error(f"工作表“{name}”无法读取（文件已损坏？）：{exc} / sheet {name} cannot be read (damaged file?)")


def _sheet_from_workbook(path: Path, wb, name: str, sheet: str) -> SheetSource:
    def rows():
        try:
            yield from wb.rows(name)
        except XlsxError as exc:
            raise _sheet_error(name, exc) from exc

    header_row, headers = None, []
    for number, cells in rows():
        if any(_non_blank(c) for c in cells):
            header_row, headers = number, [clean(c) for c in cells]
            break

    def data_rows():
        width = len(headers)
        for number, cells in rows():
            if header_row is not None and number > header_row:
                if len(cells) < width:
                    cells += [""] * (width - len(cells))  # the file leaves trailing empty cells out
                yield number, cells

    try:
        last = wb.dimension_rows(name)
    except XlsxError as exc:
        raise _sheet_error(name, exc) from exc
    if last is None or last <= (header_row or 0):
        # no (usable) <dimension>: an estimate from the sheet's size, as for CSV (progress only)
        last = (header_row or 0) + wb.size_estimate(name)
    src = SheetSource(sheet=sheet, path=path, headers=headers, _rows=data_rows,
                      total=max(0, last - (header_row or 0)))
    _check_headers(src)
    return src


class _LegacyWorkbook:
    """A workbook in another format python-calamine reads (.xls of Excel 97–2003, .xlsb, .ods),
    with the interface of xlsx_stream.Workbook. calamine holds a whole sheet in memory: bounded
    for .xls (65,536 rows a sheet at most), not for the other two, which are rare here."""

    def __init__(self, path: Path) -> None:
        from python_calamine import CalamineWorkbook

        if _encrypted(path):
            raise XlsxError("工作簿设有打开密码，请取消密码后另存再导入 / the workbook is password-protected: remove "
                            "the password and save it again")
        try:
            # the format from the content, not the name (an upload is always saved as registry.xlsx)
            with open(path, "rb") as fh:
                self.wb = CalamineWorkbook.from_filelike(fh)
        except Exception as exc:  # calamine raises its own error types
            raise XlsxError(f"{type(exc).__name__}: {exc}") from exc
        self.sheet_names = list(self.wb.sheet_names)
        self._sheets: dict = {}

    def _sheet(self, name: str):
        """The sheet, read once (calamine reads a whole sheet at each call)."""
        if name not in self._sheets:
            try:
                self._sheets[name] = self.wb.get_sheet_by_name(name)
            except Exception as exc:
                raise XlsxError(f"{type(exc).__name__}: {exc}") from exc
        return self._sheets[name]

    def rows(self, name: str):
        # calamine's iter_rows starts at the sheet's first row (row 1), so index + 1 is Excel's number
        for i, cells in enumerate(self._sheet(name).iter_rows()):
            yield i + 1, cells

    def dimension_rows(self, name: str) -> int:
        return self._sheet(name).total_height

    def size_estimate(self, name: str) -> int:
        return self._sheet(name).total_height


def _encrypted(path: Path) -> bool:
    """An .xlsx with an opening password is an OLE container holding an "EncryptedPackage" stream
    (MS-OFFCRYPTO), whose name its directory keeps in UTF-16."""
    with open(path, "rb") as fh:
        if fh.read(4) != _OLE_MAGIC:
            return False
        return "EncryptedPackage".encode("utf-16-le") in fh.read(1 << 20)


def _open_workbook(path: Path) -> Workbook | _LegacyWorkbook:
    with open(path, "rb") as fh:
        legacy = fh.read(4) == _OLE_MAGIC
    try:
        if not legacy:
            try:
                names = {n.lower() for n in zipfile.ZipFile(path).namelist()}
            except (zipfile.BadZipFile, OSError, ValueError):
                names = set()
            legacy = "xl/workbook.bin" in names or ("content.xml" in names and "xl/workbook.xml" not in names)
        return _LegacyWorkbook(path) if legacy else Workbook(path)
    except XlsxError as exc:
        raise _file_error(f"无法作为 Excel 工作簿读取：{path.name}（{exc}） / "
                          f"not a readable Excel workbook: {path.name}") from exc


def read_workbook(path: Path) -> tuple[SheetSource, SheetSource]:
    """Sheets 户 and 人 of an .xlsx workbook (names trimmed; full-width spaces ignored)."""
    wb = _open_workbook(path)
    names = {clean(n): n for n in wb.sheet_names}
    missing = [s for s in (HOUSEHOLD_SHEET, MEMBER_SHEET) if s not in names]
    if missing:
        raise _file_error(
            f"工作簿缺少工作表“{'”“'.join(missing)}”（应有“户”和“人”两个工作表）/ the workbook lacks sheet(s) "
            f"{', '.join(missing)}; it must have sheets 户 and 人")
    return (_sheet_from_workbook(path, wb, names[HOUSEHOLD_SHEET], HOUSEHOLD_SHEET),
            _sheet_from_workbook(path, wb, names[MEMBER_SHEET], MEMBER_SHEET))


# --- CSV ----------------------------------------------------------------------------------------

def check_utf8(path: Path) -> str:
    """The codec to read `path` with ("utf-8-sig"), or ApplicationError E_FILE_FORMAT naming the
    likely encoding. The whole file is checked first so that a bad byte near the end cannot stop
    an import half-way (security.md 12)."""
    with open(path, "rb") as fh:
        head = fh.read(_CHUNK)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise _file_error(f"{path.name} 是 UTF-16 编码；请另存为“CSV UTF-8” / {path.name} is UTF-16; save it as "
                              "CSV UTF-8")
        if b"\x00" in head:
            raise _file_error(f"{path.name} 不是文本文件 / {path.name} is not a text file")
        decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
        chunk, offset = head, 0
        while chunk:
            try:
                decoder.decode(chunk, final=False)
            except UnicodeDecodeError as exc:
                guess = _guess_encoding(head)
                raise _file_error(
                    f"{path.name} 不是 UTF-8 编码（第 {offset + exc.start + 1} 字节）{guess}；请在 Excel 中另存为“CSV UTF-8” / "
                    f"{path.name} is not UTF-8 (byte {offset + exc.start + 1}); save it as CSV UTF-8") from exc
            offset += len(chunk)
            chunk = fh.read(_CHUNK)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise _file_error(f"{path.name} 末尾有不完整的 UTF-8 字符 / {path.name} ends mid-character") from exc
    return "utf-8-sig"


def _guess_encoding(sample: bytes) -> str:
    for name, label in (("gb18030", "，看起来是 GBK/GB18030 编码"), ("big5", "，看起来是 Big5 编码")):
        try:
            sample.decode(name)
            return label
        except UnicodeDecodeError:
            continue
    return ""


def _count_lines(path: Path) -> int:
    n = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            n += chunk.count(b"\n")
    return n


def csv_records(path: Path, encoding: str):
    """(record number from 1, cells) for each CSV record, read one at a time; a record the csv
    module cannot parse is E_FILE_FORMAT naming its line. Shared by every CSV the project reads."""
    with open(path, encoding=encoding, newline="") as fh:
        reader = csv.reader(fh)
        try:
            yield from enumerate(reader, 1)
        except csv.Error as exc:
            raise _file_error(f"{path.name} 第 {reader.line_num} 行无法解析：{exc} / {path.name} line "
                              f"{reader.line_num}: {exc}") from exc


def read_csv(path: Path, sheet: str) -> SheetSource:
    encoding = check_utf8(path)

    def records():
        return csv_records(path, encoding)

    headers: list[str] = []
    for _number, cells in records():
        headers = [clean(c) for c in cells]
        break

    def data_rows():
        it = records()
        next(it, None)  # the header record
        return it

    src = SheetSource(sheet=sheet, path=path, headers=headers, _rows=data_rows,
                      total=max(0, _count_lines(path) - 1))
    _check_headers(src)
    return src


def read_table(path: Path, sheet: str) -> SheetSource:
    """One table from a file given as --households/--members: a CSV, or a workbook (its sheet
    named like the table, else its first sheet)."""
    if not path.is_file():
        raise _file_error(f"文件不存在或无法读取：{path.name} / no such file: {path.name}")
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if magic in (_ZIP_MAGIC, _OLE_MAGIC):
        wb = _open_workbook(path)
        names = {clean(n): n for n in wb.sheet_names}
        if not names:
            raise _file_error(f"工作簿中没有工作表：{path.name} / the workbook has no sheet: {path.name}")
        name = names.get(sheet) or wb.sheet_names[0]
        return _sheet_from_workbook(path, wb, name, sheet)
    return read_csv(path, sheet)


def open_sources(*, xlsx: Path | None = None, households: Path | None = None,
                 members: Path | None = None) -> tuple[SheetSource, SheetSource]:
    """(sheet 户, sheet 人) from a workbook or from two table files."""
    if xlsx is not None:
        if households is not None or members is not None:
            raise ApplicationError(ErrorCode.E_INVALID, "请给出一个工作簿，或 --households 与 --members 两个文件 / "
                                                        "give one workbook or both --households and --members")
        path = Path(xlsx)
        if not path.is_file():
            raise _file_error(f"文件不存在或无法读取：{path.name} / no such file: {path.name}")
        with open(path, "rb") as fh:
            magic = fh.read(4)
        if magic not in (_ZIP_MAGIC, _OLE_MAGIC):
            raise _file_error(f"{path.name} 不是 Excel 工作簿；CSV 请用 --households 和 --members 分别给出 / "
                              f"{path.name} is not an Excel workbook; give CSV files as --households and --members")
        return read_workbook(path)
    if households is None or members is None:
        raise ApplicationError(ErrorCode.E_INVALID, "请给出一个工作簿，或 --households 与 --members 两个文件 / "
                                                    "give one workbook or both --households and --members")
    return read_table(Path(households), HOUSEHOLD_SHEET), read_table(Path(members), MEMBER_SHEET)
