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

import csv
import hashlib
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
from fupin.registry.exchange_io import check_utf8
from fupin.registry.validation import RowError

ID_COLUMN = "证件号码"
STATUS_COLUMN = "状态"
IN_OPERATION = ("在营", "存续")
MAX_CELL = 200
BATCH = 2000
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


def _read(path: Path, sheet: str, res: LoadResult) -> tuple[list[str], list[tuple[int, list[str]]]]:
    path = Path(path)
    if not path.is_file():
        raise ApplicationError(E.E_FILE_FORMAT, f"文件不存在或无法读取：{path.name} / no such file: {path.name}")
    with open(path, "rb") as fh:
        if fh.read(4) in (b"PK\x03\x04", b"\xd0\xcf\x11\xe0"):
            raise ApplicationError(E.E_FILE_FORMAT, f"{path.name} 是 Excel 文件；请另存为“CSV UTF-8” / "
                                                    f"{path.name} is an Excel file; save it as CSV UTF-8")
    encoding = check_utf8(path)
    with open(path, encoding=encoding, newline="") as fh:
        reader = csv.reader(fh)
        try:
            records = [(i + 1, cells) for i, cells in enumerate(reader)]
        except csv.Error as exc:
            raise ApplicationError(E.E_FILE_FORMAT, f"{path.name} 第 {reader.line_num} 行无法解析：{exc} / "
                                                    f"{path.name} line {reader.line_num}: {exc}") from exc
    if not records:
        return [], []
    headers = [clean(h) for h in records[0][1]]
    seen: set[str] = set()
    for i, h in enumerate(headers):
        if h in seen:
            res.warnings.append(f"列“{h}”重复，只读取第一列 / column {h} repeated; the first one is used")
            headers[i] = ""
        seen.add(h)
    return headers, [(n, cells) for n, cells in records[1:] if any(clean(c) for c in cells)]


def validate(kind: ListKind, headers: list[str], rows, res: LoadResult) -> list[tuple[int, str, dict, bool]]:
    """(row, id number, list columns, excludes) for every row; errors collected in `res`."""
    sheet = kind.label
    required = [ID_COLUMN] + ([STATUS_COLUMN] if kind == ListKind.BUSINESS else [])
    for h in required:
        if h not in headers:
            res.errors.append(RowError(sheet, None, h, E.E_MISSING_COLUMN,
                                       f"名单缺少必填列“{h}” / the list lacks the required column {h}"))
    if res.errors:
        return []
    if not rows:
        res.errors.append(RowError(sheet, None, "", E.E_REQUIRED,
                                   "名单没有数据行；导入空名单会清除该类名单 / the list has no rows"))
        return []
    index = [(i, h) for i, h in enumerate(headers) if h]
    out = []
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
        out.append((number, idn, values, excludes))
    return out


def load_list(*, actor, kind: str | ListKind, path: Path, source_name: str | None = None) -> LoadResult:
    """Validate the CSV at `path` and, when it has no error, make it the current list of `kind`
    (all or nothing, audited). The same file as the current version changes nothing.
    File-content problems are returned in `.errors`; ApplicationError is raised for an unreadable
    file, PermissionDenied for a user who may not load lists (city office and administrators)."""
    kind = parse_kind(kind) if not isinstance(kind, ListKind) else kind
    if not can_manage_lists(actor):
        raise PermissionDenied("无权导入比对名单 / not allowed to load cross-check lists")
    path = Path(path)
    res = LoadResult(kind=kind.value)
    headers, rows = _read(path, kind.label, res)
    parsed = validate(kind, headers, rows, res)
    if res.errors:
        return res
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    res.rows = len(parsed)
    res.excluding = len({idn for _n, idn, _v, ex in parsed if ex})
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
        for i in range(0, len(parsed), BATCH):
            ListEntry.objects.bulk_create([
                ListEntry(version=version, kind=kind, id_number=idn, row=number, data=values, excludes=ex)
                for number, idn, values, ex in parsed[i:i + BATCH]])
        audit.record(actor=actor, action="crosscheck.load", object_type="crosscheck.ListVersion",
                     object_id=version.pk, before={"version": previous.pk, "sha256": previous.sha256,
                                                   "rows": previous.rows} if previous else None,
                     after={"kind": kind.value, "source_name": version.source_name, "sha256": digest,
                            "rows": res.rows, "excluding": res.excluding})
        res.version = version
    return res
