"""Bulk writes of new rows for the registry import (fupin.registry.importer).

- Rows: fast INSERT of many rows of one model (COPY on PostgreSQL, executemany elsewhere),
  bypassing the ORM's per-value SQL compiler.
- CopyWriter: sends COPY payloads from a second thread over the import's own connection, so that
  PostgreSQL ingests one batch while Python prepares the next.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import operator
import queue
import threading

import orjson
from django.db import connections, models, router

from fupin.core import audit


def sequence_ids(cursor, model, n: int) -> list[int]:
    """n new primary keys of `model` taken from its table's sequence (PostgreSQL), so that rows can
    be COPYed with their keys and need not be read back."""
    cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                   [model._meta.db_table, n])
    return [r[0] for r in cursor.fetchall()]


class Rows:
    """Fast INSERT of many rows of one model, bypassing the ORM's per-value SQL compiler, which
    dominates a bulk_create of hundreds of thousands of rows.

    Every concrete field is written, taking the field's default when a row does not give it, so a
    column added to a model later with a default keeps working. PostgreSQL gets COPY in its text
    format, written by a function compiled once per shape of row (_compile_copy) that formats each
    column by its field's type (JSON by _json, dates ISO with time zone, booleans t/f); other
    databases get executemany with values prepared as the ORM prepares them
    (Field.get_db_prep_save). With a `writer`, the COPY is handed to it (sent by its thread)
    instead of being sent here. `with_pk`: rows carry their own primary key (taken from the
    table's sequence beforehand)."""

    _CONVERT = (models.JSONField, models.DateField, models.DecimalField)  # DateTimeField is a DateField

    def __init__(self, model, writer: CopyWriter | None = None, with_pk: bool = False):
        self.model, self.writer = model, writer
        self.conn = connections[router.db_for_write(model)]
        self.pg = self.conn.vendor == "postgresql"
        self.fields = [f for f in model._meta.concrete_fields if with_pk or not isinstance(f, models.AutoField)]
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
        self.table = self.conn.ops.quote_name(model._meta.db_table)
        self.cols = ", ".join(self.conn.ops.quote_name(c) for c in self.columns)
        # (fields a batch's first row gives, fields given as shared) -> its formatter
        self._lines: dict[tuple[tuple[int, ...], tuple[int, ...]], object] = {}
        if not self.pg:
            self._format = self._compile()

    def _shared_text(self, i: int, value) -> str:
        """Field i's value as _compile_copy's lines write it: its column's _copy_format (the
        plan's conversion on PostgreSQL), NULL as _NUL; unescaped."""
        return _NUL if value is None else self.plan[i][1](value)

    def _compile(self):
        """One straight-line function turning a row dict into the list of column values (a loop
        over the plan per value costs more than the COPY itself for 400,000 rows)."""
        ns: dict = {"NULL": None}
        items = []
        for i, (f, (attname, conv, default, auto_now)) in enumerate(zip(self.fields, self.plan, strict=True)):
            ns[f"D{i}"], ns[f"C{i}"] = default, conv
            src = f"g({attname!r}, now)" if auto_now else f"g({attname!r}, D{i})"
            if conv is None:
                items.append(src)  # None is NULL as it is
            elif isinstance(f, models.DateTimeField):
                items.append(f"stamp({i}, {src})")  # a batch shares its timestamps: converted once
            else:
                items.append(f"(NULL if (x := {src}) is None else C{i}(x))")
        code = "def fmt(d, now, stamp):\n    g = d.get\n    return [" + ", ".join(items) + "]\n"
        exec(code, ns)  # noqa: S102 — code built above from the model's own field names
        return ns["fmt"]

    def _compile_copy(self, given: tuple[int, ...], shared: tuple[int, ...] = ()):
        """One straight-line function turning a batch of row dicts into their COPY lines (values
        joined by the stand-ins _SEP, NULL as _NUL, unescaped: _copy_text escapes the batch).

        `shared`: the fields whose value is the same for every row of the batch (Rows.insert's
        `shared`), written once per batch and put in each line as text.

        `given`: the fields the batch's first row has, and nothing else. A row with exactly those
        keys (as many keys, and each of them there) has its values taken in one C call
        (operator.itemgetter) and the others set to their defaults; any other row takes every value
        by dict.get, with the same result. Each value is then written inline by its field's type
        (text by str, booleans t/f, dates ISO, JSON by _json); a timestamp column is converted
        once per distinct value object (a batch shares its timestamps)."""
        ns: dict = {"NUL": _NUL, "JSON": _json, "UNSEEN": object()}
        shared_set = set(shared)
        if given:
            ns["ig"] = operator.itemgetter(*(self.plan[i][0] for i in given))
        n = len(self.plan)
        names = [f"a{i}" for i in range(n)]
        fill = [f"a{i} = now" if auto_now else f"a{i} = D{i}"
                for i, (_, _, _, auto_now) in enumerate(self.plan) if i not in given and i not in shared_set]
        fetch = ", ".join(names[i] for i in given)  # one key: itemgetter gives the value itself
        lines = ["def fmt(dicts, now, K):", "    out = []", "    append = out.append"]
        stamps, cells = [], []
        for i, (f, (attname, conv, default, auto_now)) in enumerate(zip(self.fields, self.plan, strict=True)):
            ns[f"D{i}"], ns[f"C{i}"] = default, conv
            a = names[i]
            if i in shared_set:
                lines.append(f"    k{i} = K[{i}]")  # already text
                cells.append(f"{{k{i}}}")
            elif isinstance(f, models.DateTimeField):
                lines.append(f"    p{i}, t{i} = UNSEEN, NUL")  # the last value seen and its text
                stamps.append(f"        if {a} is not p{i}:\n"
                              f"            p{i}, t{i} = {a}, NUL if {a} is None else C{i}({a})")
                cells.append(f"{{t{i}}}")
            elif isinstance(f, models.JSONField):
                cells.append(f"{{NUL if {a} is None else JSON({a})}}")
            elif isinstance(f, models.BooleanField):
                cells.append(f"{{NUL if {a} is None else 't' if {a} else 'f'}}")
            elif isinstance(f, models.DateField):
                cells.append(f"{{NUL if {a} is None else {a}.isoformat()}}")
            else:
                cells.append(f"{{NUL if {a} is None else {a}!s}}")
        get = [f"{names[i]} = g({attname!r}, {'now' if auto_now else f'D{i}'})"
               for i, (attname, _, _, auto_now) in enumerate(self.plan) if i not in shared_set]
        lines += ["    for d in dicts:",
                  "        try:",
                  f"            if len(d) != {len(given)}:",
                  "                raise KeyError",
                  *([f"            {fetch} = ig(d)"] if given else []),
                  *(f"            {s}" for s in fill),
                  "        except KeyError:",
                  "            g = d.get",
                  *(f"            {s}" for s in get),
                  *stamps,
                  '        append(f"' + "\\x00".join(cells) + '")',
                  "    return out"]
        exec("\n".join(lines) + "\n", ns)  # noqa: S102 — code built above from the model's own field names
        return ns["fmt"]

    def insert(self, dicts: list[dict], now, shared: dict | None = None) -> None:
        """Write rows given as dicts of field values (attnames); a field a row does not give takes
        its default, an auto_now field `now`. `shared`: values of fields that every row of this
        batch has alike (an audit row's actor, time and IP), given once instead of in each dict
        (where a row's own value for such a field would be ignored)."""
        if not dicts:
            return
        shared = shared or {}
        common = tuple(i for i, p in enumerate(self.plan) if p[0] in shared)
        if len(common) != len(shared):
            raise ValueError(f"{self.model.__name__} has no field {sorted(set(shared) - {p[0] for p in self.plan})}")
        if self.pg:
            first = dicts[0]
            given = tuple(i for i, p in enumerate(self.plan) if p[0] in first and i not in common)
            if len(given) != len(first):
                given = ()  # the first row has keys that are no field's (or shared ones): no fast path
            fmt = self._lines.get((given, common))
            if fmt is None:
                fmt = self._lines[(given, common)] = self._compile_copy(given, common)
            texts = {i: self._shared_text(i, shared[self.plan[i][0]]) for i in common}
            sql = f"COPY {self.table} ({self.cols}) FROM STDIN"
            data = _copy_text(fmt(dicts, now, texts))
            if self.writer is not None:
                self.writer.submit(sql, data)
                return
            with self.conn.cursor() as cursor, cursor.cursor.copy(sql) as copy:
                copy.write(data)
            return
        seen: dict[int, tuple] = {}

        def stamp(i, value):
            if value is None:
                return None
            got = seen.get(i)
            if got is None or got[0] is not value:
                got = seen[i] = (value, self.plan[i][1](value))
            return got[1]

        fmt = self._format
        rows = [fmt({**shared, **d} if shared else d, now, stamp) for d in dicts]
        marks = ", ".join(["%s"] * len(self.columns))
        with self.conn.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {self.table} ({self.cols}) VALUES ({marks})", rows)


# jsonb keeps the value, not the text: compact, unescaped UTF-8 is as good and much faster to make.
# Values JSON cannot write itself (dates, Decimals) are written as audit.jsonable writes them, so a
# dict of field values goes to COPY as it is, without first being copied into a jsonable dict.
# orjson writes it (dates too are handed to audit.jsonable, not written by orjson's own rules); what
# orjson refuses (an int beyond 64 bits, a key that is not a str, …) goes to the standard library's C
# encoder, made once and called directly (JSONEncoder.encode makes a new one per value). That one keeps
# no record of the containers it is in (markers None), so that a failed value leaves nothing behind
# for the next one; a circular value fails as deep recursion.
_encoder = json.encoder.c_make_encoder and json.encoder.c_make_encoder(
    None, audit.jsonable, json.encoder.encode_basestring, None, ":", ",", False, False, True)
_std_json = (lambda value: "".join(_encoder(value, 0))) if _encoder is not None else (  # no C accelerator
    json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=audit.jsonable).encode)


