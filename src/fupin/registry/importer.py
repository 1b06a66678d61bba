"""Registry import (exchange-format.md, "Import semantics"; performance.md, import throughput).

Two passes:

1. **Validate** (no transaction, nothing written). Sheet 户 then sheet 人 are streamed row by
   row through fupin.registry.validation (parse_household / parse_member: the one place the
   row rules live). The cross-row rules need the whole file, so a compact record is kept per
   household (row, head name/ID, the head rows, member counts) and per ID number (the row it
   first appeared on); database look-ups (existing 户编号, people active elsewhere, stored members
   of updated households) run in batches of a few thousand. The parsed rows themselves are
   spilled to an anonymous temporary file, so the ORM objects of the whole file are never held.
   Memory therefore grows with the file only by those compact records: roughly 150–250 bytes a
   member row (≈100 MB for the chenzhou preset's 405,000 members), plus, for .xlsx input, the
   sheet held by calamine (see exchange_io).
2. **Apply** (only when the file has no error and this is not a dry run): the spilled rows are
   read back and written with bulk_create / bulk_update in batches, all inside ONE transaction,
   so that a failed or killed import leaves the registry exactly as it was. Every change gets an
   audit row (attributed to the actor and the job) and each created or changed household one
   readable HouseholdEvent.

A dry run computes the same counts (created / changed / unchanged) by comparing with the stored
rows, but writes nothing.
"""

from __future__ import annotations

