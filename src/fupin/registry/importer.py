"""Registry import (exchange-format.md, "Import semantics"; performance.md, import throughput).

One streaming pass, batch by batch (BATCH rows), sheet 户 then sheet 人, all inside ONE transaction:

1. **Check** each row with fupin.registry.fast_validation, which gives exactly what
   registry.validation.parse_household / parse_member give (the one place the row rules live)
   but remembers each column's cell results and hands any row with an error to parse_*.
2. **Cross-row rules** against temporary "scratch" tables (_Scratch) instead of Python dicts, so
   that memory does not grow with the file: 户编号 and ID numbers already seen in the file, the
   households a member row names (from sheet 户 or the system), people active elsewhere
   (selectors.active_holders). Rules over whole households (head, emptiness, head mismatch,
   members left out of the file) run at the end over the scratch tables.
3. **Write** the batch at once while the file has shown no error and this is not a dry run: new
   rows by COPY on PostgreSQL, sent by a second thread over the same connection (bulkwrite.CopyWriter) so
   the server ingests batch k while Python reads batch k+1; executemany elsewhere (bulkwrite.Rows);
   changed rows by bulk_update. Every change gets an audit row (attributed to the actor and the
   job) and each created or changed household one readable HouseholdEvent.

A file with any error — found in a batch or at the end — and a dry run are rolled back as a whole
(import_registry), so nothing is changed, exactly as when nothing was written; a killed process
leaves an open transaction that the database discards. A dry run compares with the stored rows
to count created / changed / unchanged, but writes nothing.
"""

from __future__ import annotations

import collections
import csv
import functools
import gc
import itertools
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connections, router, transaction
from django.utils import timezone
from pypinyin import Style
from pypinyin.converter import UltimateConverter
from pypinyin.core import Pinyin

from fupin.accounts.access import can_write_registry, in_scope
from fupin.core import audit
from fupin.core.errors import ErrorCode as E
from fupin.core.errors import PermissionDenied
from fupin.core.idcard import mask
from fupin.core.pgarray import array_literal
from fupin.registry import validation as v
from fupin.registry.bulkwrite import CopyWriter, Rows, jsonable, sequence_ids, tuple_copy_payload
from fupin.registry.exchange_io import SheetSource, open_sources
from fupin.registry.fast_validation import HouseholdParser, MemberParser
from fupin.registry.models import Household, HouseholdEvent, IncomeRecord, Member
from fupin.registry.selectors import active_holders
from fupin.registry.services import HOUSEHOLD_FIELDS, INCOME_FIELDS, MEMBER_FIELDS, event, snapshot

BATCH = 2000
SWITCH_INTERVAL = 0.0005  # seconds; see import_registry
ID_BLOCK = 10_000  # primary keys taken from a sequence at a time (_Scratch.ids)
JOB_PROGRESS_EVERY = 0.25  # seconds between two progress writes of a job (its bar in the web UI)
GC_THRESHOLD = 50_000  # allocations between the cyclic collector's young passes during an import; see import_registry
# The planner, for the import's look-ups on PostgreSQL (its transaction and the scratch connection):
# - enable_seqscan off: the registry and scratch tables grow inside the import, where nothing has
#   statistics about them; the planner takes them for small and answers each batch's look-ups (by ID
#   number, by 户编号) with a sequential scan, so that every batch costs more than the one before.
#   Every look-up here has an index.
# - no parallel workers: with no statistics a look-up of 2,000 ID numbers looks big enough to start
#   two; starting them took ~25 ms of the ~28 ms each look-up took (4.6 s of waiting per city).
# - no JIT: with sequential scans "disabled", any plan that still needs one costs 10^10 and is
#   compiled by LLVM first (~0.1–0.2 s each for the end-of-file counts).
PLANNER_SETTINGS = {"enable_seqscan": "off", "max_parallel_workers_per_gather": "0", "jit": "off"}
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


_SCRATCH_SEQ = itertools.count(1)


