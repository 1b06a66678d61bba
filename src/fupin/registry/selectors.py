"""Reads of the registry, always scoped to the user's areas first (security.md 1)."""

import datetime as dt
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import connections, router
from django.db.models import Q, QuerySet

from fupin.accounts.access import scope_q
from fupin.core import idcard
from fupin.core.pgarray import array_literal
from fupin.core.errors import NotFound
from fupin.registry.models import Household, Member


def household_list(*, user, filters: dict | None = None) -> QuerySet[Household]:
    """Households in the user's areas, filtered by area, attribute, cause, status, kind, year and a
    free-text query: an ID number (exact), a 户编号, a name, or pinyin initials (prefix)."""
    f = filters or {}
    qs = Household.objects.filter(scope_q(user, "village_id"))
    area = f.get("area")
    if area:
        from fupin.areas.models import Area, code_range

        a = Area.objects.filter(code=area).first()
        if a is None:
            return qs.none()
        lo, hi = code_range(a.code, a.level)
        qs = qs.filter(village_id__gte=lo, village_id__lte=hi)
    for key, field in (("attribute", "attribute"), ("cause", "main_cause"), ("status", "status"),
                       ("kind", "kind")):
        if f.get(key):
            qs = qs.filter(**{field: f[key]})
    if f.get("year"):
        qs = qs.filter(year_registered=f["year"])
    q = (f.get("q") or "").strip()
    if q:
        qs = qs.filter(search_q(q))
    return qs


def search_q(q: str) -> Q:
    idn = idcard.normalize(q)
    if re.fullmatch(r"\d{17}[\dX]", idn):
        return Q(pk__in=Member.objects.filter(id_number=idn).values("household_id"))
    if re.fullmatch(r"[A-Za-z]+", q):
        p = q.lower()
        return Q(head_initials__startswith=p) | Q(
            pk__in=Member.objects.filter(name_initials__startswith=p).values("household_id")
        )
    return Q(number=q) | Q(head_name__startswith=q) | Q(
        pk__in=Member.objects.filter(name__startswith=q).values("household_id")
    )


def access_household(user, pk, *, write: bool = False) -> Household:
    """The household if it lies in the user's areas (and the user may write, when asked); else
    NotFound — never "forbidden", so that existence is not revealed (domain.md section 1)."""
    from fupin.accounts.access import can_write_registry

    h = Household.objects.filter(scope_q(user, "village_id")).select_related("village").filter(pk=pk).first()
    if h is None or (write and not can_write_registry(user)):
        raise NotFound()
    return h


def access_household_by_number(user, number: str, *, write: bool = False) -> Household:
    h = Household.objects.filter(scope_q(user, "village_id")).filter(number=number).first()
    if h is None:
        raise NotFound()
    return access_household(user, h.pk, write=write)


def active_holders(id_numbers, *, cursor=None) -> dict[str, tuple[int, str]]:
    """{id_number: (household pk, 户编号)} for people who are active (在户) members anywhere.

    Deliberately unscoped: one person is in one household in the whole registry (domain.md 4).
    PostgreSQL gets the numbers as ONE array parameter (an import asks for thousands at a time:
    an IN list of that many parameters costs more to compile and plan than to answer); other
    databases get IN lists of at most 900 (SQLite's limit on parameters). `cursor`: a PostgreSQL
    cursor to ask on instead of the default connection (the importer's second connection).
    """
    ids = list(id_numbers)
    if not ids:
        return {}
    if cursor is not None:
        return _active_holders_pg(cursor, ids)
    conn = connections[router.db_for_read(Member)]
    if conn.vendor == "postgresql":
        with conn.cursor() as c:
            return _active_holders_pg(c, ids)
    out: dict[str, tuple[int, str]] = {}
    for i in range(0, len(ids), 900):
        for idn, pk, number in Member.objects.filter(id_number__in=ids[i : i + 900], state="在户").order_by().values_list(
            "id_number", "household_id", "household__number"
        ):
            out[idn] = (pk, number)
    return out


def _active_holders_pg(cursor, ids: list[str]) -> dict[str, tuple[int, str]]:
    # "= ANY(array)": an index condition on the ID number, whatever the planner believes about the
    # table's size (an import's transaction has no statistics)
    m, h = Member._meta.db_table, Household._meta.db_table
    cursor.execute(f"SELECT m.id_number, m.household_id, h.number FROM {m} m JOIN {h} h ON h.id = m.household_id "
                   "WHERE m.state = %s AND m.id_number = ANY(%s)", ["在户", array_literal(ids)])
    return {idn: (pk, number) for idn, pk, number in cursor.fetchall()}


def age_on(born: dt.date | None, day: dt.date) -> int | None:
    if born is None:
        return None
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


@dataclass
class IncomeRow:
    record: object
    net: Decimal
    present: int
    per_capita: Decimal | None


def income_rows(household: Household, members: list[Member]) -> list[IncomeRow]:
    """Each income year, newest first, with per-capita net = net ÷ members 在户 on 31 December of
    that year (domain.md section 3; Member.present_on). No 在户 member → no per-capita figure."""
    out = []
    for rec in household.incomes.order_by("-year"):
        day = dt.date(rec.year, 12, 31)
        present = sum(1 for m in members if m.present_on(day))
        per = (rec.net / present).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) if present else None
        out.append(IncomeRow(rec, rec.net, present, per))
    return out
