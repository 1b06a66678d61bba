"""Registry export (exchange-format.md, "Export"; security.md 2, 3, 12, 14).

Writes the exchange-format workbook (sheets 户 and 人, the headers of
fupin.registry.validation) for the actor's areas, optionally narrowed to one area, streaming
rows with xlsxwriter in constant-memory mode. ID numbers, phones and bank accounts are masked
unless a full export is asked for, which needs the unmask permission and a reason. Every
export writes one audit row with its row counts and the file's SHA-256.

Text cells are always written as strings: a cell that starts with = + - @ is never written as
a formula (security.md 12, formula injection).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import xlsxwriter

from fupin.accounts.access import can_unmask, scope_q
from fupin.core import audit
from fupin.core.errors import ApplicationError, ErrorCode, NotFound, PermissionDenied
from fupin.core.idcard import mask, mask_account, mask_phone
from fupin.registry import exchange_rows as rows
from fupin.registry import validation as v
from fupin.registry.models import Household, IncomeRecord, Member

CHUNK = 2000
PRESENT = "在户"


@dataclass
class ExportResult:
    rows_households: int
    rows_members: int
    sha256: str


def _num(value):
    """Decimals as numbers Excel can add up; whole values as integers (so 6000.00 reads 6000)."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _household_cells(h: Household, head_id: str, inc: IncomeRecord | None, full: bool) -> dict:
    cells = {k: _num(x) for k, x in rows.household_row(h, head_id, inc).items()}
    if not full:
        cells["户主证件号码"] = mask(head_id)
        cells["联系电话"] = mask_phone(h.phone)
        cells["银行账号"] = mask_account(h.bank_account)
    return cells


def _member_cells(m: dict, number: str, full: bool) -> dict:
    cells = rows.member_row(m, number)
    if not full:
        cells["证件号码"] = mask(m["id_number"])
    return {k: "" if x is None else x for k, x in cells.items()}


def _write_row(ws, row: int, headers: list[str], cells: dict) -> None:
    for col, header in enumerate(headers):
        value = cells.get(header, "")
        if value == "" or value is None:
            continue
        if isinstance(value, bool):
            ws.write_string(row, col, rows.yes_no(value))
        elif isinstance(value, int | float):
            ws.write_number(row, col, value)
        else:
            # Always a string cell, never a formula, even for "=cmd|..." (security.md 12).
            ws.write_string(row, col, str(value))


def _households_query(actor, area: str | None):
    qs = Household.objects.filter(scope_q(actor, "village_id"))
    if area:
        from fupin.areas.models import Area

        a = Area.objects.filter(code=area).first()
        if a is None:
            raise NotFound(f"没有行政区划 {area} / no such area: {area}")
        lo, hi = a.range
        qs = qs.filter(village_id__gte=lo, village_id__lte=hi)
    return qs


def check_export_allowed(*, actor, full_ids: bool, reason: str) -> None:
    """A full export needs the unmask permission and a reason (domain.md 4, security.md 3). The web
    page asks before queueing the job; the export itself asks again."""
    if full_ids:
        if not can_unmask(actor):
            raise PermissionDenied("无权导出完整证件号码 / not allowed to export full ID numbers")
        if not (reason or "").strip():
            raise ApplicationError(ErrorCode.E_REASON_REQUIRED,
                                   "导出完整证件号码须填写理由（--reason）/ a reason is required for a full export")


def export_registry(*, actor, out, area: str | None = None, year: int | None = None, full_ids: bool = False,
                    reason: str = "", progress=None) -> ExportResult:
    """Write the registry of `actor`'s areas (within `area` when given) to the workbook `out`.

    `year` picks the income record written for each household (default: its latest one). Masked
    unless `full_ids`, which needs can_unmask(actor) and a non-empty `reason` (domain.md 4,
    security.md 3); both kinds are audited with row counts and the file's SHA-256 (security.md 14).
    `progress(done, total, stage)`, when given, is called every few thousand households.
    """
    reason = (reason or "").strip()
    check_export_allowed(actor=actor, full_ids=full_ids, reason=reason)
    out = Path(out)
    qs = _households_query(actor, area).order_by("village_id", "number")
    wb = xlsxwriter.Workbook(str(out), {"constant_memory": True, "strings_to_formulas": False,
                                        "strings_to_numbers": False, "strings_to_urls": False})
    bold = wb.add_format({"bold": True})
    ws_h = wb.add_worksheet(v.HOUSEHOLD_SHEET)
    ws_m = wb.add_worksheet(v.MEMBER_SHEET)
    ws_h.write_row(0, 0, v.HOUSEHOLD_HEADERS, bold)
    ws_m.write_row(0, 0, v.MEMBER_HEADERS, bold)
    n_h = 0
    buf: list[Household] = []
    total = qs.count() if progress else 0

    def flush():
        nonlocal n_h
        pks = [h.pk for h in buf]
        heads: dict[int, tuple[str, str]] = {}
        for hid, idn, state in Member.objects.filter(household_id__in=pks, relation="户主").order_by("id").values_list(
                "household_id", "id_number", "state"):
            if hid not in heads or (state == PRESENT and heads[hid][1] != PRESENT):
                heads[hid] = (idn, state)
        incomes: dict[int, IncomeRecord] = {}
        inc_qs = IncomeRecord.objects.filter(household_id__in=pks)
        if year:
            inc_qs = inc_qs.filter(year=year)
        for rec in inc_qs.order_by("household_id", "year"):
            incomes[rec.household_id] = rec  # ascending years: the last one is the latest
        for h in buf:
            n_h += 1
            _write_row(ws_h, n_h, v.HOUSEHOLD_HEADERS,
                       _household_cells(h, heads.get(h.pk, ("", ""))[0], incomes.get(h.pk), full_ids))
        buf.clear()
        if progress:
            progress(n_h, total, "导出 / exporting")

    for h in qs.iterator(chunk_size=CHUNK):
        buf.append(h)
        if len(buf) >= CHUNK:
            flush()
    flush()

    n_m = 0
    fields = ["name", "id_number", "relation", "sex", "birth_date", "ethnicity", "education", "school_status",
              "health", "labour", "migrant_work", "migrant_months", "state", "state_date"] + [
        name for _, name in v.MEMBER_BOOLS]
    members = (Member.objects.filter(household__in=qs.values("pk"))
               .order_by("household__village_id", "household__number", "id")
               .values("household__number", *fields))
    for m in members.iterator(chunk_size=CHUNK):
        n_m += 1
        _write_row(ws_m, n_m, v.MEMBER_HEADERS, _member_cells(m, m["household__number"], full_ids))
    wb.close()

    digest = hashlib.sha256()
    with open(out, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    sha = digest.hexdigest()
    audit.record(actor=actor, action="registry.export_full" if full_ids else "registry.export",
                 object_type="registry", object_id=area or "", area_code=(area or "")[:12],
                 reason=reason[:500],
                 after={"file": out.name, "rows_households": n_h, "rows_members": n_m, "rows": n_h + n_m,
                        "sha256": sha, "year": year, "area": area or "", "full_ids": full_ids})
    return ExportResult(rows_households=n_h, rows_members=n_m, sha256=sha)