# audit.jsonable for the values orjson hands over, the common types found without its isinstance chain
_JSONABLE = {decimal.Decimal: str, dt.date: dt.date.isoformat, dt.datetime: dt.datetime.isoformat}


def _default(value, get=_JSONABLE.get, jsonable=audit.jsonable):
    f = get(value.__class__)
    return jsonable(value) if f is None else f(value)


def _json(value, dumps=orjson.dumps, default=_default, option=orjson.OPT_PASSTHROUGH_DATETIME) -> str:
    try:
        return dumps(value, default, option).decode()
    except orjson.JSONEncodeError:
        return _std_json(value)


# COPY text format: values are joined with stand-ins that no cell can hold (clean() removes control
# characters, JSON escapes them), and the whole batch is escaped at once instead of value by value.
_SEP, _EOL, _NUL = "\x00", "\x01", "\x02"
_SEPARATORS = bytes.maketrans(b"\x00\x01", b"\t\n")


def _copy_text(lines: list[str]) -> bytes:
    """The COPY payload of rows written by Rows._compile_copy (values joined by _SEP).

    Escaped and separated as UTF-8 bytes, where a search for one byte is a memchr and the stand-ins
    (ASCII, so never part of a multi-byte character) are swapped in one translate; the escaping
    passes run only when the batch holds a character to escape, which imported rows rarely do."""
    data = (_EOL.join(lines) + _EOL).encode()
    if b"\\" in data or b"\t" in data or b"\n" in data or b"\r" in data:
        data = data.replace(b"\\", b"\\\\").replace(b"\t", b"\\t").replace(b"\n", b"\\n").replace(b"\r", b"\\r")
    return data.translate(_SEPARATORS).replace(b"\x02", b"\\N")