import csv
import pickle
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
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

    __slots__ = ("row", "head_name", "head_id", "in_sheet", "pk", "heads", "n_total", "n_active", "member_rows",
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
        self.fh = tempfile.TemporaryFile()
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


class _Importer:
    def __init__(self, actor, hh_src: SheetSource, m_src: SheetSource, dry_run: bool, job, progress: Progress | None):
        self.actor, self.hh_src, self.m_src, self.dry_run, self.job = actor, hh_src, m_src, dry_run, job
        self._progress = progress
        self.result = ImportResult(dry_run=dry_run)
        self.errors = self.result.errors
        self.households: dict[str, _HH] = {}
        self.file_ids: dict[str, int] = {}  # ID number -> first row in sheet 人
        self.area_cache: dict[str, bool] = {}
        self.hh_spill, self.m_spill = _Spill(), _Spill()
        self.changes: dict[str, list[str]] = {}  # 户编号 -> what changed (for the event)
        self.created_numbers: set[str] = set()
        self.number_pk: dict[str, int] = {}
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

            known = in_scope(self.actor, code) and Area.objects.filter(code=code, level=5).exists()
            self.area_cache[code] = known
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
        self._apply_households()
        self._apply_members()
        self._finish_households()

    def _apply_households(self) -> None:
        now = timezone.now()
        for batch in self.hh_spill.batches():
            numbers = [f["number"] for f in batch]
            qs = Household.objects.filter(number__in=numbers)
            if not self.dry_run:
                qs = qs.select_for_update()
            existing = {h.number: h for h in qs}
            years = {f["income"]["year"] for f in batch}
            incomes = {(r.household_id, r.year): r for r in IncomeRecord.objects.filter(
                household_id__in=[h.pk for h in existing.values()], year__in=years)}
            new_hh, upd_hh, new_inc, upd_inc, entries = [], [], [], [], []
            new_income_of: list[tuple[Household, dict]] = []
            for f in batch:
                number, income = f["number"], f["income"]
                h = existing.get(number)
                if h is None:
                    h = Household(number=number, head_initials=initials(f["head_name"]),
                                  **{k: f[k] for k in HOUSEHOLD_FIELDS})
                    new_hh.append(h)
                    new_income_of.append((h, income))
                    self.created_numbers.add(number)
                    continue
                changes = []
                before = snapshot(h, HOUSEHOLD_FIELDS)
                for k in HOUSEHOLD_FIELDS:
                    setattr(h, k, f[k])
                b, a = audit.diff(before, snapshot(h, HOUSEHOLD_FIELDS))
                if a:
                    h.head_initials = initials(h.head_name)
                    h.version += 1
                    h.updated_at = now
                    upd_hh.append(h)
                    entries.append(audit.entry(actor=self.actor, action="household.update", object_type="household",
                                               object_id=number, area_code=h.village_id, before=b, after=a))
                    changes.append("、".join(Household._meta.get_field(k.removesuffix("_id")).verbose_name for k in a))
                rec = incomes.get((h.pk, income["year"]))
                ib = snapshot(rec, INCOME_FIELDS) if rec else None
                if rec is None:
                    rec = IncomeRecord(household_id=h.pk, year=income["year"])
                    new_inc.append(rec)
                for k in INCOME_FIELDS:
                    setattr(rec, k, income[k])
                ia = snapshot(rec, INCOME_FIELDS)
                if ib != ia:
                    if ib is not None:
                        rec.updated_at = now
                        upd_inc.append(rec)
                    b2, a2 = audit.diff(ib, ia)
                    entries.append(audit.entry(actor=self.actor, action="income.set", object_type="income",
                                               object_id=f"{number}/{income['year']}", area_code=h.village_id,
                                               before=b2, after=a2))
                    changes.append(f"{income['year']}年收入")
                if changes:
                    self.changes[number] = changes
            if not self.dry_run:
                Household.objects.bulk_create(new_hh, batch_size=1000)
                for h in new_hh:
                    self.number_pk[h.number] = h.pk
                for h, income in new_income_of:
                    new_inc.append(IncomeRecord(household_id=h.pk, **income))
                    entries.append(audit.entry(actor=self.actor, action="household.create", object_type="household",
                                               object_id=h.number, area_code=h.village_id,
                                               after=snapshot(h, HOUSEHOLD_FIELDS)))
                    entries.append(audit.entry(actor=self.actor, action="income.set", object_type="income",
                                               object_id=f"{h.number}/{income['year']}", area_code=h.village_id,
                                               after=audit.jsonable(income)))
                if upd_hh:
                    Household.objects.bulk_update(upd_hh, HOUSEHOLD_FIELDS + ["head_initials", "version", "updated_at"],
                                                  batch_size=1000)
                IncomeRecord.objects.bulk_create(new_inc, batch_size=1000)
                if upd_inc:
                    IncomeRecord.objects.bulk_update(upd_inc, INCOME_FIELDS + ["updated_at"], batch_size=1000)
                audit.AuditEntry.objects.bulk_create(entries, batch_size=1000)
            self.progress("写入“户” / writing households", len(batch))

    def _apply_members(self) -> None:
        now = timezone.now()
        village_of: dict[int, str] = {}
        for batch in self.m_spill.batches():
            lookup_pks = {self.number_pk[f["household_number"]] for f in batch
                          if f["household_number"] not in self.created_numbers}
            ids = [f["id_number"] for f in batch]
            existing: dict[tuple[int, str], Member] = {}
            if lookup_pks:
                for m in Member.objects.filter(household_id__in=lookup_pks, id_number__in=ids).order_by("id"):
                    key = (m.household_id, m.id_number)
                    # Prefer the person's 在户 row when the household also keeps an old 迁出/死亡 row.
                    if key not in existing or m.state == PRESENT:
                        existing[key] = m
            missing_villages = {pk for pk in lookup_pks if pk not in village_of}
            if missing_villages:
                village_of.update(Household.objects.filter(pk__in=missing_villages).values_list("pk", "village_id"))
            new_m, upd_m, entries = [], [], []
            new_counts: dict[str, int] = {}
            for f in batch:
                number = f["household_number"]
                pk = self.number_pk.get(number)
                m = existing.get((pk, f["id_number"])) if number not in self.created_numbers else None
                if m is None:
                    m = Member(household_id=pk, name_initials=initials(f["name"]), **{k: f[k] for k in MEMBER_FIELDS})
                    new_m.append((number, m))
                    self.result.members_created += 1
                    if number not in self.created_numbers:
                        new_counts[number] = new_counts.get(number, 0) + 1
                    continue
                before = snapshot(m, MEMBER_FIELDS)
                for k in MEMBER_FIELDS:
                    setattr(m, k, f[k])
                b, a = audit.diff(before, snapshot(m, MEMBER_FIELDS))
                if a:
                    m.name_initials = initials(m.name)
                    m.updated_at = now
                    upd_m.append(m)
                    self.result.members_changed += 1
                    entries.append(audit.entry(actor=self.actor, action="member.update", object_type="member",
                                               object_id=number, area_code=village_of.get(pk, ""), before=b, after=a))
                    self.changes.setdefault(number, []).append(f"成员 {m.name}")
            for number, n in new_counts.items():
                self.changes.setdefault(number, []).append(f"新增成员 {n} 人")
            if not self.dry_run:
                objs = [m for _, m in new_m]
                Member.objects.bulk_create(objs, batch_size=1000)
                hh_village = self._villages_of_new(new_m, village_of)
                entries += [audit.entry(actor=self.actor, action="member.create", object_type="member",
                                        object_id=number, area_code=hh_village.get(number, ""),
                                        after=snapshot(m, MEMBER_FIELDS)) for number, m in new_m]
                if upd_m:
                    Member.objects.bulk_update(upd_m, MEMBER_FIELDS + ["name_initials", "updated_at"], batch_size=1000)
                audit.AuditEntry.objects.bulk_create(entries, batch_size=1000)
            self.progress("写入“人” / writing members", len(batch))

    def _villages_of_new(self, new_m, village_of) -> dict[str, str]:
        """户编号 -> village code for the audit rows of new members."""
        out = {}
        for number, m in new_m:
            if number in out:
                continue
            village = village_of.get(m.household_id)
            if village is None:
                village = self.hh_village.get(number, "")
            out[number] = village
        return out

    @property
    def hh_village(self) -> dict[str, str]:
        # Village codes of the households created by this import (read back once, lazily).
        cached = getattr(self, "_hh_village", None)
        if cached is None:
            cached = {}
            pks = [self.number_pk[n] for n in self.created_numbers if n in self.number_pk]
            for i in range(0, len(pks), 900):
                cached.update(Household.objects.filter(pk__in=pks[i:i + 900]).values_list("number", "village_id"))
            self._hh_village = cached
        return cached

    def _finish_households(self) -> None:
        """Counts, and one timeline event per created or changed household."""
        in_sheet = [n for n, hh in self.households.items() if hh.in_sheet]
        self.result.created = len(self.created_numbers)
        changed = [n for n in self.changes if n not in self.created_numbers]
        self.result.changed = len(changed)
        self.result.unchanged = sum(1 for n in in_sheet if n not in self.created_numbers and n not in self.changes)
        if self.dry_run:
            return
        job_id = audit.current().get("job_id")
        events: list[HouseholdEvent] = []
        for number in self.created_numbers:
            hh = self.households[number]
            events.append(event(Household(pk=self.number_pk[number], number=number), self.actor, "created",
                                f"导入建档：户主 {hh.head_name}，{hh.n_total} 人", source="import", job=job_id,
                                members=hh.n_total))
            if len(events) >= BATCH:
                HouseholdEvent.objects.bulk_create(events)
                events = []
        for number in changed:
            events.append(event(Household(pk=self.number_pk[number], number=number), self.actor, "updated",
                                "导入修改：" + "；".join(self.changes[number]), source="import", job=job_id))
            if len(events) >= BATCH:
                HouseholdEvent.objects.bulk_create(events)
                events = []
        HouseholdEvent.objects.bulk_create(events)

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