class _Scratch:
    """Temporary tables holding what the cross-row rules need to know about the whole file, so
    that the importer's memory does not grow with the file:

    - hh: one row per 户编号 named by the file (sheet 户, or only by member rows): its row, the
      household's pk (stored or created), village, head name and ID, whether it is in sheet 户,
      whether this import creates it; `seq` keeps the file's order.
    - m: one row per member row (row, 户编号, ID number, relation, name, state, first = the
      first occurrence of its ID number in the file).
    - chg: what changed in each updated household (for its timeline event).

    On PostgreSQL they live on a SECOND connection of their own (autocommit, closed at the end;
    a killed process takes them with it), not in the import's transaction: they hold nothing the
    registry keeps, and on the import's own connection each of their reads and writes waited
    behind the COPY of an earlier batch (psycopg serialises one connection), ~30 s of waiting
    for 130,000 households. Nothing here reads the registry, which stays on the import's
    connection (it may see rows of an enclosing transaction that another connection cannot).
    Their rows are written there by a thread of their own (a bulkwrite.CopyWriter on that
    connection), so the server files one batch's while Python parses the next; every read of
    them waits until what was handed over is in (sync).
    Elsewhere (SQLite: one writer) they are temporary tables on the import's connection.
    Sequence numbers (`nextval`, not transactional) are also taken here, and, when the import's
    transaction is the outermost one (the command, a job), the look-ups of the registry that
    need no lock (see _Importer.side_reads)."""

    def __init__(self, conn):
        self.main, self.pg = conn, conn.vendor == "postgresql"
        self.side = None  # PostgreSQL: the scratch tables' own connection (psycopg), from create()
        n = f"{os.getpid()}_{next(_SCRATCH_SEQ)}"
        self.hh, self.m, self.chg = f"fupin_imp_hh_{n}", f"fupin_imp_m_{n}", f"fupin_imp_chg_{n}"
        self.seq = 0
        self.chg_seq = 0
        self._changes: list[tuple] = []
        self._pending: list[tuple[str, str, list[tuple]]] = []
        self.writer: CopyWriter | None = None  # PostgreSQL: sends the scratch rows from a thread
        self._ids: dict = {}  # model -> primary keys taken from its sequence and not yet used (ids())

    def _cursor(self):
        return self.side.cursor() if self.side is not None else self.main.cursor()

    def create(self) -> None:
        if self.pg:
            self.main.ensure_connection()
            self.side = self.main.get_new_connection(self.main.get_connection_params())
            self.side.autocommit = True
        with self._cursor() as c:
            if self.pg:
                # No statistics on tables made a moment ago: prefer their indexes (see _Importer.run),
                # and none of the planner's costly extras (PLANNER_SETTINGS).
                for name, value in PLANNER_SETTINGS.items():
                    c.execute("SELECT set_config(%s, %s, false)", [name, value])
                # The only logged writes here are a job's progress (the temporary tables are not
                # logged): a figure for the progress bar, which may be lost in a crash. Its commits
                # need not wait for a flush to disk; the next commit that does wait (the import's, or
                # job_finish's) flushes them too. (A city's 269 progress writes took 2.4 s with the
                # flush, 0.8 s without, before they were also made rarer: JOB_PROGRESS_EVERY.)
                c.execute("SET synchronous_commit = off")
            # Text compared for equality only: on PostgreSQL in byte order (COLLATE "C"), not by the
            # locale's rules, for each of the hundreds of thousands of rows indexed and looked up.
            t = 'text COLLATE "C"' if self.pg else "text"
            c.execute(f"CREATE TEMP TABLE {self.hh} (seq integer PRIMARY KEY, number {t} NOT NULL UNIQUE, "
                      f"row integer, pk bigint, village text, head_name text, head_id {t}, in_sheet boolean, "
                      "created boolean)")
            c.execute(f"CREATE TEMP TABLE {self.m} (row integer, number {t}, id_number {t}, relation text, "
                      "name text, state text, first boolean)")
            c.execute(f"CREATE INDEX {self.m}_id ON {self.m} (id_number)")
            c.execute(f"CREATE INDEX {self.m}_number ON {self.m} (number)")
            c.execute(f"CREATE TEMP TABLE {self.chg} (seq integer, number text, note text)")
        if self.side is not None:
            self.writer = CopyWriter(self.side, hold=False)

    def drop(self) -> None:
        """Drop the tables (and close their connection); safe to call twice and after a failure."""
        self._pending = []
        if self.writer is not None:
            writer, self.writer = self.writer, None
            writer.close(abandon=True)
        if self.side is not None:
            side, self.side = self.side, None
            side.close()  # temporary tables go with their session
            return
        if self.main.needs_rollback:
            return  # failing: the rollback removes them, and a statement now would hide the error
        with self.main.cursor() as c:
            for t in (self.hh, self.m, self.chg):
                c.execute(f"DROP TABLE IF EXISTS {t}")

    def insert(self, table: str, columns: str, rows: list[tuple]) -> None:
        """Rows for a scratch table. On the second connection they are handed to its thread at
        once, so the server files them (~5 s for a city's 535,000 rows and their indexes) while
        Python parses the next batch; otherwise they are sent just before the next read (sync), in
        one round trip with it."""
        if not rows:
            return
        if self.writer is not None:
            self.writer.submit(f"COPY {table} ({columns}) FROM STDIN", tuple_copy_payload(rows))
        else:
            self._pending.append((table, columns, rows))

    def sync(self) -> None:
        """Before a read of the scratch tables: everything inserted is in."""
        if self.writer is not None:
            self.writer.drain()
        pending, self._pending = self._pending, []
        for table, columns, rows in pending:
            self._send(table, columns, rows)

    def _send(self, table: str, columns: str, rows: list[tuple]) -> None:
        with self._cursor() as c:
            if self.pg:
                with c.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    copy.write(tuple_copy_payload(rows))
            else:
                marks = ", ".join(["%s"] * (columns.count(",") + 1))
                c.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)

    def add_households(self, rows: list[tuple]) -> None:
        """rows: (number, row, pk, village, head_name, head_id, in_sheet, created)."""
        out = []
        for r in rows:
            self.seq += 1
            out.append((self.seq, *r))
        self.insert(self.hh, "seq, number, row, pk, village, head_name, head_id, in_sheet, created", out)

    def add_change(self, number: str, note: str) -> None:
        self.chg_seq += 1
        self._changes.append((self.chg_seq, number, note))

    def flush_changes(self) -> None:
        self.insert(self.chg, "seq, number, note", self._changes)
        self._changes = []

    def fetch_in(self, sql: str, values, extra: tuple = ()) -> list[tuple]:
        """Run `sql` over `values`: its `{in}` stands for "IN (the values)" (PostgreSQL: one array
        parameter, sent as its text literal; SQLite: chunks of at most 900 parameters)."""
        values = list(values)
        if not values:
            return []
        self.sync()
        with self._cursor() as c:
            if self.pg:
                c.execute(sql.format(**{"in": "= ANY(%s)"}), [*extra, array_literal(values)])
                return c.fetchall()
            out: list[tuple] = []
            for i in range(0, len(values), 900):
                chunk = values[i:i + 900]
                c.execute(sql.format(**{"in": "IN (" + ", ".join(["%s"] * len(chunk)) + ")"}), [*extra, *chunk])
                out += c.fetchall()
            return out

    def fetch(self, sql: str, params=()) -> list[tuple]:
        self.sync()
        with self._cursor() as c:
            c.execute(sql, params)
            return c.fetchall()

    def ids(self, model, n: int, block: int = ID_BLOCK) -> list[int]:
        """n new primary keys of `model` from its table's sequence (PostgreSQL), taken `block` at a
        time (the caller caps it at what the file may need): one round trip per block instead of one
        per batch. What an import does not use is a gap in the numbering, as any rolled-back insert
        leaves."""
        pool = self._ids.setdefault(model, collections.deque())
        if len(pool) < n:
            with self._cursor() as c:  # reads no scratch table: need not wait for their rows (sync)
                pool.extend(sequence_ids(c, model, max(n - len(pool), block)))
        return [pool.popleft() for _ in range(n)]

    def active_holders(self, ids: list[str]) -> dict[str, tuple[int, str]]:
        """selectors.active_holders on this connection (PostgreSQL only)."""
        with self._cursor() as c:
            return active_holders(ids, cursor=c)