_TUPLE_LINES: dict[int, object] = {}


def tuple_copy_payload(rows: list[tuple]) -> bytes:
    """The COPY payload (text format) of rows given as tuples of str, int, bool and None, in the
    table's column order: psycopg's copy.write_row costs ~5 µs a row in Python around its C
    formatting; a comprehension compiled once per row length writes the same text in one pass."""
    if not rows:
        return b""
    n = len(rows[0])
    fmt = _TUPLE_LINES.get(n)
    if fmt is None:
        names = [f"a{i}" for i in range(n)]
        cells = [f"{{NUL if {a} is None else 't' if {a} is True else 'f' if {a} is False else {a}}}" for a in names]
        line = "\\x00".join(cells)  # the stand-in _SEP, written as an escape in the code
        target = ", ".join(names) + ("," if n == 1 else "")
        code = f'def fmt(rows):\n    return [f"{line}" for {target} in rows]\n'
        ns: dict = {"NUL": _NUL}
        exec(code, ns)  # noqa: S102 — code built above from the row length only
        fmt = _TUPLE_LINES[n] = ns["fmt"]
    return _copy_text(fmt(rows))


def _copy_format(f):
    """How one column's non-NULL values are written in PostgreSQL's COPY text format (unescaped)."""
    if isinstance(f, models.JSONField):
        return _json
    if isinstance(f, models.BooleanField):
        return lambda v: "t" if v else "f"
    if isinstance(f, models.DateField):  # and DateTimeField: isoformat keeps the time zone
        return lambda v: v.isoformat()
    return str  # text, numbers, foreign keys


