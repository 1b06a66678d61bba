"""Village exit (domain.md 6.2) and county exit (6.3) in bulk, stored per run and year.

The poor people of every village in the area come from ONE grouped SQL query per run (a
province has about 30,000 villages: no query per village). The query restates
rules.present_on — 在户, or 死亡/迁出 with a change date after the assessment date — and
poor_on — the household's status on the assessment date, approximated from its 识别年度,
today's status and 脱贫年度 — as SQL; tests/policy/test_area_exit.py checks it against
counting the ORM objects one by one with rules.present_on and poor_on. The verdicts are rules.village_exit_reasons and rules.county_exit_reasons.

Runs follow fupin.policy.services: the run row is committed first (status running); the result
rows are inserted in one transaction that also marks the run succeeded and writes the audit row.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction

from fupin.areas.models import Area, VillageAttributes, code_range
from fupin.core.errors import ApplicationError
from fupin.core.errors import ErrorCode as E
from fupin.policy import rules
from fupin.policy.models import AssessmentRun, CountyResult, VillageResult
from fupin.policy.packs import Pack
from fupin.policy.services import (
    NOT_EXITED,
    Progress,
    ResultWriter,
    area_for,
    assessment_date,
    failing_run,
    run_finish,
    run_start,
)
from fupin.registry.choices import HouseholdKind, Status
from fupin.registry.models import Household, Member

BATCH = 5_000


def _poor_sql() -> str:
    h, m = Household._meta.db_table, Member._meta.db_table
    # present: the SQL form of rules.present_on(state, state_date, day)
    present = "(m.state = %(present)s OR (m.state_date IS NOT NULL AND m.state_date > %(day)s))"
    # poor on the assessment date (see poor_on below): registered by Y and not yet exited by Y
    poor = ("(h.year_registered IS NULL OR h.year_registered <= %(year)s) AND (h.status IN (%(s0)s, %(s1)s)"
            " OR (h.status IN (%(s2)s, %(s3)s) AND h.exit_year > %(year)s))")
    return f"""
        SELECT h.village_id,
               SUM(CASE WHEN {poor} AND {present} THEN 1 ELSE 0 END) AS poor
        FROM {h} h LEFT JOIN {m} m ON m.household_id = h.id
        WHERE h.village_id BETWEEN %(lo)s AND %(hi)s AND h.kind = %(kind)s
        GROUP BY h.village_id
    """


EXITED_OR_MONITORED = (Status.EXITED.value, Status.MONITORED.value)


def poor_on(year_registered: int | None, status: str, exit_year: int | None, year: int) -> bool:
    """Whether a registered household was poor (未脱贫 or 返贫) on the assessment date of `year`
    (domain.md 6.2), as far as the registry can tell: it keeps today's status and exit year, not
    a dated history of statuses. Poor then = registered by `year` (识别年度 empty or ≤ year) and
    either not exited now (未脱贫/返贫), or exited after `year` (已脱贫/监测对象 with 脱贫年度 >
    year). A 返贫 household has lost its exit year in the procedures, so it counts as poor for
    every year since its registration."""
    if year_registered is not None and year_registered > year:
        return False
    return status in NOT_EXITED or (status in EXITED_OR_MONITORED and exit_year is not None and exit_year > year)


def poor_people_by_village(area: Area, day: dt.date, year: int | None = None) -> dict[str, int]:
    """{village code: 在户 members on `day` of its registered households that were poor in
    `year` (default day.year; see poor_on)} for every village of `area` that has a registered
    household (0 where none is poor)."""
    lo, hi = code_range(area.code, area.level)
    params = {"present": rules.PRESENT, "day": day.isoformat() if connection.vendor == "sqlite" else day,
              "s0": NOT_EXITED[0], "s1": NOT_EXITED[1], "s2": EXITED_OR_MONITORED[0], "s3": EXITED_OR_MONITORED[1],
              "year": day.year if year is None else year, "lo": lo, "hi": hi,
              "kind": HouseholdKind.REGISTERED.value}
    with connection.cursor() as cur:
        cur.execute(_poor_sql(), params)
        return {code: int(n or 0) for code, n in cur.fetchall()}


def _attributes(area: Area, year: int) -> dict[str, VillageAttributes]:
    lo, hi = code_range(area.code, area.level)
    return {va.village_id: va for va in VillageAttributes.objects.filter(year=year, village_id__gte=lo,
                                                                          village_id__lte=hi)}


@dataclass(frozen=True, slots=True)
class VillageRow:
    code: str
    name: str
    poor: int
    population: int | None
    incidence: Decimal | None
    reasons: tuple[str, ...]


def _village_rows(area: Area, year: int, day: dt.date, pack: Pack) -> list[VillageRow]:
    poor = poor_people_by_village(area, day, year)
    attrs = _attributes(area, year)
    lo, hi = code_range(area.code, area.level)
    names = dict(Area.objects.filter(level=5, code__gte=lo, code__lte=hi).values_list("code", "name"))
    out = []
    for code in sorted(set(poor) | set(attrs)):
        va = attrs.get(code)
        p, pop = poor.get(code, 0), (va.rural_population if va else None)
        out.append(VillageRow(code, names.get(code, ""), p, pop, rules.incidence(p, pop),
                              rules.village_exit_reasons(p, pop, va.items if va else {}, pack)))
    return out


def assess_villages(*, actor, year: int, pack: Pack, area: str | None = None, day: dt.date | None = None,
                    job=None, progress: Progress | None = None) -> AssessmentRun:
    """domain.md 6.2 for every village in `area` that has a registered household or a
    VillageAttributes row for `year`; results stored under a new run (cli.md: fupin assess villages)."""
    day = assessment_date(year, day)
    area_obj = area_for(actor, area)
    run = run_start(actor=actor, kind=AssessmentRun.Kind.VILLAGES, year=year, day=day, area=area_obj, pack=pack,
                     job=job)
    writer = ResultWriter(VillageResult, ["run_id", "village_id", "poor_people", "rural_population", "incidence",
                                           "passed", "reasons"])
    counts = {"villages": 0, "passed": 0, "failed": 0, "no_village_data": 0, "by_reason": {}}
    with failing_run(run):  # noqa: SIM117 - the rollback (inner) happens before the run is marked failed
        with transaction.atomic():
            rows = _village_rows(area_obj, year, day, pack)
            for i in range(0, len(rows), BATCH):
                batch = rows[i:i + BATCH]
                writer.write([(run.pk, r.code, r.poor, r.population, r.incidence, not r.reasons, ";".join(r.reasons))
                              for r in batch])
                if progress:
                    progress(i + len(batch), len(rows), "评估 / assessing")
            for r in rows:
                counts["passed" if not r.reasons else "failed"] += 1
                counts["no_village_data"] += "NO_VILLAGE_DATA" in r.reasons
                for code in r.reasons:
                    counts["by_reason"][code] = counts["by_reason"].get(code, 0) + 1
            counts["villages"] = len(rows)
            run_finish(run, counts, actor=actor, action="assess.villages")
    return run


def _counties(area: Area) -> list[Area]:
    if area.level > 3:
        raise ApplicationError(E.E_INVALID, f"{area.name} 不是县或以上区划 / {area.code} is below county level: "
                               "a county assessment needs a county, city or province", area=area.code)
    lo, hi = code_range(area.code, area.level)
    return list(Area.objects.filter(level=3, code__gte=lo, code__lte=hi).order_by("code"))


def assess_counties(*, actor, year: int, pack: Pack, area: str | None = None, day: dt.date | None = None,
                    job=None, progress: Progress | None = None) -> AssessmentRun:
    """domain.md 6.3 for every county (level 3) in `area`.

    Comprehensive incidence = the county's poor people (as in 6.2, every village) ÷ the sum of
    农业户籍人口 of its villages with attributes for `year`. The spot-check figures are those the
    team recorded (fupin.spotchecks); a part of the sample not fully verified counts as missing
    (NO_SPOT_CHECK)."""
    from fupin.spotchecks.selectors import figures_for_counties

    day = assessment_date(year, day)
    area_obj = area_for(actor, area)
    counties = _counties(area_obj)
    run = run_start(actor=actor, kind=AssessmentRun.Kind.COUNTIES, year=year, day=day, area=area_obj, pack=pack,
                     job=job)
    writer = ResultWriter(CountyResult, ["run_id", "county_id", "poor_people", "rural_population", "incidence",
                                          "wrongful_exit_rate", "missed_rate", "approval_rate", "passed", "reasons"])
    counts = {"counties": 0, "passed": 0, "failed": 0, "villages_without_population": 0, "by_reason": {}}
    with failing_run(run):  # noqa: SIM117 - the rollback (inner) happens before the run is marked failed
        with transaction.atomic():
            poor = poor_people_by_village(area_obj, day, year)
            attrs = _attributes(area_obj, year)
            spots = figures_for_counties(year, [c.code for c in counties])
            by_county: dict[str, list[int]] = {c.code: [0, 0] for c in counties}
            for code, n in poor.items():
                if code[:6] + "000000" in by_county:
                    by_county[code[:6] + "000000"][0] += n
                    counts["villages_without_population"] += not (attrs.get(code) and attrs[code].rural_population)
            for code, va in attrs.items():
                if code[:6] + "000000" in by_county:
                    by_county[code[:6] + "000000"][1] += va.rural_population or 0
            rows = []
            for c in counties:
                p, pop = by_county[c.code]
                f = spots.get(c.code)
                verdict = f.for_verdict() if f else None
                reasons = rules.county_exit_reasons(p, pop, verdict, pack)
                v = verdict or rules.SpotCheckFigures()
                rows.append((run.pk, c.code, p, pop or None, rules.incidence(p, pop),
                             rules.rate(v.exited_wrong, v.exited_sampled), rules.rate(v.others_poor, v.others_sampled),
                             rules.rate(v.satisfied, v.surveyed), not reasons, ";".join(reasons)))
                counts["passed" if not reasons else "failed"] += 1
                for code in reasons:
                    counts["by_reason"][code] = counts["by_reason"].get(code, 0) + 1
            writer.write(rows)
            if progress:
                progress(len(rows), len(rows), "评估 / assessing")
            counts["counties"] = len(rows)
            run_finish(run, counts, actor=actor, action="assess.counties")
    return run


# --- reasons in words, with the figures behind them (the results pages) ---------------------

def run_pack(run: AssessmentRun) -> Pack | None:
    """The pack a run used, when it can be found again (built-in, or loaded with `fupin policy
    load`) with the same content; None for a one-off --policy FILE."""
    from fupin.policy.models import PolicyPack
    from fupin.policy.packs import builtin, parse_pack

    try:
        p = builtin(run.pack_name)
        if p.sha256 == run.pack_sha256:
            return p
    except ApplicationError:
        pass
    stored = PolicyPack.objects.filter(name=run.pack_name, version=run.pack_version).first()
    if stored is not None:
        p = parse_pack(stored.content, source=f"db:{stored.name}", fmt=stored.format)
        if p.sha256 == run.pack_sha256:
            return p
    return None


def pct(d: Decimal | None) -> str:
    """A per-cent figure as people write it: 2.13, 2 (not 2.00 for a threshold)."""
    if d is None:
        return "—"
    s = f"{Decimal(d):f}"
    return s.rstrip("0").rstrip(".") if "." in s else s


def _fig(d: Decimal | None) -> str:
    """A computed figure: always 2 decimals (2.13, 2.00)."""
    return "—" if d is None else f"{d:.2f}"


def _yuan(v) -> str:
    return f"{Decimal(str(v)):,.2f}"


def describe_village(result: VillageResult, year: int, pack: Pack | None, items: dict) -> list[tuple[str, str]]:
    """(code, "中文 / English") for each reason of a village result, with the figures behind it.
    `items`: the checklist values recorded for the year (VillageAttributes.items)."""
    by_code = {i.code: i for i in pack.checklist} if pack else {}
    out = []
    for code in filter(None, result.reasons.split(";")):
        if code == "NO_VILLAGE_DATA":
            text = f"未录入 {year} 年农业户籍人口 / no rural population recorded for {year}"
        elif code == "INCIDENCE":
            thr = f"{pct(pack.village_incidence_below)}%" if pack else "标准 / the threshold"
            text = (f"贫困发生率 {_fig(result.incidence)}% ≥ {thr}（{result.poor_people}/{result.rural_population}）"
                    f" / incidence {_fig(result.incidence)}% ≥ {thr}")
        elif code in by_code:
            item = by_code[code]
            v = items.get(item.column)
            if v is None or v == "":
                text = f"{item.column}：未录入 / not recorded"
            elif item.kind == "bool":
                text = f"{item.column}：否 / no"
            else:
                text = f"{item.column} {_yuan(v)} 元 < {_yuan(item.min)} 元 / below the minimum"
        else:
            text = code
        out.append((code, text))
    return out


def describe_county(result: CountyResult, pack: Pack | None) -> list[tuple[str, str]]:
    """(code, "中文 / English") for each reason of a county result, with the figures behind it."""
    def thr(attr):
        return f"{pct(getattr(pack, attr))}%" if pack else "标准 / the threshold"

    words = {
        "NO_VILLAGE_DATA": "未录入各村农业户籍人口 / no rural population recorded for the villages",
        "INCIDENCE": f"综合贫困发生率 {_fig(result.incidence)}% ≥ {thr('county_incidence_below')}"
                     f"（{result.poor_people}/{result.rural_population}）/ incidence {_fig(result.incidence)}% ≥ "
                     f"{thr('county_incidence_below')}",
        "NO_SPOT_CHECK": "抽查核验未抽样或未完成 / spot check not drawn or not complete",
        "WRONGFUL_EXIT": f"错退率 {_fig(result.wrongful_exit_rate)}% ≥ {thr('wrongful_exit_below')} / wrongful-exit "
                         f"rate {_fig(result.wrongful_exit_rate)}% ≥ {thr('wrongful_exit_below')}",
        "MISSED_IDENTIFICATION": f"漏评率 {_fig(result.missed_rate)}% ≥ {thr('missed_identification_below')} / "
                                 f"missed-identification rate {_fig(result.missed_rate)}% ≥ "
                                 f"{thr('missed_identification_below')}",
        "APPROVAL": f"群众认可度 {_fig(result.approval_rate)}% ≤ {thr('approval_above')} / public approval "
                    f"{_fig(result.approval_rate)}% ≤ {thr('approval_above')}",
    }
    return [(code, words.get(code, code)) for code in filter(None, result.reasons.split(";"))]