_initials_memo: dict[str, str] = {}
_segment_memo: dict[str, str] = {}
_PINYIN = Pinyin(UltimateConverter(v_to_u=False, neutral_tone_with_five=False, tone_sandhi=False))


def _keep(chars):
    return [ch for ch in chars]  # core.pinyin.initials' `errors`: characters without pinyin stay as they are


def _initials(name: str) -> str:
    """core.pinyin.initials(name), computed the way pypinyin's lazy_pinyin computes it (the name
    cut into words, each word converted on its own) but with each word's letters remembered: the
    words of names (surnames, common given names) repeat far more than whole names, and pypinyin's
    own call costs ~0.1 ms a name. Both memos are bounded. tests/registry/test_importer_initials.py
    checks the agreement with core.pinyin.initials."""
    got = _initials_memo.get(name)
    if got is None:
        if not name:
            return ""
        if len(_initials_memo) > 50_000:
            _initials_memo.clear()
        parts = []
        for word in _PINYIN.seg(name):
            letters = _segment_memo.get(word)
            if letters is None:
                if len(_segment_memo) > 50_000:
                    _segment_memo.clear()
                pys = _PINYIN._converter.convert(word, Style.FIRST_LETTER, False, _keep, strict=True)
                letters = _segment_memo[word] = "".join(x[:1] for x in itertools.chain(*pys))
            parts.append(letters)
        got = _initials_memo[name] = "".join(parts).lower()[:30]
    return got


