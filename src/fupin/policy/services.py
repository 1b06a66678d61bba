"""Assessment runs (domain.md section 6): one household on its page, an area in bulk.

Bulk runs store their results per run and year (never overwritten). The run row is committed
first with status running; its results are inserted in one transaction that also marks it
succeeded, so a run killed part way leaves no result rows and the earlier runs of that year
remain the ones the office sees. A re-run simply completes.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from fupin.accounts.access import in_scope
from fupin.areas.models import Area
from fupin.core import audit
from fupin.core.errors import ApplicationError, NotFound
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


def _area_for(actor, code: str | None) -> Area:
    """The area a run covers; outside the actor's scope it does not exist (domain.md section 1)."""
    if not code:
        from fupin.accounts.access import area_ranges

        ranges = area_ranges(actor)
        if getattr(actor, "is_superuser", False) or not ranges:
            area = Area.objects.filter(parent__isnull=True).order_by("code").first()
            if area is None:
                raise ApplicationError(E.E_INVALID, "尚未导入行政区划 / no areas loaded")
            return area
        code = ranges[0][0]
    area = Area.objects.filter(code=code).first()
    if area is None or not (getattr(actor, "is_superuser", False) or in_scope(actor, code)):
        raise NotFound(f"没有区划 {code} / no such area: {code}")
    return area


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


def household_monitoring(household, *, day: dt.date, pack: Pack) -> rules.MonitoringVerdict:
    facts = household_facts(household, day=day, pack=pack, income_years=(day.year, day.year - 1))
    return rules.monitoring(facts, pack, day.year, exited=household.kind == HouseholdKind.REGISTERED,
                            monitored=household.status == Status.MONITORED)


# --- bulk -------------------------------------------------------------------------------------

class _ResultWriter:
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


def _start_run(*, actor, kind: str, year: int, day: dt.date, area: Area, pack: Pack, include_exited=False,
               job=None) -> AssessmentRun:
    return AssessmentRun.objects.create(kind=kind, year=year, as_of=day, area=area, include_exited=include_exited,
                                        pack_name=pack.name, pack_version=pack.version, pack_sha256=pack.sha256,
                                        actor=actor, job=job)


def _finish(run: AssessmentRun, counts: dict, *, actor, action: str) -> None:
    run.status, run.finished_at, run.counts = AssessmentRun.Status.SUCCEEDED, timezone.now(), counts
    run.save(update_fields=["status", "finished_at", "counts"])
    audit.record(actor=actor, action=action, object_type="policy.AssessmentRun", object_id=run.pk,
                 area_code=run.area_id, after={"year": run.year, "as_of": run.as_of, "pack": f"{run.pack_name} "
                                               f"{run.pack_version}", "sha256": run.pack_sha256, **counts})


def _fail(run: AssessmentRun) -> None:
    AssessmentRun.objects.filter(pk=run.pk).update(status=AssessmentRun.Status.FAILED, finished_at=timezone.now())


def _count(area: Area, kinds, statuses) -> int:
    from fupin.areas.models import code_range
    from fupin.registry.models import Household

    lo, hi = code_range(area.code, area.level)
    qs = Household.objects.filter(village_id__gte=lo, village_id__lte=hi, kind__in=kinds)
    if statuses:
        qs = qs.filter(status__in=statuses)
    return qs.count()


def assess_households(*, actor, year: int, pack: Pack, area: str | None = None, day: dt.date | None = None,
                      include_exited: bool = False, job=None, progress: Progress | None = None,
                      on_row: Callable[[BulkRow, tuple[str, ...]], None] | None = None) -> AssessmentRun:
    """domain.md 6.1 for every registered household not yet exited (未脱贫, 返贫) in `area`, or all
    registered households with `include_exited`; results stored under a new run."""
    day = assessment_date(year, day)
    pack.line(year)  # a year the pack lacks fails before anything is written
    area_obj = _area_for(actor, area)
    kinds, statuses = (HouseholdKind.REGISTERED.value,), (None if include_exited else NOT_EXITED)
    total = _count(area_obj, kinds, statuses)
    run = _start_run(actor=actor, kind=AssessmentRun.Kind.HOUSEHOLDS, year=year, day=day, area=area_obj, pack=pack,
                     include_exited=include_exited, job=job)
    writer = _ResultWriter(HouseholdResult, ["run_id", "household_id", "year", "village_code", "per_capita",
                                             "passed", "reasons"])
    exit_reasons, per_capita = rules.exit_reasons, rules.per_capita
    done = passed = 0
    by_reason: dict[str, int] = {}
    try:
        with transaction.atomic():
            for batch in iter_bulk_facts(area=area_obj, day=day, pack=pack, kinds=kinds, statuses=statuses,
                                         income_years=(year,)):
                rows = []
                for r in batch:
                    reasons = exit_reasons(r.facts, pack, year)
                    if reasons:
                        for code in reasons:
                            by_reason[code] = by_reason.get(code, 0) + 1
                    else:
                        passed += 1
                    rows.append((run.pk, r.household_id, year, r.village_code, per_capita(r.facts), not reasons,
                                 ";".join(reasons)))
                    if on_row is not None:
                        on_row(r, reasons)
                writer.write(rows)
                done += len(batch)
                if progress:
                    progress(done, total, "评估 / assessing")
            _finish(run, {"households": done, "passed": passed, "failed": done - passed, "by_reason": by_reason},
                    actor=actor, action="assess.households")
    except BaseException:
        _fail(run)
        raise
    return run


def monitor(*, actor, day: dt.date, pack: Pack, area: str | None = None, job=None,
            progress: Progress | None = None,
            on_row: Callable[[BulkRow, rules.MonitoringVerdict], None] | None = None) -> AssessmentRun:
    """domain.md 6.5 for exited registered households and ordinary rural households (and those
    already under monitoring) in `area` on `day`; flagged and eliminable ones are stored."""
    pack.monitoring_threshold(day.year)
    area_obj = _area_for(actor, area)
    run = _start_run(actor=actor, kind=AssessmentRun.Kind.MONITORING, year=day.year, day=day, area=area_obj,
                     pack=pack, job=job)
    writer = _ResultWriter(MonitoringResult, ["run_id", "household_id", "village_code", "category", "triggers",
                                              "can_eliminate"])
    registered, ordinary = HouseholdKind.REGISTERED.value, HouseholdKind.ORDINARY.value
    total = _count(area_obj, (registered,), MONITORED_STATUSES) + _count(area_obj, (ordinary,), None)
    counts = {"households": 0, "flagged": 0, "eliminable": 0, "no_income_data": 0, "by_category": {}}
    done = 0
    try:
        with transaction.atomic():
            for kinds, statuses in (((registered,), MONITORED_STATUSES), ((ordinary,), None)):
                for batch in iter_bulk_facts(area=area_obj, day=day, pack=pack, kinds=kinds, statuses=statuses,
                                             income_years=(day.year, day.year - 1)):
                    rows = []
                    for r in batch:
                        v = rules.monitoring(r.facts, pack, day.year, exited=r.kind == registered,
                                             monitored=r.status == Status.MONITORED)
                        if v.flagged or v.can_eliminate:
                            rows.append((run.pk, r.household_id, r.village_code, v.category, ";".join(v.triggers),
                                         v.can_eliminate))
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
            _finish(run, counts, actor=actor, action="assess.monitoring")
    except BaseException:
        _fail(run)
        raise
    return run