_PLAIN = (str, int, bool, type(None))


def jsonable(values: dict) -> dict:
    """audit.jsonable for a flat dict, without a call for the values that are already plain."""
    return {k: x if isinstance(x, _PLAIN) else audit.jsonable(x) for k, x in values.items()}


class CopyWriter:
    """Sends COPY payloads from a second thread over the SAME database connection, so inside the
    import's one transaction, while the main thread reads and checks the next batch: PostgreSQL
    (on the other core) ingests batch k while Python prepares batch k+1. psycopg serialises the
    use of one connection by a lock, so a query from the main thread waits for the COPY in flight.

    To keep those waits short, a batch's payloads are HELD until the next batch has made its
    queries (next_batch() marks where a batch starts; its first submit() releases what earlier
    batches held): the COPY of batch k then runs while Python builds batch k+1's rows and parses
    batch k+2, instead of in front of batch k+1's look-ups. This is safe because no look-up of a
    later batch reads what an earlier batch wrote to the registry (the file's own rows are checked
    against the scratch tables); drain() sends everything and waits for it. Payloads are queued in
    order; at most two batches are held.

    `hold=False`: when the main thread's look-ups while batches stream go to another connection
    (the importer's second one; what stays here is rare: locking households already in the
    system, updating stored rows), holding would only delay the server:
    payloads are queued as they come, up to QUEUED of them (bounded memory; the main thread waits
    when the server is that far behind)."""

    QUEUED = 12

    def __init__(self, raw_connection, hold: bool = True):
        self.raw, self.hold = raw_connection, hold
        self.queue: queue.Queue = queue.Queue(maxsize=4 if hold else self.QUEUED)
        self.error: BaseException | None = None
        self.abandoned = False
        self.held: list[tuple[str, bytes]] = []  # this batch's payloads
        self.earlier: list[tuple[str, bytes]] = []  # earlier batches' payloads, sent at this batch's first submit
        self.thread = threading.Thread(target=self._run, name="fupin-import-copy", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            item = self.queue.get()
            try:
                if item is None:
                    return
                if self.error is not None or self.abandoned:
                    continue
                sql, data = item
                try:
                    with self.raw.cursor() as cursor, cursor.copy(sql) as copy:
                        copy.write(data)
                except BaseException as exc:  # noqa: BLE001 — handed to the main thread
                    self.error = exc
            finally:
                self.queue.task_done()

    def next_batch(self) -> None:
        self.earlier += self.held
        self.held = []

    def _release(self) -> None:
        for item in self.earlier:
            self.queue.put(item)
        self.earlier = []

    def submit(self, sql: str, data: bytes) -> None:
        self.check()
        if not self.hold:
            self.queue.put((sql, data))
            return
        self._release()
        self.held.append((sql, data))

    def drain(self) -> None:
        """Send everything held and wait until it is in."""
        self.next_batch()
        self._release()
        self.queue.join()
        self.check()

    def check(self) -> None:
        if self.error is not None:
            raise self.error

    def close(self, *, abandon: bool = False) -> None:
        """Wait until every payload is in (or, abandoning, dropped); raise the first failure."""
        if self.thread.is_alive():
            self.abandoned = abandon
            if not abandon:
                self.next_batch()
                self._release()
            self.earlier = self.held = []
            self.queue.put(None)
            self.thread.join()
        if not abandon:
            self.check()