class _Importer:
    """One pass over the file, batch by batch: each batch is checked (row rules through
    fast_validation, cross-row rules against the scratch tables and the registry) and, while the
    file has shown no error and this is not a dry run, written at once inside the import's
    transaction. The rules over whole households (heads, emptiness) are checked at the end, from
    the scratch tables. Any error — in a batch or at the end — rolls everything back
    (import_registry), so a file with errors still changes nothing; writing early only lets the
    database work while Python reads the rest of the file."""

    def __init__(self, actor, hh_src: SheetSource, m_src: SheetSource, dry_run: bool, job, progress: Progress | None):
        self.actor, self.hh_src, self.m_src, self.dry_run, self.job = actor, hh_src, m_src, dry_run, job
        self._progress = progress
        self.result = ImportResult(dry_run=dry_run)
        self.errors = self.result.errors
        self.area_cache: dict[str, bool] = {}
        self.counties_loaded: set[str] = set()
        self.done = 0
        self.total = hh_src.total + m_src.total
        self._job_written = float("-inf")  # time.monotonic() of the job's last progress write
        self.conn = connections[router.db_for_write(Household)]
        self.pg = self.conn.vendor == "postgresql"
        self.scratch = _Scratch(self.conn)
        self.hp = HouseholdParser(area_exists=self.area_ok)
        self.mp = MemberParser()
        self.writer: CopyWriter | None = None
        # Look-ups of the registry that take no lock go to the scratch tables' connection when the
        # import's transaction is the outermost one: they then need not wait behind the COPYs on the
        # import's own connection. Inside an enclosing transaction (which may hold registry rows of
        # its own that another connection cannot see) they stay on the import's connection.
        # Either way they cannot see this import's own new rows, and need not: the file's repeats
        # are found in the scratch tables. Set by import_registry.
        self.side_reads = False
        self.missing_reported: set[str] = set()
        # An audit row's `after` of field values: on PostgreSQL the COPY's JSON encoder converts the
        # values (see bulkwrite._json); elsewhere the ORM's JSONField needs them jsonable first.
        self.after = (lambda values: values) if self.pg else jsonable

    @property
    def writing(self) -> bool:
        """Write this batch: a real import, and no error so far."""
        return not self.dry_run and not self.errors

    @property
    def counting(self) -> bool:
        """Compare with the stored rows (to write them, or to count what a dry run would do)."""
        return not self.errors

    # -- helpers ---------------------------------------------------------------------------------
    def progress(self, stage: str, step: int = 0, last: bool = False) -> None:
        """`last`: the end of the file (written to the job whenever the one before was)."""
        self.done += step
        if self._progress:
            self._progress(min(self.done, self.total), self.total, stage)
        if self.job is not None:
            from fupin.jobs.services import job_progress

            done = min(self.done, self.total)
            at = time.monotonic()
            if not last and at - self._job_written < JOB_PROGRESS_EVERY:
                # the bar moves often enough; each write is a round trip (~3 ms). The job keeps the
                # figures, which job_finish writes with the result.
                job_progress(self.job, done=done, total=self.total, stage=stage, write=False)
                return
            self._job_written = at
            if self.side_reads and self.scratch.side is not None:
                # through the second connection (autocommit): the progress bar moves during the import
                with self.scratch.side.cursor() as c:
                    job_progress(self.job, done=done, total=self.total, stage=stage, cursor=c)
            else:
                job_progress(self.job, done=done, total=self.total, stage=stage)

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

    def _main(self, sql: str, params=()) -> list[tuple]:
        """A statement on the import's own connection (inside its transaction)."""
        with self.conn.cursor() as c:
            c.execute(sql, params)
            return c.fetchall() if c.description else []

    # -- the pass --------------------------------------------------------------------------------
    def run(self) -> None:
        header_errors = self.hh_src.header_errors() + self.m_src.header_errors()
        self.result.warnings += self.hh_src.warnings + self.m_src.warnings
        if header_errors:
            # A missing required column makes the whole file unusable; row errors would only be noise.
            self.errors += header_errors
            return
        planner: dict[str, str] = {}
        if self.pg:
            # For this transaction only (see PLANNER_SETTINGS); restored at the end for an enclosing one.
            for name, value in PLANNER_SETTINGS.items():
                planner[name] = self._main("SELECT current_setting(%s)", [name])[0][0]
                self._main("SELECT set_config(%s, %s, true)", [name, value])
        immediate = self.pg and not self.dry_run and self.side_reads
        if immediate:
            # Foreign keys are checked as each COPY ends instead of all at COMMIT: the same work
            # for the server, but done while Python prepares the next batches rather than at the
            # end, when there is nothing left to overlap it with (7 s of 1.5 million checks for
            # 130,000 households). Every COPY is sent after those of the rows it refers to. Only
            # in an outermost transaction: inside an enclosing one, SET CONSTRAINTS would check
            # (and later reset the mode of) that transaction's own deferred constraints.
            self._main("SET CONSTRAINTS ALL IMMEDIATE")
        if self.pg and not self.dry_run:
            self.conn.ensure_connection()
            self.writer = CopyWriter(self.conn.connection, hold=not self.side_reads)
        try:
            self.scratch.create()
            self.rows_hh = Rows(Household, self.writer, with_pk=self.pg)
            self.rows_inc, self.rows_m = Rows(IncomeRecord, self.writer), Rows(Member, self.writer)
            self.rows_audit, self.rows_event = Rows(audit.AuditEntry, self.writer), Rows(HouseholdEvent, self.writer)
            self._stream(self.hh_src, self._household_batch, "户")
            self._stream(self.m_src, self._member_batch, "人")
            # No drain() before the end-of-file checks: the only registry rows they read are the stored
            # members of households already in the system that the file does NOT name, which this
            # import does not write; so they can run (on the second connection) while the last
            # batches are still going in.
            self._check_compositions()
            if self.writing:
                self._events()
            self._counts()
            if self.writer is not None:
                self.writer.close()
            for name, value in planner.items():
                self._main("SELECT set_config(%s, %s, true)", [name, value])
            if immediate:
                self._main("SET CONSTRAINTS ALL DEFERRED")  # Django's foreign keys are INITIALLY DEFERRED
        finally:
            if self.writer is not None:
                self.writer.close(abandon=True)
            self.scratch.drop()
        order = {v.HOUSEHOLD_SHEET: 0, v.MEMBER_SHEET: 1}
        self.errors.sort(key=lambda e: (order.get(e.sheet, 2), e.row or 0))

    def _stream(self, src: SheetSource, handle, sheet: str) -> None:
        """Hand the sheet's rows to `handle` BATCH at a time (the last batch may be empty). (Parsing
        the next batch in a thread of its own while this one waits for the database made a city's
        import slower, one run each: 52.2 -> 54.9 s, 3.7 s more CPU time spent handing the
        interpreter's lock back and forth between two pure-Python threads.)"""
        batch: list = []
        for item in src.rows():
            batch.append(item)
            if len(batch) >= BATCH:
                self._handle(handle, sheet, batch)
                batch = []
        self._handle(handle, sheet, batch, last=True)

    def _handle(self, handle, sheet: str, batch: list, last: bool = False) -> None:
        if self.writer is not None:
            self.writer.next_batch()
        handle(batch)
        self._step(sheet, len(batch), last)

    def _step(self, sheet: str, n: int, last: bool = False) -> None:
        stage = (f"写入“{sheet}” / writing {'households' if sheet == '户' else 'members'}" if self.writing else
                 f"校验“{sheet}” / checking {'households' if sheet == '户' else 'members'}")
        self.progress(stage, n, last)

    # -- sheet 户 ------------------------------------------------------------------------------------
    def _household_batch(self, batch: list[tuple[int, dict]]) -> None:
        if not batch:
            return
        missing_reg = set(self.hh_src.missing_registered)
        parsed = []
        for row, raw in batch:
            f, errs = self.hp.parse(raw, row)
            if missing_reg:
                # A column required only for 建档立卡户 is missing: say so once for the file.
                for e in errs:
                    if e.column in missing_reg and e.code == E.E_REQUIRED and e.column not in self.missing_reported:
                        self.missing_reported.add(e.column)
                        self.err(v.HOUSEHOLD_SHEET, None, e.column, E.E_MISSING_COLUMN,
                                 f"工作表“户”缺少建档立卡户必填列“{e.column}” / sheet 户 lacks the column {e.column}")
                errs = [e for e in errs if not (e.column in missing_reg and e.code == E.E_REQUIRED)]
            self.errors.extend(errs)
            parsed.append((row, f, not errs))
        s = self.scratch
        numbers = [f["number"] for _, f, _ in parsed if f["number"]]
        earlier = dict(s.fetch_in(f"SELECT number, row FROM {s.hh} WHERE number {{in}}", set(numbers)))
        here: dict[str, int] = {}
        keep = []
        for row, f, ok in parsed:
            number = f["number"]
            if not number:
                continue
            first = earlier.get(number, here.get(number))
            if first is not None:
                self.err(v.HOUSEHOLD_SHEET, row, "户编号", E.E_DUP_HOUSEHOLD_NO,
                         f"户编号“{number}”与第 {first} 行重复 / household number repeats row {first}")
                continue
            here[number] = row
            keep.append((row, f, ok))
        candidates = [f["number"] for _, f, _ in keep]
        if self.side_reads and candidates:
            # which numbers are taken, asked without waiting for the import's connection; only those
            # are then read (and locked) in the import's transaction
            candidates = [r[0] for r in s.fetch_in(
                f"SELECT number FROM {Household._meta.db_table} WHERE number {{in}}", candidates)]
        qs = Household.objects.filter(number__any=candidates) if candidates else Household.objects.none()
        if not self.dry_run and not self.errors:
            qs = qs.select_for_update()
        existing: dict[str, Household] = {}
        outside: set[str] = set()
        for h in qs:
            if not in_scope(self.actor, h.village_id):
                # The number is taken by a household this user cannot see; do not reveal where.
                self.err(v.HOUSEHOLD_SHEET, here[h.number], "户编号", E.E_DUP_HOUSEHOLD_NO,
                         f"户编号“{h.number}”已被您管辖范围以外的户使用 / household number is used outside your areas")
                outside.add(h.number)
                continue
            existing[h.number] = h
        created_pk: dict[str, int | None] = {}
        if self.counting:
            created_pk = self._apply_households([f for _, f, ok in keep if ok], existing)
        rows = []
        for row, f, ok in keep:
            number = f["number"]
            h = existing.get(number)
            created = ok and h is None and number not in outside
            rows.append((number, row, h.pk if h is not None else created_pk.get(number),
                         h.village_id if h is not None else f["village_id"], f["head_name"], f["head_id_number"],
                         True, created))
        s.add_households(rows)
        s.flush_changes()

    def _apply_households(self, batch: list[dict], existing: dict[str, Household]) -> dict[str, int | None]:
        """Write (or, in a dry run, only compare) one batch of valid household rows; returns the
        pks of the households created (None in a dry run)."""
        now = timezone.now()
        make_audit = self._audit_rows()
        years = {f["income"]["year"] for f in batch}
        incomes = {(r.household_id, r.year): r for r in IncomeRecord.objects.filter(
            household_id__any=[h.pk for h in existing.values()], year__in=years)} if existing else {}
        new_hh, upd_hh, new_inc, upd_inc, entries = [], [], [], [], []
        created: list[dict] = []
        for f in batch:
            number, income = f["number"], f["income"]
            h = existing.get(number)
            if h is None:
                created.append(f)
                continue
            changes = []
            diff = [k for k in HOUSEHOLD_FIELDS if getattr(h, k) != f[k]]
            b = {k: audit.jsonable(getattr(h, k)) for k in diff}
            a = {k: audit.jsonable(f[k]) for k in diff}
            for k in diff:
                setattr(h, k, f[k])
            if a:
                h.head_initials = _initials(h.head_name)
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
                self.scratch.add_change(number, "；".join(changes))
        if self.dry_run:
            return {f["number"]: None for f in created}
        pks: dict[str, int | None] = {}
        values = [{k: f[k] for k in HOUSEHOLD_FIELDS} for f in created]  # each row's, and its audit's `after`
        if created:
            if self.pg:
                # ids taken from the table's own sequence, so the rows can be sent without reading them back
                ids = self.scratch.ids(Household, len(created), block=min(ID_BLOCK, self.hh_src.total))
                pks = {f["number"]: pk for f, pk in zip(created, ids, strict=True)}
            for f, fields in zip(created, values, strict=True):
                new_hh.append({"id": pks.get(f["number"]), "number": f["number"],
                               "head_initials": _initials(f["head_name"]), **fields})
        self.rows_hh.insert(new_hh, now)
        if created and not self.pg:
            pks = dict(Household.objects.filter(number__in=[f["number"] for f in created]).values_list("number", "pk"))
        for f, fields in zip(created, values, strict=True):
            number, income, village = f["number"], f["income"], f["village_id"]
            new_inc.append({"household_id": pks[number], **income})
            entries.append(make_audit("household.create", "household", number, village, after=self.after(fields)))
            entries.append(make_audit("income.set", "income", f"{number}/{income['year']}", village,
                                      after=self.after(income)))
        if upd_hh:
            Household.objects.bulk_update(upd_hh, HOUSEHOLD_FIELDS + ["head_initials", "version", "updated_at"],
                                          batch_size=1000)
        self.rows_inc.insert(new_inc, now)
        if upd_inc:
            IncomeRecord.objects.bulk_update(upd_inc, INCOME_FIELDS + ["updated_at"], batch_size=1000)
        self.rows_audit.insert(entries, now, shared=make_audit.shared)
        return pks

    def _audit_rows(self):
        """A function making audit rows for this batch. The actor, time, IP and job come from ONE
        fupin.core.audit.entry() (the single definition of an audit row's context), as
        `make.shared`, given once to Rows.insert for the whole batch; each row holds only what
        differs per change, so that 400,000 changes do not build 400,000 models (nor dicts of
        every column)."""
        base = audit.entry(actor=self.actor, action="", object_type="")
        varying = ("action", "object_type", "object_id", "area_code", "before", "after")
        shared = {f.attname: getattr(base, f.attname) for f in audit.AuditEntry._meta.concrete_fields
                  if not f.primary_key and f.attname not in varying}

        def make(action, object_type, object_id, area_code, before=None, after=None) -> dict:
            return {"action": action, "object_type": object_type, "object_id": str(object_id),
                    "area_code": area_code or "", "before": before, "after": after}
        make.shared = shared
        return make

    # -- sheet 人 ------------------------------------------------------------------------------------
    def _member_batch(self, batch: list[tuple[int, dict]]) -> None:
        if not batch:
            return
        s = self.scratch
        parsed = []
        for row, raw in batch:
            f, errs = self.mp.parse(raw, row)
            self.errors.extend(errs)
            id_ok = bool(f["id_number"]) and not any(e.column == "证件号码" for e in errs)
            parsed.append([row, f, errs, id_ok, False])
        ids = {p[1]["id_number"] for p in parsed if p[1]["id_number"]}
        earlier = dict(s.fetch_in(f"SELECT id_number, row FROM {s.m} WHERE first AND id_number {{in}}", ids))
        here: dict[str, int] = {}
        for p in parsed:
            row, f, errs = p[0], p[1], p[2]
            idn = f["id_number"]
            if not idn:
                continue
            first = earlier.get(idn, here.get(idn))
            if first is not None:
                errs.append(v.RowError(v.MEMBER_SHEET, row, "证件号码", E.E_DUP_ID_IN_FILE,
                                       f"证件号码与第 {first} 行重复 / the same ID number is on row {first}"))
                self.errors.append(errs[-1])
                p[3] = False
            else:
                here[idn] = row
                p[4] = True
        # the households these rows name: from sheet 户 (scratch), else from the system
        numbers = {p[1]["household_number"] for p in parsed if p[1]["household_number"]}
        info = {r[0]: r[1:] for r in s.fetch_in(
            f"SELECT number, pk, created, village, in_sheet FROM {s.hh} WHERE number {{in}}", numbers)}
        unsheeted = [n for n in numbers if n not in info]
        if unsheeted:
            found = {}
            if self.side_reads:
                stored = s.fetch_in(f"SELECT number, id, village_id, head_name FROM {Household._meta.db_table} "
                                    "WHERE number {in}", unsheeted)
            else:
                stored = Household.objects.filter(number__any=unsheeted).values_list("number", "pk", "village_id",
                                                                                    "head_name")
            for number, pk, village, head_name in stored:
                if in_scope(self.actor, village):
                    found[number] = (pk, village, head_name)
            rows = []
            for number in unsheeted:
                pk, village, head_name = found.get(number, (None, "", ""))
                info[number] = (pk, False, village, False)
                rows.append((number, None, pk, village, head_name, "", False, False))
            s.add_households(rows)
        # E_DUP_ID_IN_REGISTRY: active (在户) in ANOTHER household; the same household is an update.
        active = [(p[1]["id_number"], p[0], p[1]["household_number"]) for p in parsed
                  if p[3] and p[1]["household_number"] and p[1]["state"] == PRESENT]
        if active:
            ids = [idn for idn, _, _ in active]
            holders = s.active_holders(ids) if self.side_reads else active_holders(ids)
            for idn, row, number in active:
                held = holders.get(idn)
                if held is not None and held[1] != number:
                    self.err(v.MEMBER_SHEET, row, "证件号码", E.E_DUP_ID_IN_REGISTRY,
                             f"此人已是户“{held[1]}”的在户成员 / this person is already a member of household {held[1]}")
        for p in parsed:
            number = p[1]["household_number"]
            if number and info[number][0] is None and not info[number][3]:
                self.err(v.MEMBER_SHEET, p[0], "户编号", E.E_UNKNOWN_HOUSEHOLD,
                         f"户编号“{number}”既不在“户”表中，也不在系统中 / household {number} is neither in sheet 户 "
                         "nor in the system")
        s.insert(s.m, "row, number, id_number, relation, name, state, first",
                 [(p[0], p[1]["household_number"], p[1]["id_number"], p[1]["relation"], p[1]["name"], p[1]["state"],
                   p[4]) for p in parsed])
        if self.counting:
            self._apply_members([p[1] for p in parsed if not p[2] and p[1]["household_number"]], info)
        s.flush_changes()

    def _apply_members(self, batch: list[dict], info: dict[str, tuple]) -> None:
        now = timezone.now()
        make_audit = self._audit_rows()
        lookup_pks = {info[f["household_number"]][0] for f in batch if not info[f["household_number"]][1]}
        # Stored members as plain tuples: model instances are built only for the few that change.
        existing: dict[tuple[int, str], tuple] = {}
        if lookup_pks:
            ids = [f["id_number"] for f in batch if not info[f["household_number"]][1]]
            for values in Member.objects.filter(household_id__any=lookup_pks, id_number__any=ids).order_by(
                    "id").values_list("pk", "household_id", "state", *MEMBER_FIELDS):
                key = (values[1], values[MEMBER_ID_AT])
                # Prefer the person's 在户 row when the household also keeps an old 迁出/死亡 row.
                if key not in existing or values[2] == PRESENT:
                    existing[key] = values
        new_m, upd_m, entries = [], [], []
        new_counts: dict[str, int] = {}
        write = not self.dry_run
        for f in batch:
            number = f["household_number"]
            pk, is_new_hh, village, _ = info[number]
            m = None if is_new_hh else existing.get((pk, f["id_number"]))
            if m is None:
                self.result.members_created += 1
                if not is_new_hh:
                    new_counts[number] = new_counts.get(number, 0) + 1
                if write:
                    # the row's values, and its audit row's `after` with the keys in the order the
                    # single path writes them (json keeps it)
                    values = {k: f[k] for k in MEMBER_FIELDS}
                    new_m.append({"household_id": pk, "name_initials": _initials(f["name"]), **values})
                    entries.append(make_audit("member.create", "member", number, village, after=self.after(values)))
                continue
            stored = dict(zip(MEMBER_FIELDS, m[3:], strict=True))
            diff = [k for k in MEMBER_FIELDS if stored[k] != f[k]]
            if diff:
                b = {k: audit.jsonable(stored[k]) for k in diff}
                a = {k: audit.jsonable(f[k]) for k in diff}
                obj = Member(pk=m[0], household_id=pk, name_initials=_initials(f["name"]), updated_at=now,
                             **{k: f[k] for k in MEMBER_FIELDS})
                upd_m.append(obj)
                self.result.members_changed += 1
                entries.append(make_audit("member.update", "member", number, village, b, a))
                self.scratch.add_change(number, f"成员 {f['name']}")
        for number, n in new_counts.items():
            self.scratch.add_change(number, f"新增成员 {n} 人")
        if write:
            self.rows_m.insert(new_m, now)
            if upd_m:
                Member.objects.bulk_update(upd_m, MEMBER_FIELDS + ["name_initials", "updated_at"], batch_size=1000)
            self.rows_audit.insert(entries, now, shared=make_audit.shared)

    # -- whole households ----------------------------------------------------------------------------
    def _households_in_order(self, where: str = "1 = 1"):
        """Chunks of (seq, number, row, pk, head_name, head_id, in_sheet, created) in the file's order."""
        s, last = self.scratch, 0
        while True:
            chunk = s.fetch(f"SELECT seq, number, row, pk, head_name, head_id, in_sheet, created FROM {s.hh} "
                            f"WHERE seq > %s AND {where} ORDER BY seq LIMIT {BATCH}", [last])
            if not chunk:
                return
            yield chunk
            last = chunk[-1][0]

    def _check_compositions(self) -> None:
        """Heads and emptiness over the household as it will be after the import: the file's
        member rows plus, for a household already in the system, its stored members that the file
        does not mention (they are left as they are). When the household has 在户 members only they
        count, so that a deceased former head next to a new head is not a second head."""
        s = self.scratch
        for chunk in self._households_in_order():
            numbers = [r[1] for r in chunk]
            counts = {number: (total, active or 0) for number, total, active in s.fetch_in(
                f"SELECT number, count(*), sum(CASE WHEN state = %s THEN 1 ELSE 0 END) FROM {s.m} "
                f"WHERE number {{in}} GROUP BY number", numbers, (PRESENT,))}
            file_heads: dict[str, list[tuple]] = {}
            for number, row, name, idn, state in s.fetch_in(
                    f"SELECT number, row, name, id_number, state FROM {s.m} WHERE relation = %s AND number {{in}} "
                    "ORDER BY row", numbers, (HEAD,)):
                file_heads.setdefault(number, []).append((row, name, idn, state))
            kept: dict[int, list[tuple]] = {}
            # A household this import creates has no stored member that is not in the file.
            pks = [r[3] for r in chunk if r[3] is not None and not r[7]]
            if pks:
                # the registry on the import's connection, the file's ID numbers from the scratch tables
                stored = list(Member.objects.filter(household_id__any=pks).order_by("household_id", "id").values_list(
                    "household_id", "id_number", "name", "relation", "state"))
                in_file = {r[0] for r in s.fetch_in(f"SELECT DISTINCT id_number FROM {s.m} WHERE id_number {{in}}",
                                                    {x[1] for x in stored})}
                for hid, idn, name, relation, state in stored:
                    if idn not in in_file:
                        kept.setdefault(hid, []).append((name, idn, relation, state))
            for _seq, number, hh_row, pk, head_name, head_id, in_sheet, _created in chunk:
                if pk is None and not in_sheet:
                    continue  # unknown household, already reported
                stored = kept.get(pk, []) if pk is not None else []
                if stored and in_sheet:
                    names = "、".join(f"{name}（{mask(idn)}）" for name, idn, _, _ in stored[:10])
                    more = "等" if len(stored) > 10 else ""
                    self.result.warnings.append(
                        f"户“{number}”有 {len(stored)} 名成员不在文件中，保持不变：{names}{more} / "
                        f"household {number}: {len(stored)} member(s) not in the file were left as they are")
                n_total_file, n_active_file = counts.get(number, (0, 0))
                n_active = n_active_file + sum(1 for x in stored if x[3] == PRESENT)
                heads = [(None, name, idn, state) for name, idn, rel, state in stored if rel == HEAD]
                heads += file_heads.get(number, [])
                n_total = n_total_file + len(stored)
                if n_active:
                    heads = [h for h in heads if h[3] == PRESENT]
                    others = n_active - len(heads)
                else:
                    others = n_total - len(heads)
                members = [(row, {"relation": HEAD, "name": name, "id_number": idn}) for row, name, idn, _ in heads]
                if others > 0:
                    members.append((None, {"relation": ""}))  # stands for the non-head members: only their count matters
                hh_fields = {"number": number, "head_name": head_name or "", "head_id_number": head_id or ""}
                errs = v.check_composition(hh_fields, hh_row, members)
                if not in_sheet:
                    # The household row is not in this file: only a second head among the new rows is the file's fault.
                    errs = [e for e in errs if e.code == E.E_MULTIPLE_HEADS]
                self.errors.extend(errs)
            if self.writing:
                # the events of the chunk's created households now, from these counts, rather than in a
                # second pass over the file's households at the end (if a later household fails its
                # check, all is rolled back); after this chunk's look-ups, which would otherwise wait
                # behind the events' COPY on the import's connection
                self._created_events(chunk, counts)

    @functools.cached_property
    def _event_row(self):
        """A function making the row of one timeline event (services.event) of this import. One
        services.event() per kind gives the shape of the row (actor, time, type); the rest differs
        per household. Building 130,000 model instances would cost more than the insert."""
        job_id = audit.current().get("job_id")
        fields = [f.attname for f in HouseholdEvent._meta.concrete_fields if not f.primary_key]
        templates = {}
        for kind in ("created", "updated"):
            ev = event(Household(pk=0, number=""), self.actor, kind, "")
            templates[kind] = {k: getattr(ev, k) for k in fields}

        def row(kind: str, pk: int, message: str, **parameters) -> dict:
            return {**templates[kind], "household_id": pk, "message": message[:300],
                    "parameters": {"source": "import", "job": job_id, **parameters}}
        return row

    def _created_events(self, chunk: list[tuple], counts: dict[str, tuple[int, int]]) -> None:
        """The events of the households of `chunk` (_households_in_order) that this import creates,
        given their member counts: made during _check_compositions, which has just counted them."""
        events = []
        for _seq, number, _row, pk, head_name, _hid, _in, created in chunk:
            if created:
                n = counts.get(number, (0, 0))[0]
                events.append(self._event_row("created", pk, f"导入建档：户主 {head_name}，{n} 人", members=n))
        self._send_events(events, timezone.now())

    def _events(self) -> None:
        """One timeline event per changed household (services.event); those of the created ones
        are made by _check_compositions (_created_events)."""
        s = self.scratch
        now = timezone.now()
        row = self._event_row
        # changed households: their notes in the order they were made, grouped by 户编号
        events: list[dict] = []
        key: tuple = ("", 0)
        current, hpk, notes = None, None, []
        while True:
            chunk = s.fetch(f"SELECT c.number, c.seq, h.pk, c.note FROM {s.chg} c JOIN {s.hh} h ON h.number = c.number "
                            f"WHERE c.number > %s OR (c.number = %s AND c.seq > %s) ORDER BY c.number, c.seq "
                            f"LIMIT {BATCH * 5}", [key[0], key[0], key[1]])
            if not chunk:
                break
            key = (chunk[-1][0], chunk[-1][1])
            for number, _seq, pk, note in chunk:
                if number != current:
                    if current is not None:
                        events.append(row("updated", hpk, "导入修改：" + "；".join(notes)))
                    current, hpk, notes = number, pk, []
                notes.append(note)
            if len(events) >= BATCH:
                self._send_events(events, now)
                events = []
        if current is not None:
            events.append(row("updated", hpk, "导入修改：" + "；".join(notes)))
        self._send_events(events, now)

    def _send_events(self, events: list[dict], now) -> None:
        if self.writer is not None:
            self.writer.next_batch()
        self.rows_event.insert(events, now)

    def _counts(self) -> None:
        r = self.result
        if self.errors:
            r.created = r.changed = r.unchanged = r.members_created = r.members_changed = 0
            return
        s = self.scratch
        r.created = s.fetch(f"SELECT count(*) FROM {s.hh} WHERE created")[0][0]
        r.changed = s.fetch(f"SELECT count(DISTINCT number) FROM {s.chg}")[0][0]
        r.unchanged = s.fetch(f"SELECT count(*) FROM {s.hh} h WHERE in_sheet AND NOT created AND NOT EXISTS "
                              f"(SELECT 1 FROM {s.chg} c WHERE c.number = h.number)")[0][0]


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
        conn = transaction.get_connection(imp.conn.alias)
        imp.side_reads = imp.pg and not conn.in_atomic_block and conn.get_autocommit()
        switch, thresholds = sys.getswitchinterval(), gc.get_threshold()
        # The rows, dicts and tuples of an import are freed by reference counting as each batch
        # goes, but every 700 allocations (Python's default) the cyclic collector still walks the
        # young ones, and each tenth of those passes the older ones too: 7,000 passes and 13 % of
        # the Python CPU time at 130,000 households. Rarer passes still collect any cycle
        # (memory stays bounded: bench/import_bench.py's 2N run), for this import only.
        gc.set_threshold(max(GC_THRESHOLD, thresholds[0]), *thresholds[1:])
        if imp.pg:
            # The COPY thread needs the GIL back each time the socket to the server has room again,
            # while the main thread keeps it for up to the switch interval (5 ms): the server then
            # waits for data. Feeding 83 MB of rows to COPY beside a busy Python thread took 2.7 s
            # at 5 ms, 1.8 s at 0.5 ms, 1.2 s with no busy thread (bench/README.md, import).
            sys.setswitchinterval(SWITCH_INTERVAL)
        try:
            with transaction.atomic(using=imp.conn.alias):
                imp.run()
                if dry_run or imp.errors:
                    # a dry run, or a file with errors: whatever was written on the way is undone
                    transaction.set_rollback(True, using=imp.conn.alias)
        finally:
            sys.setswitchinterval(switch)
            gc.set_threshold(*thresholds)
    return imp.result
