"""Yearly village attributes: `fupin areas attributes FILE.csv --year Y` (cli.md) and the web form.

Columns: 行政区划代码, 农业户籍人口, and one column per village-exit checklist item
(domain.md 6.2): 是/否, or a number of yuan for 村集体经济收入. Validation and all-or-nothing
rules are the registry import's (exchange-format.md): every error reported with row and
column, and a file with any error changes nothing.
"""

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from fupin.accounts.access import in_scope
from fupin.areas.models import Area, VillageAttributes
from fupin.core import audit
from fupin.core.errors import ApplicationError
from fupin.core.errors import ErrorCode as E
from fupin.core.text import clean, parse_bool, parse_number
from fupin.registry.validation import RowError

SHEET = "村"


def pack_checklist() -> list[tuple[str, str]]:
    """The village-exit checklist columns (name, bool|yuan) of the policy pack in use (domain.md 6.2)."""
    from fupin.policy.packs import get_pack

    return get_pack().checklist_columns


@dataclass
class AttributesResult:
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def parse_row(raw: dict, row: int, checklist) -> tuple[dict, list[RowError]]:
    errors: list[RowError] = []
    v = {k: clean(x) for k, x in raw.items()}
    out: dict = {"code": v.get("行政区划代码", ""), "items": {}}
    if not out["code"]:
        errors.append(RowError(SHEET, row, "行政区划代码", E.E_REQUIRED, "“行政区划代码”不能为空 / code is required"))
    pop = v.get("农业户籍人口", "")
    out["rural_population"] = None
    if pop:
        n = parse_number(pop)
        if n is None or Decimal(n) != Decimal(n).to_integral_value() or Decimal(n) < 0:
            errors.append(RowError(SHEET, row, "农业户籍人口", E.E_NUMBER,
                                   f"“农业户籍人口”应为非负整数，而不是“{pop}” / must be a whole number ≥ 0"))
        else:
            out["rural_population"] = int(Decimal(n))
    for col, kind in checklist:
        s = v.get(col, "")
        if not s:
            continue
        if kind == "bool":
            b = parse_bool(s)
            if b is None:
                errors.append(RowError(SHEET, row, col, E.E_ENUM, f"“{col}”应为 是 或 否 / {col} must be 是 or 否"))
            else:
                out["items"][col] = b
        else:
            n = parse_number(s)
            if n is None or Decimal(n) < 0:
                errors.append(RowError(SHEET, row, col, E.E_NUMBER, f"“{col}”应为非负数 / {col} must be ≥ 0"))
            else:
                out["items"][col] = str(Decimal(n).quantize(Decimal("0.01")))
    return out, errors


def read_csv(path: Path) -> tuple[list[str], list[dict]]:
    data = Path(path).read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ApplicationError(E.E_FILE_FORMAT, "文件不是 UTF-8 编码的 CSV / the file is not UTF-8 CSV") from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    headers = [clean(h) for h in (reader.fieldnames or [])]
    rows = [{clean(k): val for k, val in r.items() if k is not None} for r in reader]
    return headers, rows


@transaction.atomic
def village_attributes_load(*, actor, path: Path, year: int, checklist=None, dry_run: bool = False) -> AttributesResult:
    checklist = checklist or pack_checklist()
    res = AttributesResult()
    headers, rows = read_csv(path)
    required = ["行政区划代码", "农业户籍人口"]
    for h in required:
        if h not in headers:
            res.errors.append(RowError(SHEET, None, h, E.E_MISSING_COLUMN, f"缺少必填列“{h}” / missing column {h}"))
    known = {"行政区划代码", "农业户籍人口", *(c for c, _ in checklist)}
    extra = [h for h in headers if h and h not in known]
    if extra:
        res.warnings.append(f"忽略未知列 / ignored columns: {', '.join(extra)}")
    if res.errors:
        return res
    parsed = []
    seen: set[str] = set()
    for i, raw in enumerate(rows, start=2):
        p, errs = parse_row(raw, i, checklist)
        res.errors += errs
        if p["code"]:
            if p["code"] in seen:
                res.errors.append(RowError(SHEET, i, "行政区划代码", E.E_DUP_HOUSEHOLD_NO,
                                           f"“{p['code']}”在文件中重复 / code repeated in the file"))
            seen.add(p["code"])
        parsed.append((i, p))
    villages = set(Area.objects.filter(code__in=seen, level=5).values_list("code", flat=True))
    for i, p in parsed:
        if p["code"] and (p["code"] not in villages or not in_scope(actor, p["code"])):
            res.errors.append(RowError(SHEET, i, "行政区划代码", E.E_UNKNOWN_AREA,
                                       f"“{p['code']}”不是您管辖范围内的村 / not a village in your areas"))
    if res.errors or dry_run:
        return res
    attributes_apply(actor, year, [p for _i, p in parsed], res)
    return res


def attributes_apply(actor, year: int, parsed: list[dict], res: AttributesResult) -> None:
    """Upsert parsed rows for `year`, one audit entry per created or changed village."""
    codes = [p["code"] for p in parsed]
    existing = {a.village_id: a for a in VillageAttributes.objects.filter(village_id__in=codes, year=year)}
    entries = []
    for p in parsed:
        cur = existing.get(p["code"])
        after = {"rural_population": p["rural_population"], "items": p["items"]}
        if cur is None:
            VillageAttributes.objects.create(village_id=p["code"], year=year, **after)
            res.created += 1
            entries.append(audit.entry(actor=actor, action="village_attributes.set", object_type="village_attributes",
                                       object_id=f"{p['code']}/{year}", area_code=p["code"], after=after))
            continue
        before = {"rural_population": cur.rural_population, "items": cur.items}
        if before == after:
            res.unchanged += 1
            continue
        cur.rural_population, cur.items = p["rural_population"], p["items"]
        cur.save()
        res.changed += 1
        b, a = audit.diff(before, after)
        entries.append(audit.entry(actor=actor, action="village_attributes.set", object_type="village_attributes",
                                   object_id=f"{p['code']}/{year}", area_code=p["code"], before=b, after=a))
    audit.AuditEntry.objects.bulk_create(entries)


@transaction.atomic
def village_attributes_set(*, actor, village_code: str, year: int, data: dict, checklist=None) -> AttributesResult:
    """One village's attributes for one year from the web form; `data` is keyed by the file's column
    names. Same validation as the file (parse_row). Writers of the registry within their areas only."""
    from fupin.accounts.access import can_write_registry
    from fupin.core.errors import NotFound, PermissionDenied

    if not in_scope(actor, village_code) or not Area.objects.filter(code=village_code, level=5).exists():
        raise NotFound()
    if not can_write_registry(actor):
        raise PermissionDenied()
    res = AttributesResult()
    if not 2013 <= int(year) <= 2035:
        res.errors.append(RowError(SHEET, None, "年度", E.E_NUMBER, "年度应在 2013–2035 之间 / year must be 2013–2035"))
        return res
    p, res.errors = parse_row({**data, "行政区划代码": village_code}, None, checklist or pack_checklist())
    if not res.errors:
        attributes_apply(actor, int(year), [p], res)
    return res
