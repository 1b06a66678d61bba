"""Assessment runs (domain.md section 6): one household on its page, an area in bulk.

Bulk runs store their results per run and year (never overwritten). The run row is committed
first with status running; its results are inserted in one transaction that also marks it
succeeded, so a run killed part way leaves no result rows and the earlier runs of that year
remain the ones the office sees. A re-run simply completes.
"""

import datetime as dt
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from fupin.accounts.access import access_area
from fupin.areas.models import Area
from fupin.core import audit
from fupin.core.errors import ApplicationError, NotFound, PermissionDenied
from fupin.core.errors import ErrorCode as E
from fupin.policy import rules
from fupin.policy.facts import BulkRow, household_facts, iter_bulk_facts
from fupin.policy.models import AssessmentRun, HouseholdResult, MonitoringResult
from fupin.policy.packs import Pack
from fupin.registry.choices import HouseholdKind, Status

NOT_EXITED = (Status.NOT_EXITED.value, Status.RETURNED.value)
MONITORED_STATUSES = (Status.EXITED.value, Status.MONITORED.value)

Progress = Callable[[int, int, str], None]


def assessment_date(year: int, day: dt.date | None = None) -> dt.date:
    """31 December of the year unless the user picks another date (domain.md section 6)."""
    return day or dt.date(year, 12, 31)


def area_for(actor, code: str | None) -> Area:
    """The area a run covers; outside the actor's scope it does not exist (domain.md section 1)."""
    if not code:
        from fupin.accounts.access import area_ranges

        ranges = area_ranges(actor)
        if not getattr(actor, "is_superuser", False) and not ranges:
            raise NotFound("您没有管辖区域 / you have no areas")
        if getattr(actor, "is_superuser", False):
            area = Area.objects.filter(parent__isnull=True).order_by("code").first()
            if area is None:
                raise ApplicationError(E.E_INVALID, "尚未导入行政区划 / no areas loaded")
            return area
        code = ranges[0][0]
    return access_area(actor, code)


# --- one household ----------------------------------------------------------------------------

@dataclass(frozen=True)
class ExitVerdict:
    year: int
    day: dt.date
    pack: Pack
    facts: rules.HouseholdFacts
    reasons: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.reasons

    @property
    def per_capita(self):
        return rules.per_capita(self.facts)

    @property
    def line(self):
        return self.pack.line(self.year)


def household_exit(household, *, year: int, pack: Pack, day: dt.date | None = None) -> ExitVerdict:
    """6.1 for one household (its page): the same rule as the bulk run, on ORM objects."""
    day = assessment_date(year, day)
    facts = household_facts(household, day=day, pack=pack, income_years=(year,))
    return ExitVerdict(year, day, pack, facts, rules.exit_reasons(facts, pack, year))


def household_monitoring(household, *, day: dt.date, pack: Pack) -> rules.MonitoringVerdict | None:
    """6.5 for one household, or None for a registered household still 未脱贫 or 返贫: it is under
    poverty assistance, not monitoring (the bulk run leaves it out the same way)."""
    if household.kind == HouseholdKind.REGISTERED and household.status not in MONITORED_STATUSES:
        return None
    facts = household_facts(household, day=day, pack=pack, income_years=(day.year, day.year - 1))
    return rules.monitoring(facts, pack, day.year, exited=household.kind == HouseholdKind.REGISTERED,
                            monitored=household.status == Status.MONITORED)


# --- bulk -------------------------------------------------------------------------------------

class ResultWriter:
    """Inserts result rows in batches: COPY on PostgreSQL, executemany elsewhere."""

    def __init__(self, model, columns: list[str]):
        self.table = connection.ops.quote_name(model._meta.db_table)
        self.columns = columns
        self.pg = connection.vendor == "postgresql"

    def write(self, rows: list[tuple]) -> None:
        if not rows:
            return
        cols = ", ".join(self.columns)
        with connection.cursor() as cur:
            if self.pg:
                text = "".join("\t".join("\\N" if v is None else ("t" if v is True else "f" if v is False else str(v))
                                         for v in r) + "\n" for r in rows)
                with cur.cursor.copy(f"COPY {self.table} ({cols}) FROM STDIN") as copy:
                    copy.write(text.encode())
            else:
                marks = ", ".join(["%s"] * len(self.columns))
                cur.executemany(f"INSERT INTO {self.table} ({cols}) VALUES ({marks})", rows)


