"""Registry import (exchange-format.md, "Import semantics"; performance.md, import throughput).

Two passes:

1. **Validate** (no transaction, nothing written). Sheet 户 then sheet 人 are streamed row by
   row through fupin.registry.validation (parse_household / parse_member: the one place the
   row rules live). The cross-row rules need the whole file, so a compact record is kept per
   household (row, head name/ID, the head rows, member counts) and per ID number (the row it
   first appeared on); database look-ups (existing 户编号, people active elsewhere, stored members
   of updated households) run in batches of a few thousand. The parsed rows themselves are
   spilled to an anonymous temporary file, so the ORM objects of the whole file are never held.
   Memory therefore grows with the file only by those compact records: measured at about 0.5 KB
   per member row (households included), i.e. roughly 200 MB on top of the process's ~125 MB
   for the chenzhou preset's 405,000 members; plus, for .xlsx input, the sheet held by calamine
   (see exchange_io). This is not yet "independent of file size" (performance.md): the cross-row
   checks need every ID number and household of the file at hand.
2. **Apply** (only when the file has no error and this is not a dry run): the spilled rows are
   read back and written in batches (new rows by COPY on PostgreSQL / executemany elsewhere,
   see _Rows; changed rows by bulk_update), all inside ONE transaction,
   so that a failed or killed import leaves the registry exactly as it was. Every change gets an
   audit row (attributed to the actor and the job) and each created or changed household one
   readable HouseholdEvent.

A dry run computes the same counts (created / changed / unchanged) by comparing with the stored
rows, but writes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import pickle
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connections, models, router, transaction
from django.utils import timezone

from fupin.accounts.access import can_write_registry, in_scope
from fupin.core import audit
from fupin.core.errors import ErrorCode as E
from fupin.core.errors import PermissionDenied
from fupin.core.idcard import mask
from fupin.core.pinyin import initials
from fupin.registry import validation as v
from fupin.registry.exchange_io import SheetSource, open_sources
from fupin.registry.models import Household, HouseholdEvent, IncomeRecord, Member
from fupin.registry.selectors import active_holders
from fupin.registry.services import HOUSEHOLD_FIELDS, INCOME_FIELDS, MEMBER_FIELDS, event, snapshot

BATCH = 2000
MEMBER_ID_AT = 3 + MEMBER_FIELDS.index("id_number")  # position in the stored-member tuples below
PRESENT = "在户"
HEAD = "户主"

ERROR_REPORT_HEADERS = ["工作表", "行号", "列", "错误代码", "说明"]  # sheet, row, column, code, message

Progress = Callable[[int, int, str], None]


@dataclass
class ImportResult:
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    members_created: int = 0
    members_changed: int = 0
    errors: list[v.RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.errors:
            return f"校验未通过，未做任何修改 / invalid, nothing changed: {len(self.errors)} 个错误 errors"
        head = "试运行（未写入）/ dry run (nothing written)" if self.dry_run else "导入完成 / imported"
        return (f"{head}: 户 {self.created} 新增 created, {self.changed} 修改 changed, {self.unchanged} 未变 unchanged; "
                f"人 {self.members_created} 新增 created, {self.members_changed} 修改 changed; "
                f"{len(self.warnings)} 个提示 warnings")

    def as_dict(self, max_errors: int = 1000) -> dict:
        return {"created": self.created, "changed": self.changed, "unchanged": self.unchanged,
                "members_created": self.members_created, "members_changed": self.members_changed,
                "dry_run": self.dry_run, "ok": self.ok, "error_count": len(self.errors),
                "errors": [e.as_dict() for e in self.errors[:max_errors]], "warnings": self.warnings[:max_errors]}


def write_error_report(errors, path) -> Path:
    """One row per error with the columns 工作表, 行号, 列, 错误代码, 说明 (sheet, row, column, code,
    message); .xlsx when the name says so, else UTF-8 CSV with BOM (so that Excel opens it)."""
    path = Path(path)
    rows = [[e.sheet, e.row if e.row is not None else "", e.column, e.code, e.message] for e in errors]
    if path.suffix.lower() == ".xlsx":
        import xlsxwriter

        wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                             "strings_to_numbers": False, "strings_to_urls": False})
        ws = wb.add_worksheet("错误")
        ws.write_row(0, 0, ERROR_REPORT_HEADERS)
        for i, row in enumerate(rows, start=1):
            ws.write_row(i, 0, row)
        wb.close()
    else:
        with open(path, "w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(ERROR_REPORT_HEADERS)
            w.writerows(rows)
    return path


class _HH:
    """What the cross-row checks need to know about one household of the file (kept compact)."""

    __slots__ = ("head_id", "head_name", "heads", "in_sheet", "member_rows", "n_active", "n_total", "pk", "row",
                 "stored_village")

    def __init__(self, row, head_name="", head_id="", in_sheet=True):
        self.row, self.head_name, self.head_id, self.in_sheet = row, head_name, head_id, in_sheet
        self.pk: int | None = None  # set when the 户编号 is already in the system
        self.stored_village = ""
        self.heads: list[tuple] = []  # (row, name, id_number, state) of rows with 与户主关系 = 户主
        self.n_total = 0
        self.n_active = 0
        self.member_rows: list[int] | None = None if in_sheet else []  # for E_UNKNOWN_HOUSEHOLD


class _Spill:
    """Parsed rows written to an anonymous temporary file in batches and read back once."""

    def __init__(self):
        # Closed by close(); an anonymous file vanishes even when the process is killed.
        self.fh = tempfile.TemporaryFile()  # noqa: SIM115
        self.buf: list = []

    def add(self, item) -> None:
        self.buf.append(item)
        if len(self.buf) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self.buf:
            pickle.dump(self.buf, self.fh, protocol=pickle.HIGHEST_PROTOCOL)
            self.buf = []

    def batches(self):
        self.flush()
        self.fh.seek(0)
        while True:
            try:
                yield pickle.load(self.fh)
            except EOFError:
                return

    def close(self) -> None:
        self.fh.close()


class _Rows:
    """Fast INSERT of many rows of one model, bypassing the ORM's per-value SQL compiler, which
    dominates a bulk_create of hundreds of thousands of rows.

    Every concrete field is written, taking the field's default when a row does not give it, so a
    column added to a model later with a default keeps working. PostgreSQL gets COPY in its text
    format, each column formatted by a function chosen once from the field's type (JSON as
    json.dumps, dates ISO with time zone, booleans t/f); other databases get executemany with
    values prepared as the ORM prepares them (Field.get_db_prep_save)."""

    _CONVERT = (models.JSONField, models.DateField, models.DecimalField)  # DateTimeField is a DateField

    def __init__(self, model):
        self.model = model
        self.conn = connections[router.db_for_write(model)]
        self.pg = self.conn.vendor == "postgresql"
        self.fields = [f for f in model._meta.concrete_fields if not isinstance(f, models.AutoField)]
        self.columns = [f.column for f in self.fields]
        self.plan = []
        for f in self.fields:
            if self.pg:
                conv = _copy_format(f)
            elif isinstance(f, self._CONVERT):
                conv = (lambda v, f=f: f.get_db_prep_save(v, self.conn))
            else:
                conv = None
            default = f.get_default() if f.has_default() or f.null else None
            auto_now = bool(getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False))
            self.plan.append((f.attname, conv, default, auto_now))

    def insert(self, dicts: list[dict], now) -> None:
        if not dicts:
            return
        stamp = {}  # attname -> (value, converted): a batch shares one timestamp, converted once
        rows = []
        null = "\\N" if self.pg else None
        for d in dicts:
            row = []
            for attname, conv, default, auto_now in self.plan:
                value = d.get(attname, now if auto_now else default)
                if value is None:
                    row.append(null)
                elif conv is None:
                    row.append(value)
                elif isinstance(value, dt.datetime):
                    seen = stamp.get(attname)
                    if seen is None or seen[0] is not value:
                        seen = stamp[attname] = (value, conv(value))
                    row.append(seen[1])
                else:
                    row.append(conv(value))
            rows.append(row)
        table = self.conn.ops.quote_name(self.model._meta.db_table)
        cols = ", ".join(self.conn.ops.quote_name(c) for c in self.columns)
        with self.conn.cursor() as cursor:
            if self.pg:
                data = "".join(["\t".join(row) + "\n" for row in rows])
                with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    copy.write(data.encode())
            else:
                marks = ", ".join(["%s"] * len(self.columns))
                cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)


# jsonb keeps the value, not the text: compact, unescaped UTF-8 is as good and much faster to make.
_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_format(f):
    """How one column's non-NULL values are written in PostgreSQL's COPY text format."""
    if isinstance(f, models.JSONField):
        return lambda v: _json(v).translate(_COPY_ESCAPES)
    if isinstance(f, models.BooleanField):
        return lambda v: "t" if v else "f"
    if isinstance(f, models.DateField):  # and DateTimeField: isoformat keeps the time zone
        return lambda v: v.isoformat()
    return lambda v: str(v).translate(_COPY_ESCAPES)  # text, numbers, foreign keys


_PLAIN = (str, int, bool, type(None))


def _jsonable(values: dict) -> dict:
    """audit.jsonable for a flat dict, without a call for the values that are already plain."""
    return {k: x if isinstance(x, _PLAIN) else audit.jsonable(x) for k, x in values.items()}


class _Importer:
    def __init__(self, actor, hh_src: SheetSource, m_src: SheetSource, dry_run: bool, job, progress: Progress | None):
        self.actor, self.hh_src, self.m_src, self.dry_run, self.job = actor, hh_src, m_src, dry_run, job
        self._progress = progress
        self.result = ImportResult(dry_run=dry_run)
        self.errors = self.result.errors
        self.households: dict[str, _HH] = {}
        self.file_ids: dict[str, int] = {}  # ID number -> first row in sheet 人
        self.area_cache: dict[str, bool] = {}
        self.counties_loaded: set[str] = set()
        self.hh_spill, self.m_spill = _Spill(), _Spill()
        self.changes: dict[str, list[str]] = {}  # 户编号 -> what changed (for the event)
        self.created_numbers: set[str] = set()
        self.number_pk: dict[str, int] = {}
        self.new_village: dict[str, str] = {}  # 户编号 -> village of households created by this import
        self.done = 0
        self.total = hh_src.total + m_src.total

    # -- helpers ---------------------------------------------------------------------------------
    def progress(self, stage: str, step: int = 0) -> None:
        self.done += step
        if self._progress:
            self._progress(min(self.done, self.total), self.total, stage)
        if self.job is not None:
            from fupin.jobs.services import job_progress

            job_progress(self.job, done=min(self.done, self.total), total=self.total, stage=stage)

    def err(self, sheet, row, column, code, message) -> None:
        self.errors.append(v.RowError(sheet, row, column, str(code), message))

    def area_ok(self, code: str) -> bool:
        """A level-5 area the actor may write in: outside their areas it is "unknown" (domain.md 1)."""
        known = self.area_cache.get(code)
        if known is None:
            from fupin.areas.models import Area

            # One query per county, not per village: a city's file names thousands of villages.
            county = code[:6]
            if county not in self.counties_loaded:
                self.counties_loaded.add(county)
                lo, hi = county + "000000", county + "999999"
                for c in Area.objects.filter(level=5, code__gte=lo, code__lte=hi).values_list("code", flat=True):
                    self.area_cache[c] = in_scope(self.actor, c)
            known = self.area_cache.setdefault(code, False)
        return known

    # -- pass 1: validate ------------------------------------------------------------------------
    def validate(self) -> None:
        header_errors = self.hh_src.header_errors() + self.m_src.header_errors()
        self.result.warnings += self.hh_src.warnings + self.m_src.warnings
        if header_errors:
            # A missing required column makes the whole file unusable; row errors would only be noise.
            self.errors += header_errors
            return
        self._validate_households()
        self._validate_members()
        self._resolve_unsheeted_households()
        self._check_compositions()
        order = {v.HOUSEHOLD_SHEET: 0, v.MEMBER_SHEET: 1}
        self.errors.sort(key=lambda e: (order.get(e.sheet, 2), e.row or 0))

    def _validate_households(self) -> None:
        missing_reg = set(self.hh_src.missing_registered)
        missing_reported: set[str] = set()
        pending: list[str] = []
        for n, (row, raw) in enumerate(self.hh_src.rows(), start=1):
            f, errs = v.parse_household(raw, row=row, area_exists=self.area_ok)
            if missing_reg:
                # A column required only for 建档立卡户 is missing: say so once for the file.
                for e in errs:
                    if e.column in missing_reg and e.code == E.E_REQUIRED and e.column not in missing_reported:
                        missing_reported.add(e.column)
                        self.err(v.HOUSEHOLD_SHEET, None, e.column, E.E_MISSING_COLUMN,
                                 f"工作表“户”缺少建档立卡户必填列“{e.column}” / sheet 户 lacks the column {e.column}")
                errs = [e for e in errs if not (e.column in missing_reg and e.code == E.E_REQUIRED)]
            self.errors.extend(errs)
            number = f["number"]
            if number:
                first = self.households.get(number)
                if first is not None:
                    self.err(v.HOUSEHOLD_SHEET, row, "户编号", E.E_DUP_HOUSEHOLD_NO,
                             f"户编号“{number}”与第 {first.row} 行重复 / household number repeats row {first.row}")
                    continue
                self.households[number] = _HH(row, f["head_name"], f["head_id_number"])
                pending.append(number)
                if len(pending) >= BATCH:
                    self._lookup_households(pending)
                    pending = []
            if not errs and number:
                self.hh_spill.add(f)
            if n % BATCH == 0:
                self.progress("校验“户” / checking households", BATCH)
        self._lookup_households(pending)
        self.progress("校验“户” / checking households", 0)

    def _lookup_households(self, numbers: list[str]) -> None:
        if not numbers:
            return
        for number, pk, village in Household.objects.filter(number__in=numbers).values_list(
                "number", "pk", "village_id"):
            hh = self.households[number]
            if not in_scope(self.actor, village):
                # The number is taken by a household this user cannot see; do not reveal where.
                self.err(v.HOUSEHOLD_SHEET, hh.row, "户编号", E.E_DUP_HOUSEHOLD_NO,
                         f"户编号“{number}”已被您管辖范围以外的户使用 / household number is used outside your areas")
                continue
            hh.pk, hh.stored_village = pk, village

    def _validate_members(self) -> None:
        holders_buf: list[tuple[str, int, str]] = []
        for n, (row, raw) in enumerate(self.m_src.rows(), start=1):
            f, errs = v.parse_member(raw, row=row)
            self.errors.extend(errs)
            idn, number = f["id_number"], f["household_number"]
            id_ok = bool(idn) and not any(e.column == "证件号码" for e in errs)
            if idn:
                first = self.file_ids.get(idn)
                if first is not None:
                    errs.append(v.RowError(v.MEMBER_SHEET, row, "证件号码", E.E_DUP_ID_IN_FILE,
                                           f"证件号码与第 {first} 行重复 / the same ID number is on row {first}"))
                    self.errors.append(errs[-1])
                    id_ok = False
                else:
                    self.file_ids[idn] = row
            if number:
                hh = self.households.get(number)
                if hh is None:
                    hh = self.households[number] = _HH(None, in_sheet=False)
                if hh.member_rows is not None:
                    hh.member_rows.append(row)
                hh.n_total += 1
                if f["state"] == PRESENT:
                    hh.n_active += 1
                if f["relation"] == HEAD:
                    hh.heads.append((row, f["name"], idn, f["state"]))
                if id_ok and f["state"] == PRESENT:
                    holders_buf.append((idn, row, number))
                    if len(holders_buf) >= BATCH:
                        self._check_holders(holders_buf)
                        holders_buf = []
            if not errs and number:
                self.m_spill.add(f)
            if n % BATCH == 0:
                self.progress("校验“人” / checking members", BATCH)
        self._check_holders(holders_buf)
        self.progress("校验“人” / checking members", 0)

    def _check_holders(self, buf: list[tuple[str, int, str]]) -> None:
        """E_DUP_ID_IN_REGISTRY: active (在户) in ANOTHER household; the same household is an update."""
        if not buf:
            return
        holders = active_holders([idn for idn, _, _ in buf])
        for idn, row, number in buf:
            held = holders.get(idn)
            if held is not None and held[1] != number:
                self.err(v.MEMBER_SHEET, row, "证件号码", E.E_DUP_ID_IN_REGISTRY,
                         f"此人已是户“{held[1]}”的在户成员 / this person is already a member of household {held[1]}")

    def _resolve_unsheeted_households(self) -> None:
        """Members may name a household that is only in the system, not in sheet 户."""
        numbers = [k for k, hh in self.households.items() if not hh.in_sheet]
        for i in range(0, len(numbers), BATCH):
            chunk = numbers[i:i + BATCH]
            found = {}
            for number, pk, village, head_name in Household.objects.filter(number__in=chunk).values_list(
                    "number", "pk", "village_id", "head_name"):
                if in_scope(self.actor, village):
                    found[number] = (pk, village, head_name)
            for number in chunk:
                hh = self.households[number]
                if number in found:
                    hh.pk, hh.stored_village, hh.head_name = found[number]
                    continue
                for row in hh.member_rows or []:
                    self.err(v.MEMBER_SHEET, row, "户编号", E.E_UNKNOWN_HOUSEHOLD,
                             f"户编号“{number}”既不在“户”表中，也不在系统中 / household {number} is neither in sheet 户 "
                             "nor in the system")
                hh.member_rows = None

    def _check_compositions(self) -> None:
        """Heads and emptiness over the household as it will be after the import: the file's
        member rows plus, for a household already in the system, its stored members that the file
        does not mention (they are left as they are). When the household has 在户 members only they
        count, so that a deceased former head next to a new head is not a second head."""
        items = list(self.households.items())
        for i in range(0, len(items), BATCH):
            chunk = items[i:i + BATCH]
            kept: dict[int, list[tuple]] = {}
            pks = [hh.pk for _, hh in chunk if hh.pk is not None]
            for j in range(0, len(pks), 900):
                for hid, idn, name, relation, state in Member.objects.filter(
                        household_id__in=pks[j:j + 900]).values_list(
                        "household_id", "id_number", "name", "relation", "state"):
                    if idn not in self.file_ids:
                        kept.setdefault(hid, []).append((name, idn, relation, state))
            for number, hh in chunk:
                if hh.pk is None and not hh.in_sheet:
                    continue  # unknown household, already reported
                stored = kept.get(hh.pk, []) if hh.pk is not None else []
                if stored and hh.in_sheet:
                    names = "、".join(f"{name}（{mask(idn)}）" for name, idn, _, _ in stored[:10])
                    more = "等" if len(stored) > 10 else ""
                    self.result.warnings.append(
                        f"户“{number}”有 {len(stored)} 名成员不在文件中，保持不变：{names}{more} / "
                        f"household {number}: {len(stored)} member(s) not in the file were left as they are")
                n_active = hh.n_active + sum(1 for s in stored if s[3] == PRESENT)
                heads = [(None, name, idn, state) for name, idn, rel, state in stored if rel == HEAD] + hh.heads
                n_total = hh.n_total + len(stored)
                if n_active:
                    heads = [h for h in heads if h[3] == PRESENT]
                    others = n_active - len(heads)
                else:
                    others = n_total - len(heads)
                members = [(row, {"relation": HEAD, "name": name, "id_number": idn}) for row, name, idn, _ in heads]
                if others > 0:
                    members.append((None, {"relation": ""}))  # stands for the non-head members: only their count matters
                hh_fields = {"number": number, "head_name": hh.head_name, "head_id_number": hh.head_id}
                errs = v.check_composition(hh_fields, hh.row, members)
                if not hh.in_sheet:
                    # The household row is not in this file: only a second head among the new rows is the file's fault.
                    errs = [e for e in errs if e.code == E.E_MULTIPLE_HEADS]
                self.errors.extend(errs)

    # -- pass 2: apply ---------------------------------------------------------------------------
    def apply(self) -> None:
        for number, hh in self.households.items():
            if hh.pk is not None:
                self.number_pk[number] = hh.pk
        self.rows_hh, self.rows_inc, self.rows_m = _Rows(Household), _Rows(IncomeRecord), _Rows(Member)
        self.rows_audit, self.rows_event = _Rows(audit.AuditEntry), _Rows(HouseholdEvent)
        self._apply_households()
        self._apply_members()
        self._finish_households()

    def _audit_rows(self):
        """A function making audit rows for this batch. The actor, time, IP and job come from ONE
        fupin.core.audit.entry() (the single definition of an audit row's context); only what
        differs per change is filled in here, so that 400,000 changes do not build 400,000 models."""
        base = audit.entry(actor=self.actor, action="", object_type="")
        common = {f.attname: getattr(base, f.attname) for f in audit.AuditEntry._meta.concrete_fields
                  if not f.primary_key}

        def make(action, object_type, object_id, area_code, before=None, after=None) -> dict:
            return {**common, "action": action, "object_type": object_type, "object_id": str(object_id),
                    "area_code": area_code or "", "before": before, "after": after}
        return make

    def _apply_households(self) -> None:
        for batch in self.hh_spill.batches():
            now = timezone.now()
            make_audit = self._audit_rows()
            numbers = [f["number"] for f in batch]
            qs = Household.objects.filter(number__in=numbers)
            if not self.dry_run:
                qs = qs.select_for_update()
            existing = {h.number: h for h in qs}
            years = {f["income"]["year"] for f in batch}
            incomes = {(r.household_id, r.year): r for r in IncomeRecord.objects.filter(
                household_id__in=[h.pk for h in existing.values()], year__in=years)}
            new_hh, upd_hh, new_inc, upd_inc, entries = [], [], [], [], []
            created: list[dict] = []
            for f in batch:
                number, income = f["number"], f["income"]
                h = existing.get(number)
                if h is None:
                    created.append(f)
                    self.created_numbers.add(number)
                    new_hh.append({"number": number, "head_initials": initials(f["head_name"]),
                                   **{k: f[k] for k in HOUSEHOLD_FIELDS}})
                    continue
                changes = []
                diff = [k for k in HOUSEHOLD_FIELDS if getattr(h, k) != f[k]]
                b = {k: audit.jsonable(getattr(h, k)) for k in diff}
                a = {k: audit.jsonable(f[k]) for k in diff}
                for k in diff:
                    setattr(h, k, f[k])
                if a:
                    h.head_initials = initials(h.head_name)
                    h.version += 1
                    h.updated_at = now
                    upd_hh.append(h)
                    entries.append(make_audit("household.update", "household", number, h.village_id, b, a))
                    changes.append("、".join(Household._meta.get_field(k.removesuffix("_id")).verbose_name for k in a))
                rec = incomes.get((h.pk, income["year"]))
                if rec is None:
                    ib, ia = None, {k: audit.jsonable(income[k]) for k in INCOME_FIELDS}
                    new_inc.append({"household_id": h.pk, **income})
                elif any(getattr(rec, k) != income[k] for k in INCOME_FIELDS):
                    ib = snapshot(rec, INCOME_FIELDS)
                    for k in INCOME_FIELDS:
                        setattr(rec, k, income[k])
                    ia = snapshot(rec, INCOME_FIELDS)
                else:
                    ib = ia = None
                if ib != ia:
                    if rec is not None:
                        rec.updated_at = now
                        upd_inc.append(rec)
                    b2, a2 = audit.diff(ib, ia)
                    entries.append(make_audit("income.set", "income", f"{number}/{income['year']}", h.village_id,
                                              b2, a2))
                    changes.append(f"{income['year']}年收入")
                if changes:
                    self.changes[number] = changes
            if not self.dry_run:
                self.rows_hh.insert(new_hh, now)
                if created:
                    self.number_pk.update(Household.objects.filter(
                        number__in=[f["number"] for f in created]).values_list("number", "pk"))
                for f in created:
                    number, income, village = f["number"], f["income"], f["village_id"]
                    self.new_village[number] = village
                    new_inc.append({"household_id": self.number_pk[number], **income})
                    entries.append(make_audit("household.create", "household", number, village,
                                              after=_jsonable({k: f[k] for k in HOUSEHOLD_FIELDS})))
                    entries.append(make_audit("income.set", "income", f"{number}/{income['year']}", village,
                                              after=audit.jsonable(income)))
                if upd_hh:
                    Household.objects.bulk_update(upd_hh, HOUSEHOLD_FIELDS + ["head_initials", "version", "updated_at"],
                                                  batch_size=1000)
                self.rows_inc.insert(new_inc, now)
                if upd_inc:
                    IncomeRecord.objects.bulk_update(upd_inc, INCOME_FIELDS + ["updated_at"], batch_size=1000)
                self.rows_audit.insert(entries, now)
            self.progress("写入“户” / writing households", len(batch))

    def _apply_members(self) -> None:
        village_of: dict[int, str] = {}
        for batch in self.m_spill.batches():
            now = timezone.now()
            make_audit = self._audit_rows()
            lookup_pks = {self.number_pk[f["household_number"]] for f in batch
                          if f["household_number"] not in self.created_numbers}
            # Stored members as plain tuples: model instances are built only for the few that change.
            existing: dict[tuple[int, str], tuple] = {}
            if lookup_pks:
                ids = [f["id_number"] for f in batch if f["household_number"] not in self.created_numbers]
                for values in Member.objects.filter(household_id__in=lookup_pks, id_number__in=ids).order_by(
                        "id").values_list("pk", "household_id", "state", *MEMBER_FIELDS):
                    key = (values[1], values[MEMBER_ID_AT])
                    # Prefer the person's 在户 row when the household also keeps an old 迁出/死亡 row.
                    if key not in existing or values[2] == PRESENT:
                        existing[key] = values
                missing = [pk for pk in lookup_pks if pk not in village_of]
                if missing:
                    village_of.update(Household.objects.filter(pk__in=missing).values_list("pk", "village_id"))
            new_m, upd_m, entries = [], [], []
            new_counts: dict[str, int] = {}
            for f in batch:
                number = f["household_number"]
                is_new_hh = number in self.created_numbers
                pk = self.number_pk.get(number)
                m = None if is_new_hh else existing.get((pk, f["id_number"]))
                if m is None:
                    self.result.members_created += 1
                    if not is_new_hh:
                        new_counts[number] = new_counts.get(number, 0) + 1
                    if not self.dry_run:
                        values = {k: f[k] for k in MEMBER_FIELDS}
                        new_m.append({"household_id": pk, "name_initials": initials(f["name"]), **values})
                        village = self.new_village.get(number) if is_new_hh else village_of.get(pk, "")
                        entries.append(make_audit("member.create", "member", number, village,
                                                  after=_jsonable(values)))
                    continue
                stored = dict(zip(MEMBER_FIELDS, m[3:], strict=True))
                diff = [k for k in MEMBER_FIELDS if stored[k] != f[k]]
                if diff:
                    b = {k: audit.jsonable(stored[k]) for k in diff}
                    a = {k: audit.jsonable(f[k]) for k in diff}
                    obj = Member(pk=m[0], household_id=pk, name_initials=initials(f["name"]), updated_at=now,
                                 **{k: f[k] for k in MEMBER_FIELDS})
                    upd_m.append(obj)
                    self.result.members_changed += 1
                    entries.append(make_audit("member.update", "member", number, village_of.get(pk, ""), b, a))
                    self.changes.setdefault(number, []).append(f"成员 {f['name']}")
            for number, n in new_counts.items():
                self.changes.setdefault(number, []).append(f"新增成员 {n} 人")
            if not self.dry_run:
                self.rows_m.insert(new_m, now)
                if upd_m:
                    Member.objects.bulk_update(upd_m, MEMBER_FIELDS + ["name_initials", "updated_at"], batch_size=1000)
                self.rows_audit.insert(entries, now)
            self.progress("写入“人” / writing members", len(batch))

    def _finish_households(self) -> None:
        """Counts, and one timeline event per created or changed household (services.event)."""
        in_sheet = [n for n, hh in self.households.items() if hh.in_sheet]
        self.result.created = len(self.created_numbers)
        changed = [n for n in self.changes if n not in self.created_numbers]
        self.result.changed = len(changed)
        self.result.unchanged = sum(1 for n in in_sheet if n not in self.created_numbers and n not in self.changes)
        if self.dry_run:
            return
        job_id = audit.current().get("job_id")
        now = timezone.now()
        fields = [f.attname for f in HouseholdEvent._meta.concrete_fields if not f.primary_key]
        # One services.event() per kind gives the shape of the row (actor, time, type); the rest
        # differs per household. Building 130,000 model instances would cost more than the insert.
        templates = {}
        for kind in ("created", "updated"):
            ev = event(Household(pk=0, number=""), self.actor, kind, "")
            templates[kind] = {k: getattr(ev, k) for k in fields}

        def row(kind: str, number: str, message: str, **parameters) -> dict:
            return {**templates[kind], "household_id": self.number_pk[number], "message": message[:300],
                    "parameters": {"source": "import", "job": job_id, **parameters}}

        events: list[dict] = []
        for number in self.created_numbers:
            hh = self.households[number]
            events.append(row("created", number, f"导入建档：户主 {hh.head_name}，{hh.n_total} 人", members=hh.n_total))
            if len(events) >= BATCH:
                self.rows_event.insert(events, now)
                events = []
        for number in changed:
            events.append(row("updated", number, "导入修改：" + "；".join(self.changes[number])))
            if len(events) >= BATCH:
                self.rows_event.insert(events, now)
                events = []
        self.rows_event.insert(events, now)

    def close(self) -> None:
        self.hh_spill.close()
        self.m_spill.close()


def import_registry(*, actor, xlsx: Path | None = None, households: Path | None = None, members: Path | None = None,
                    dry_run: bool = False, job=None, progress: Progress | None = None) -> ImportResult:
    """Import the registry from an exchange-format workbook (`xlsx`) or two table files
    (`households`, `members`): validate every row and every cross-row rule, and, when the file
    has no error and this is not a dry run, apply it all-or-nothing in one transaction
    (exchange-format.md, "Import semantics").

    File-content errors are returned in `.errors` (nothing is written then); ApplicationError is
    raised only for unusable input (unreadable file, wrong encoding) or a user who may not write.
    `progress(done, total, stage)` is called as rows are processed; `job` gets the same progress
    and its id goes onto every audit row.
    """
    if not can_write_registry(actor):
        raise PermissionDenied("无权导入建档立卡数据 / not allowed to import the registry")
    hh_src, m_src = open_sources(xlsx=xlsx, households=households, members=members)
    ctx = audit.current()
    job_id = job.pk if job is not None else ctx.get("job_id")
    with audit.audit_context(ip=ctx.get("ip", ""), job_id=job_id, source=ctx.get("source", "") or "import"):
        imp = _Importer(actor, hh_src, m_src, dry_run, job, progress)
        try:
            imp.validate()
            if imp.result.ok:
                if dry_run:
                    imp.apply()
                else:
                    with transaction.atomic():
                        imp.apply()
        finally:
            imp.close()
    return imp.result
