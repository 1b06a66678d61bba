"""Turning registry data into the plain facts the rules read (fupin.policy.rules).

Two paths, one meaning:
- `household_facts` (one household, its page): the ORM objects, the member predicates of
  rules.py applied one by one in Python;
- `iter_bulk_facts` (an area, a bulk run): one SQL query that restates those predicates as
  SUM(CASE …) per household, streamed in batches.
tests/policy/test_agreement.py checks on generated households that both give the same facts,
on SQLite and on PostgreSQL.
"""

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection

from fupin.areas.models import Area, code_range
from fupin.policy.packs import Pack
from fupin.policy.rules import (
    LABOUR_ABLE,
    OUT_OF_SCHOOL,
    PRESENT,
    HouseholdFacts,
    MemberFacts,
    MemberSummary,
    summarise_members,
    to_fen,
    years_before,
)
from fupin.registry.models import Household, IncomeRecord


def member_facts(m) -> MemberFacts:
    return MemberFacts(m.state, m.state_date, m.birth_date, m.school_status, m.home_schooling, m.soldier,
                       m.medical_insurance, m.labour)


def income_fen(rec) -> tuple[int, int, tuple[str, ...]]:
    """(net income, 合规自付医疗支出 + 其他刚性支出, risk events) of an income record, in fen."""
    net = to_fen(rec.wage) + to_fen(rec.business) + to_fen(rec.property_income) + to_fen(rec.transfer) \
        - to_fen(rec.business_cost)
    return net, to_fen(rec.medical_spending) + to_fen(rec.rigid_spending), tuple(rec.risks or ())


def household_facts(h: Household, *, day: dt.date, pack: Pack, income_years: tuple[int, ...]) -> HouseholdFacts:
    """The facts of one household as of `day`, reading the first of `income_years` that has a
    record (exit: (Y,); monitoring: (Y, Y−1), domain.md 6.5)."""
    members = [member_facts(m) for m in h.members.all()]
    records = {r.year: r for r in h.incomes.all() if r.year in income_years} \
        if _prefetched(h, "incomes") else \
        {r.year: r for r in IncomeRecord.objects.filter(household=h, year__in=income_years)}
    rec = next((records[y] for y in income_years if y in records), None)
    net, spending, risks = income_fen(rec) if rec else (None, 0, ())
    return HouseholdFacts(summarise_members(members, day, pack), h.food_ok, h.clothing_ok, h.housing_grade,
                          h.renovated, h.relocated, h.safe_water, net, spending, risks)


def _prefetched(obj, name: str) -> bool:
    return name in getattr(obj, "_prefetched_objects_cache", {})


@dataclass(slots=True)
class BulkRow:
    household_id: int
    number: str
    village_code: str
    kind: str
    status: str
    facts: HouseholdFacts


def _fen_sql(alias: str) -> tuple[str, str]:
    f = [f"CAST(ROUND({alias}.{c} * 100) AS BIGINT)" for c in
         ("wage", "business", "property_income", "transfer", "business_cost", "medical_spending", "rigid_spending")]
    return f"({f[0]} + {f[1]} + {f[2]} + {f[3]} - {f[4]})", f"({f[5]} + {f[6]})"


def bulk_sql(*, statuses: bool, n_years: int, with_spending: bool, id_range: bool = False) -> str:
    """The one query of the bulk path (named parameters, see bulk_params). Members are aggregated
    per household with the predicates of rules.py restated as SUM(CASE …); with fresh planner
    statistics PostgreSQL runs it as merge joins in id order, streaming from the first row."""
    present = f"(m.state = '{PRESENT}' OR (m.state_date IS NOT NULL AND m.state_date > %(day)s))"
    labour = ", ".join(f"'{x}'" for x in LABOUR_ABLE)
    where = "hh.village_id BETWEEN %(lo)s AND %(hi)s AND hh.kind IN %(kinds)s"
    if statuses:
        where += " AND hh.status IN %(statuses)s"
    if id_range:
        where += " AND hh.id BETWEEN %(id_lo)s AND %(id_hi)s"
    joins, nets, extra = [], [], []
    for k in range(n_years):
        a = f"i{k}"
        joins.append(f"LEFT JOIN registry_incomerecord {a} ON {a}.household_id = h.id AND {a}.year = %(y{k})s")
        net, spend = _fen_sql(a)
        nets.append(f"CASE WHEN {a}.id IS NOT NULL THEN {net} END")
        if with_spending:
            extra.append((f"CASE WHEN {a}.id IS NOT NULL THEN {spend} END",
                          f"CASE WHEN {a}.id IS NOT NULL THEN {a}.risks END"))
    coalesce = (lambda xs: xs[0] if len(xs) == 1 else f"COALESCE({', '.join(xs)})")
    tail = f", {coalesce([s for s, _ in extra])}, {coalesce([r for _, r in extra])}" if with_spending else ""
    return f"""
        SELECT h.id, h.number, h.village_id, h.kind, h.status, h.food_ok, h.clothing_ok, h.housing_grade,
               h.renovated, h.relocated, h.safe_water, a.present, a.edu_fail, a.medical_fail, a.labour,
               {coalesce(nets)}{tail}
        FROM registry_household h
        JOIN (
            SELECT hh.id AS hid,
                   SUM(CASE WHEN {present} THEN 1 ELSE 0 END) AS present,
                   SUM(CASE WHEN {present} AND m.school_status = '{OUT_OF_SCHOOL}' AND m.home_schooling = %(false)s
                            AND m.birth_date <= %(edu_lo)s AND m.birth_date > %(edu_hi)s THEN 1 ELSE 0 END) AS edu_fail,
                   SUM(CASE WHEN {present} AND m.medical_insurance = %(false)s AND m.soldier = %(false)s
                            THEN 1 ELSE 0 END) AS medical_fail,
                   SUM(CASE WHEN {present} AND m.labour IN ({labour}) THEN 1 ELSE 0 END) AS labour
            FROM registry_household hh LEFT JOIN registry_member m ON m.household_id = hh.id
            WHERE {where}
            GROUP BY hh.id
        ) a ON a.hid = h.id
        {' '.join(joins)}
        ORDER BY h.id
    """