def run_start(*, actor, kind: str, year: int, day: dt.date, area: Area, pack: Pack, include_exited=False,
               job=None) -> AssessmentRun:
    """The run row, committed at once with the process that runs it (so that a run whose process
    was killed can be told from one still going, see _sweep_interrupted)."""
    import os
    import socket

    _sweep_interrupted()
    return AssessmentRun.objects.create(kind=kind, year=year, as_of=day, area=area, include_exited=include_exited,
                                        pack_name=pack.name, pack_version=pack.version, pack_sha256=pack.sha256,
                                        actor=actor, job=job,
                                        counts={"pid": os.getpid(), "host": socket.gethostname()})


def _sweep_interrupted() -> int:
    """Runs left 'running' by a process of this machine that no longer exists (killed, or the
    machine restarted) are marked failed and their rows removed. Their rows were never read —
    readers take succeeded runs only — this just keeps the run list and the table truthful."""
    import os
    import socket

    host, swept = socket.gethostname(), 0
    for run in AssessmentRun.objects.filter(status=AssessmentRun.Status.RUNNING):
        pid = (run.counts or {}).get("pid")
        if (run.counts or {}).get("host") != host or not isinstance(pid, int):
            continue
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            run_fail(run)
            swept += 1
        except PermissionError:  # alive, someone else's process
            pass
    return swept


def run_finish(run: AssessmentRun, counts: dict, *, actor, action: str) -> None:
    run.status, run.finished_at, run.counts = AssessmentRun.Status.SUCCEEDED, timezone.now(), counts
    run.save(update_fields=["status", "finished_at", "counts"])
    audit.record(actor=actor, action=action, object_type="policy.AssessmentRun", object_id=run.pk,
                 area_code=run.area_id, after={"year": run.year, "as_of": run.as_of, "pack": f"{run.pack_name} "
                                               f"{run.pack_version}", "sha256": run.pack_sha256, **counts})


def run_fail(run: AssessmentRun) -> None:
    """Mark the run failed and remove any result rows it wrote: the parallel path commits each
    worker's slice on its own, so a run failing in one worker would otherwise keep the others'."""
    with connection.cursor() as cur:
        for model in (HouseholdResult, MonitoringResult):
            cur.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)} WHERE run_id = %s", [run.pk])
    AssessmentRun.objects.filter(pk=run.pk).update(status=AssessmentRun.Status.FAILED, finished_at=timezone.now())


@contextmanager
def failing_run(run: AssessmentRun):
    """Whatever goes wrong inside marks the run failed (and removes its rows), then propagates."""
    try:
        yield run
    except BaseException:
        run_fail(run)
        raise


def _count(area: Area, kinds, statuses) -> int:
    from fupin.areas.models import code_range
    from fupin.registry.models import Household

    lo, hi = code_range(area.code, area.level)
    qs = Household.objects.filter(village_id__gte=lo, village_id__lte=hi, kind__in=kinds)
    if statuses:
        qs = qs.filter(status__in=statuses)
    return qs.count()


def assessment_job_start(*, actor, kind: str, area: str, year: str = "", date: str = "",
                         include_exited: bool = False):
    """Queue a bulk household-exit or monitoring run as a Celery job (after commit). City and
    county offices (and admins) only; the area must lie inside the actor's areas (404 otherwise)."""
    from fupin.jobs.services import job_create
    from fupin.policy.selectors import can_run_assessments
    from fupin.policy.tasks import run_assessment

    if not can_run_assessments(actor):
        raise PermissionDenied("只有市、县扶贫办可以批量评估 / only city and county offices run bulk assessments")
    if not area:
        raise NotFound()
    area_for(actor, area)
    params = {"kind": "monitoring" if kind == "monitoring" else "households", "area": area, "year": year,
              "date": date, "all": bool(include_exited)}
    job = job_create(actor=actor, kind="assess", params=params)
    transaction.on_commit(lambda: run_assessment.delay(job.pk))
    return job


