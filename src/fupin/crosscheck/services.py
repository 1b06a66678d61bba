"""Loading a cross-check list (`fupin crosscheck load KIND FILE.csv`, the web upload).

The file is a UTF-8 CSV with a column 证件号码 and any columns of the list's own (单位, 车牌号,
房产地址, 企业名称, 状态 …), which are kept as they are. Rules, as for the registry import
(exchange-format.md, "Import semantics"): every row is checked first and each problem is
reported with its row and column (fupin.registry.validation.RowError); a file with any error
changes nothing. A valid file becomes the current list of its kind in one transaction: the
previous version is marked replaced and its entries are deleted (see models.py for why).

A BUSINESS list must have 状态; only 在营 or 存续 (also written 存续（在营、开业、在册）) means the
business is in operation, the one case where it excludes under domain.md 6.4.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from fupin.core import audit, idcard
from fupin.core.errors import ApplicationError, PermissionDenied
from fupin.core.errors import ErrorCode as E
from fupin.core.text import clean
from fupin.crosscheck.models import ListEntry, ListKind, ListVersion
from fupin.crosscheck.selectors import can_manage_lists
from fupin.registry.exchange_io import check_utf8, csv_records
from fupin.registry.validation import RowError

ID_COLUMN = "证件号码"
STATUS_COLUMN = "状态"
IN_OPERATION = ("在营", "存续")
MAX_CELL = 200
BATCH = 2000
READ_CHUNK = 1 << 20
# The registry's wording (fupin.registry.validation.parse_member); the number itself is never echoed.
ID_MESSAGES = {
    "E_ID_FORMAT": "证件号码应为 17 位数字加 1 位数字或 X / ID must be 17 digits + digit or X",
    "E_ID_CHECKSUM": "证件号码校验位错误，请核对 / ID check character is wrong",
    "E_ID_BIRTHDATE": "证件号码中的出生日期不存在或晚于今天 / birth date in ID is not a real past date",
}

# What an operator may type for a kind on the command line (the value, or a Chinese name).
KIND_ALIASES = {
    "PUBLIC_SERVANT": ListKind.PUBLIC_SERVANT, "财政供养人员": ListKind.PUBLIC_SERVANT,
    "公职人员": ListKind.PUBLIC_SERVANT,
    "VEHICLE": ListKind.VEHICLE, "车辆": ListKind.VEHICLE,
    "PROPERTY": ListKind.PROPERTY, "城镇商品房": ListKind.PROPERTY, "商品房": ListKind.PROPERTY,
    "BUSINESS": ListKind.BUSINESS, "工商注册": ListKind.BUSINESS, "经营主体": ListKind.BUSINESS,
}


def parse_kind(text: str) -> ListKind:
    kind = KIND_ALIASES.get(clean(text).upper()) or KIND_ALIASES.get(clean(text))
    if kind is None:
        raise ApplicationError(E.E_INVALID, f"未知的名单类型“{text}”，应为 PUBLIC_SERVANT、VEHICLE、PROPERTY 或 "
                                            f"BUSINESS / unknown list kind: {text}")
    return kind


def in_operation(status: str) -> bool:
    """在营 / 存续 (and their long forms such as 存续（在营、开业、在册）) count as in operation."""
    return clean(status).startswith(IN_OPERATION)


@dataclass
class LoadResult:
    kind: str
    rows: int = 0
    excluding: int = 0
    unchanged: bool = False
    version: ListVersion | None = None
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        label = ListKind(self.kind).label
        if self.errors:
            return f"校验未通过，未做任何修改 / invalid, nothing changed: {len(self.errors)} 个错误 errors"
        if self.unchanged:
            return f"{label}名单与现行版本相同，未重复导入 / same file as the current {self.kind} list; nothing changed"
        return (f"{label}名单已导入 / {self.kind} list loaded: {self.rows} 行 rows, {self.excluding} 人构成排除 "
                f"people excluded")


def _size(n: int) -> str:
    """52428800 → "50 MB", 1500 → "1.5 KB"."""
    value, unit = (n / 1048576, "MB") if n >= 1048576 else (n / 1024, "KB")
    return f"{value:.1f}".removesuffix(".0") + " " + unit


def too_large(size: int, limit: int, name: str = "") -> ApplicationError:
    """E_FILE_TOO_LARGE for a file of `size` bytes over `limit` (`name`: the file's, if known)."""
    mb, cap = _size(size), _size(limit)
    return ApplicationError(
        E.E_FILE_TOO_LARGE, f"{f'{name} ' if name else '上传的文件'}大小 {mb}，超过名单上传上限 {cap}，未导入任何内容；"
                            f"上限由 FUPIN_LIST_UPLOAD_MAX_BYTES 设定，更大的名单请用命令 fupin crosscheck load 导入 / "
                            f"{name or 'the upload'} is {mb}, over the {cap} limit for list uploads; nothing "
                            f"was loaded (the limit is FUPIN_LIST_UPLOAD_MAX_BYTES; load larger lists with "
                            f"fupin crosscheck load)",
        size=size, limit=limit)


def check_size(size: int, limit: int, name: str = "") -> None:
    """Raise too_large when `size` is over `limit`: checked before anything of the file is
    written or read (the web upload: settings.LIST_UPLOAD_MAX_BYTES)."""
    if size > limit:
        raise too_large(size, limit, name)


def sha256_of(path: Path) -> str:
    """The file's SHA-256, read in 1 MB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(READ_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _open(path: Path) -> str:
    """Refuse a missing, Excel or non-UTF-8 file whole; the codec to read it with."""
    if not path.is_file():
        raise ApplicationError(E.E_FILE_FORMAT, f"文件不存在或无法读取：{path.name} / no such file: {path.name}")
    with open(path, "rb") as fh:
        if fh.read(4) in (b"PK\x03\x04", b"\xd0\xcf\x11\xe0"):
            raise ApplicationError(E.E_FILE_FORMAT, f"{path.name} 是 Excel 文件；请另存为“CSV UTF-8” / "
                                                    f"{path.name} is an Excel file; save it as CSV UTF-8")
    return check_utf8(path)


def _headers(path: Path, encoding: str, res: LoadResult) -> list[str]:
    first = next(csv_records(path, encoding), None)
    if first is None:
        return []
    headers = [clean(h) for h in first[1]]
    seen: set[str] = set()
    for i, h in enumerate(headers):
        if h in seen:
            res.warnings.append(f"列“{h}”重复，只读取第一列 / column {h} repeated; the first one is used")
            headers[i] = ""
        seen.add(h)
    return headers


def _rows(path: Path, encoding: str) -> Iterator[tuple[int, list[str]]]:
    """The data records (after the header), leaving out those with no non-blank cell."""
    records = csv_records(path, encoding)
    next(records, None)
    return ((n, cells) for n, cells in records if any(clean(c) for c in cells))


def _check_columns(kind: ListKind, headers: list[str], res: LoadResult) -> None:
    for h in [ID_COLUMN] + ([STATUS_COLUMN] if kind == ListKind.BUSINESS else []):
        if h not in headers:
            res.errors.append(RowError(kind.label, None, h, E.E_MISSING_COLUMN,
                                       f"名单缺少必填列“{h}” / the list lacks the required column {h}"))


def validate(kind: ListKind, headers: list[str], rows: Iterable[tuple[int, list[str]]],
             res: LoadResult) -> Iterator[tuple[int, str, dict, bool]]:
    """(row, id number, list columns, excludes) for every row, one at a time; errors collected in
    `res` (the caller checks the columns first, with _check_columns)."""
    sheet = kind.label
    index = [(i, h) for i, h in enumerate(headers) if h]
    for number, cells in rows:
        values = {h: clean(cells[i]) if i < len(cells) else "" for i, h in index}
        idn = idcard.normalize(values.pop(ID_COLUMN))
        if not idn:
            res.errors.append(RowError(sheet, number, ID_COLUMN, E.E_REQUIRED,
                                       "“证件号码”不能为空 / ID number is required"))
        else:
            code = idcard.validate(idn)
            if code:
                res.errors.append(RowError(sheet, number, ID_COLUMN, code, ID_MESSAGES[code]))
        for h, val in values.items():
            if len(val) > MAX_CELL:
                res.errors.append(RowError(sheet, number, h, E.E_INVALID,
                                           f"“{h}”过长（最多 {MAX_CELL} 字）/ {h} is too long (max {MAX_CELL})"))
        excludes = True
        if kind == ListKind.BUSINESS:
            status = values.get(STATUS_COLUMN, "")
            if not status:
                res.errors.append(RowError(sheet, number, STATUS_COLUMN, E.E_REQUIRED,
                                           "“状态”不能为空（在营、存续、注销、吊销……）/ 状态 is required"))
            excludes = in_operation(status)
        yield number, idn, values, excludes


def _batches(items: Iterable, size: int) -> Iterator[list]:
    it = iter(items)
    while batch := list(itertools.islice(it, size)):
        yield batch


def load_list(*, actor, kind: str | ListKind, path: Path, source_name: str | None = None,
              sha256: str | None = None, max_bytes: int | None = None) -> LoadResult:
    """Validate the CSV at `path` and, when it has no error, make it the current list of `kind`
    (all or nothing, audited). The same file as the current version changes nothing.
    File-content problems are returned in `.errors`; ApplicationError is raised for an unreadable
    file or one over `max_bytes` (checked before it is read), PermissionDenied for a user who may
    not load lists (city office and administrators). `sha256`: the file's digest when the caller
    computed it while writing the file (the web upload), else it is computed here.

    The file is read twice, one record at a time, never held whole: once to validate it and
    count, then, when valid, to insert its entries in batches."""
    kind = parse_kind(kind) if not isinstance(kind, ListKind) else kind
    if not can_manage_lists(actor):
        raise PermissionDenied("无权导入比对名单 / not allowed to load cross-check lists")
    path = Path(path)
    if max_bytes is not None and path.is_file():
        check_size(path.stat().st_size, max_bytes, path.name)
    res = LoadResult(kind=kind.value)
    encoding = _open(path)
    headers = _headers(path, encoding, res)
    _check_columns(kind, headers, res)
    if res.errors:
        return res
    excluding: set[str] = set()
    for _n, idn, _v, ex in validate(kind, headers, _rows(path, encoding), res):
        res.rows += 1
        if ex:
            excluding.add(idn)
    if not res.rows and not res.errors:
        res.errors.append(RowError(kind.label, None, "", E.E_REQUIRED,
                                   "名单没有数据行；导入空名单会清除该类名单 / the list has no rows"))
    if res.errors:
        res.rows = 0
        return res
    res.excluding = len(excluding)
    del excluding
    digest = sha256 or sha256_of(path)
    with transaction.atomic():
        previous = ListVersion.objects.select_for_update().filter(kind=kind, current=True).first()
        if previous is not None and previous.sha256 == digest:
            res.unchanged, res.version = True, previous
            return res
        now = timezone.now()
        if previous is not None:
            ListEntry.objects.filter(version=previous).delete()
            previous.current, previous.replaced_at = False, now
            previous.save(update_fields=["current", "replaced_at"])
        version = ListVersion.objects.create(
            kind=kind, source_name=(source_name or path.name)[:200], sha256=digest,
            columns=[h for h in headers if h], rows=res.rows, excluding=res.excluding, loaded_by=actor)
        again = LoadResult(kind=kind.value)
        written = 0
        for batch in _batches(validate(kind, headers, _rows(path, encoding), again), BATCH):
            ListEntry.objects.bulk_create([
                ListEntry(version=version, kind=kind, id_number=idn, row=number, data=values, excludes=ex)
                for number, idn, values, ex in batch])
            written += len(batch)
        if again.errors or written != res.rows:
            raise ApplicationError(E.E_CONFLICT, f"{path.name} 在导入过程中被修改，未导入任何内容 / "
                                                 f"{path.name} changed while it was being loaded; nothing was loaded")
        audit.record(actor=actor, action="crosscheck.load", object_type="crosscheck.ListVersion",
                     object_id=version.pk, before={"version": previous.pk, "sha256": previous.sha256,
                                                   "rows": previous.rows} if previous else None,
                     after={"kind": kind.value, "source_name": version.source_name, "sha256": digest,
                            "rows": res.rows, "excluding": res.excluding})
        res.version = version
    return res