def bulk_params(*, area: Area, day: dt.date, pack: Pack, kinds, statuses, income_years) -> dict:
    lo, hi = code_range(area.code, area.level)
    edu_lo = years_before(day, pack.edu_min_age)        # had the min_age-th birthday by `day`
    edu_hi = years_before(day, pack.edu_max_age + 1)    # not yet the (max_age+1)-th birthday
    sqlite = connection.vendor == "sqlite"
    d = (lambda x: x.isoformat()) if sqlite else (lambda x: x)
    p = {"day": d(day), "edu_lo": d(edu_lo), "edu_hi": d(edu_hi), "lo": lo, "hi": hi, "false": False,
         "kinds": tuple(kinds), "statuses": tuple(statuses or ())}
    for k, y in enumerate(income_years):
        p[f"y{k}"] = y
    return p


def _expand_in(sql: str, params: dict) -> tuple[str, dict]:
    """`IN %(name)s` with a tuple → one placeholder per value (portable across both backends)."""
    for key in ("kinds", "statuses"):
        values = params.pop(key)
        names = [f"{key}_{i}" for i in range(len(values))]
        sql = sql.replace(f"IN %({key})s", "IN (" + ", ".join(f"%({n})s" for n in names) + ")")
        params.update(dict(zip(names, values, strict=True)))
    return sql, params


def iter_bulk_facts(*, area: Area, day: dt.date, pack: Pack, kinds: tuple[str, ...],
                    statuses: tuple[str, ...] | None, income_years: tuple[int, ...], with_spending: bool = False,
                    id_range: tuple[int, int] | None = None, batch: int = 20_000) -> Iterator[list[BulkRow]]:
    """Batches of BulkRow for every household of `kinds` (and `statuses`, if given) in `area`
    (and, for a parallel slice, with ids in `id_range`), in id order, streamed with a server-side
    cursor on PostgreSQL. `with_spending` also reads spending and risk events (monitoring)."""
    sql = bulk_sql(statuses=bool(statuses), n_years=len(income_years), with_spending=with_spending,
                   id_range=id_range is not None)
    params = bulk_params(area=area, day=day, pack=pack, kinds=kinds, statuses=statuses, income_years=income_years)
    if id_range is not None:
        params["id_lo"], params["id_hi"] = id_range
    sql, params = _expand_in(sql, params)
    sqlite = connection.vendor == "sqlite"

    with connection.chunked_cursor() as cur:
        cur.execute(sql, params)
        while True:
            rows = cur.fetchmany(batch)
            if not rows:
                return
            out = []
            append = out.append
            for row in rows:
                (hid, number, village, kind, status, food, clothing, grade, renovated, relocated, water,
                 present, edu, med, lab, net) = row[:16]
                spend, risks = (row[16] or 0, row[17]) if with_spending else (0, None)
                if sqlite:
                    food, clothing, renovated, relocated, water = (bool(food), bool(clothing), bool(renovated),
                                                                   bool(relocated), bool(water))
                if isinstance(risks, str):
                    risks = json.loads(risks)
                append(BulkRow(hid, number, village, kind, status, HouseholdFacts(
                    MemberSummary(int(present), int(edu), int(med), int(lab)), food, clothing, grade, renovated,
                    relocated, water, None if net is None else int(net), int(spend), tuple(risks) if risks else ())))
            yield out