def _slices(area: Area, kinds, statuses, total: int, n: int) -> list[tuple[int, int]]:
    """n id ranges holding about total/n of the selected households each."""
    from fupin.areas.models import code_range
    from fupin.registry.models import Household

    lo, hi = code_range(area.code, area.level)
    qs = Household.objects.filter(village_id__gte=lo, village_id__lte=hi, kind__in=kinds)
    if statuses:
        qs = qs.filter(status__in=statuses)
    bounds = [0]
    for i in range(1, n):
        pk = qs.order_by("pk").values_list("pk", flat=True)[total * i // n]
        bounds.append(pk)
    bounds.append(2**62)
    return [(bounds[i], bounds[i + 1] - 1) for i in range(n)]


def _workers(total: int) -> int:
    """Processes for a bulk run: several only on PostgreSQL (each its own connection) and only
    when the run is big enough to pay for the start-up."""
    from django.conf import settings

    if connection.vendor != "postgresql" or total < settings.FUPIN_ASSESS_PARALLEL_MIN:
        return 1
    return max(1, settings.FUPIN_ASSESS_WORKERS)


def _in_workers(slices: list[tuple[int, int]], spec: dict, *, progress_job: int | None) -> list[dict]:
    """Run one worker process per id slice (`python -m fupin.policy.worker`), each with its own
    database connection, and return their counts. Separate processes rather than fork(): the
    caller may have threads (a web server, Celery's, a test's live server), and a forked child
    can deadlock on a lock one of them held. A worker's error comes back as ApplicationError."""
    import base64
    import os
    import pickle
    import subprocess
    import sys

    from django.conf import settings

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE")
           or settings.SETTINGS_MODULE or "fupin.config.settings"}
    db_name = connection.settings_dict["NAME"]
    procs = []
    for i, rng in enumerate(slices):
        payload = {**spec, "id_range": rng, "db_name": db_name, "parent": os.getpid(),
                   "progress_job": progress_job if i == 0 else None, "progress_scale": len(slices)}
        p = subprocess.Popen([sys.executable, "-m", "fupin.policy.worker"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        p.stdin.write(base64.b64encode(pickle.dumps(payload)))
        p.stdin.close()
        procs.append(p)
    results, errors = [], []
    for p in procs:
        out, err = p.stdout.read(), p.stderr.read()
        p.wait()
        try:
            data = pickle.loads(base64.b64decode(out.strip().splitlines()[-1])) if out.strip() else {}
        except (ValueError, pickle.UnpicklingError, IndexError):
            data = {}
        if p.returncode == 0 and "ok" in data:
            results.append(data["ok"])
        else:
            last = (err.decode(errors="replace").strip().splitlines() or [f"worker exited with {p.returncode}"])[-1]
            errors.append(data.get("error") or last)
    if errors:
        raise ApplicationError(E.E_INVALID, "批量评估失败 / bulk assessment failed: " + "; ".join(errors))
    return results


def assess_slice(*, run_id: int, area: Area, day: dt.date, pack: Pack, year: int, kinds, statuses,
                 id_range: tuple[int, int] | None, progress=None, alive=None) -> dict:
    """6.1 for the households of one run (or one id slice of it): write their results, return the
    counts. The caller holds the transaction. `alive()` is asked after each batch; False stops."""
    writer = ResultWriter(HouseholdResult, ["run_id", "household_id", "year", "per_capita", "passed", "reasons"])
    exit_reasons, per_capita_fen, format_fen = rules.exit_reasons, rules.per_capita_fen, rules.format_fen
    done = passed = 0
    by_reason: dict[str, int] = {}
    for batch in iter_bulk_facts(area=area, day=day, pack=pack, kinds=kinds, statuses=statuses,
                                 income_years=(year,), id_range=id_range):
        rows = []
        for r in batch:
            f = r.facts
            reasons = exit_reasons(f, pack, year)
            if reasons:
                for code in reasons:
                    by_reason[code] = by_reason.get(code, 0) + 1
            else:
                passed += 1
            pc = None if f.net_fen is None or not f.members.present else \
                format_fen(per_capita_fen(f.net_fen, f.members.present))
            rows.append((run_id, r.household_id, year, pc, not reasons, ";".join(reasons)))
        writer.write(rows)
        done += len(batch)
        if progress:
            progress(done)
        if alive is not None and not alive():
            raise ApplicationError(E.E_INVALID, "评估已中止 / the run was abandoned")
    return {"households": done, "passed": passed, "by_reason": by_reason}


def assess_households(*, actor, year: int, pack: Pack, area: str | None = None, day: dt.date | None = None,
                      include_exited: bool = False, job=None, progress: Progress | None = None) -> AssessmentRun:
    """domain.md 6.1 for every registered household not yet exited (未脱贫, 返贫) in `area`, or all
    registered households with `include_exited`; results stored under a new run.

    On PostgreSQL a big run is split by household id over FUPIN_ASSESS_WORKERS processes; each
    writes its slice in its own transaction and the parent marks the run succeeded only when all
    did (results of a run that is not succeeded are never read)."""
    day = assessment_date(year, day)
    pack.line(year)  # a year the pack lacks fails before anything is written
    area_obj = area_for(actor, area)
    kinds, statuses = (HouseholdKind.REGISTERED.value,), (None if include_exited else NOT_EXITED)
    total = _count(area_obj, kinds, statuses)
    run = run_start(actor=actor, kind=AssessmentRun.Kind.HOUSEHOLDS, year=year, day=day, area=area_obj, pack=pack,
                     include_exited=include_exited, job=job)
    n = _workers(total)
    with failing_run(run):
        if n == 1:
            with transaction.atomic():
                counts = _merge([assess_slice(
                    run_id=run.pk, area=area_obj, day=day, pack=pack, year=year, kinds=kinds, statuses=statuses,
                    id_range=None, progress=(lambda done: progress(done, total, "评估 / assessing"))
                    if progress else None)])
                run_finish(run, counts, actor=actor, action="assess.households")
        else:
            spec = {"run_id": run.pk, "area": area_obj.code, "day": day, "pack": pack, "year": year,
                    "kinds": kinds, "statuses": statuses, "total": total}
            parts = _in_workers(_slices(area_obj, kinds, statuses, total, n), spec,
                                progress_job=job.pk if job is not None else None)
            with transaction.atomic():
                run_finish(run, _merge(parts), actor=actor, action="assess.households")
    if progress:
        progress(total, total, "评估 / assessing")
    return run


def _atomic(fn, *args):
    with transaction.atomic():
        return fn(*args)


def _merge(parts: list[dict]) -> dict:
    out = {"households": 0, "passed": 0, "by_reason": {}}
    for p in parts:
        out["households"] += p["households"]
        out["passed"] += p["passed"]
        for k, v in p["by_reason"].items():
            out["by_reason"][k] = out["by_reason"].get(k, 0) + v
    out["failed"] = out["households"] - out["passed"]
    out["by_reason"] = {k: out["by_reason"][k] for k in rules.EXIT_CODES + (rules.NO_MEMBER,) if k in out["by_reason"]}
    return out


RESULTS_CSV_HEADER = ["户编号", "行政区划代码", "人均纯收入", "可退出", "原因"]  # cli.md, fupin assess households


def _write_results_csv(fh, rows) -> int:
    """cli.md's CSV of household results from (户编号, village, per_capita, passed, reasons) rows."""
    import csv

    w = csv.writer(fh)
    w.writerow(RESULTS_CSV_HEADER)
    n = 0
    for num, village, pc, ok, reasons in rows:
        w.writerow((num, village, "" if pc is None else f"{pc:.2f}", "是" if ok else "否", reasons))
        n += 1
    return n


def household_results_csv(run: AssessmentRun, path) -> int:
    """Write a whole households run (the command line's --out) in household id order, UTF-8 with a
    byte-order mark, streamed with one query; returns the number of rows."""
    sql = ("SELECT h.number, h.village_id, r.per_capita, r.passed, r.reasons FROM policy_householdresult r "
           "JOIN registry_household h ON h.id = r.household_id WHERE r.run_id = %s ORDER BY r.household_id")

    def rows(cur):
        cur.execute(sql, [run.pk])
        while batch := cur.fetchmany(20_000):
            yield from batch

    with open(path, "w", newline="", encoding="utf-8-sig") as fh, connection.chunked_cursor() as cur:
        return _write_results_csv(fh, rows(cur))


def results_export(*, actor, run: AssessmentRun, fh) -> tuple[int, str]:
    """The run's results inside the actor's areas as the same CSV, written to the binary file
    `fh`; audited with the row count and the file's SHA-256 like every export (security.md 14).
    Returns (rows, sha256)."""
    import hashlib
    import io

    from fupin.policy.selectors import run_household_results

    text = io.TextIOWrapper(fh, encoding="utf-8-sig", newline="", write_through=True)
    n = _write_results_csv(text, run_household_results(user=actor, run=run).values_list(
        "household__number", "household__village_id", "per_capita", "passed", "reasons").iterator(5000))
    text.flush()
    text.detach()
    fh.seek(0)
    digest = hashlib.sha256()
    while chunk := fh.read(1 << 20):
        digest.update(chunk)
    fh.seek(0)
    audit.record(actor=actor, action="policy.results_export", object_type="policy.AssessmentRun", object_id=run.pk,
                 area_code=run.area_id, after={"rows": n, "sha256": digest.hexdigest()})
    return n, digest.hexdigest()


def monitor(*, actor, day: dt.date, pack: Pack, area: str | None = None, job=None,
            progress: Progress | None = None,
            on_row: Callable[[BulkRow, rules.MonitoringVerdict], None] | None = None) -> AssessmentRun:
    """domain.md 6.5 for exited registered households and ordinary rural households (and those
    already under monitoring) in `area` on `day`; flagged and eliminable ones are stored."""
    pack.monitoring_threshold(day.year)
    area_obj = area_for(actor, area)
    run = run_start(actor=actor, kind=AssessmentRun.Kind.MONITORING, year=day.year, day=day, area=area_obj,
                     pack=pack, job=job)
    writer = ResultWriter(MonitoringResult, ["run_id", "household_id", "category", "triggers", "can_eliminate"])
    registered, ordinary = HouseholdKind.REGISTERED.value, HouseholdKind.ORDINARY.value
    total = _count(area_obj, (registered,), MONITORED_STATUSES) + _count(area_obj, (ordinary,), None)
    counts = {"households": 0, "flagged": 0, "eliminable": 0, "no_income_data": 0, "by_category": {}}
    done = 0
    with failing_run(run):  # noqa: SIM117 - the rollback (inner) happens before the run is marked failed
        with transaction.atomic():
            for kinds, statuses in (((registered,), MONITORED_STATUSES), ((ordinary,), None)):
                for batch in iter_bulk_facts(area=area_obj, day=day, pack=pack, kinds=kinds, statuses=statuses,
                                             income_years=(day.year, day.year - 1), with_spending=True):
                    rows = []
                    for r in batch:
                        v = rules.monitoring(r.facts, pack, day.year, exited=r.kind == registered,
                                             monitored=r.status == Status.MONITORED)
                        if v.flagged or v.can_eliminate:
                            rows.append((run.pk, r.household_id, v.category, ";".join(v.triggers), v.can_eliminate))
                            counts["flagged"] += v.flagged and bool(v.category)
                            counts["eliminable"] += v.can_eliminate
                            counts["no_income_data"] += "NO_INCOME_DATA" in v.triggers
                            if v.category:
                                counts["by_category"][v.category] = counts["by_category"].get(v.category, 0) + 1
                        if on_row is not None:
                            on_row(r, v)
                    writer.write(rows)
                    done += len(batch)
                    if progress:
                        progress(done, total, "监测 / monitoring")
            counts["households"] = done
            run_finish(run, counts, actor=actor, action="assess.monitoring")
    return run
