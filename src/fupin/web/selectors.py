"""Page-shaped reads for the web UI, built on the scoped selectors (architecture.md, layer 2).

Every function here starts from something already limited to the user's areas:
fupin.registry.selectors.household_list / access_household, or accounts.access.scope_q.
Nothing here decides a business rule; it only shapes data for a page.
"""

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr

from fupin.accounts.access import scope_q
from fupin.areas.models import PREFIX_LEN, Area, VillageAttributes, code_range
from fupin.registry.models import Household, Member
from fupin.registry.selectors import age_on, household_list, income_rows  # noqa: F401 (pages use them)

# Above this many rows a list shows "10,000+" instead of an exact total: an unbounded COUNT(*)
# over a province's 2.5 million households on every page would dominate the page time.
COUNT_CAP = 10_000
PAGE_SIZE = 50


def capped_count(qs: QuerySet, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """(count, exact): SELECT COUNT(*) FROM (… LIMIT cap+1), so the cost is bounded by `cap`."""
    n = qs.order_by()[: cap + 1].count()
    return (cap, False) if n > cap else (n, True)


@dataclass
class KeysetPage:
    rows: list
    next_key: str | None
    prev_key: str | None


def _key(h: Household) -> str:
    return f"{h.village_id}:{h.number}"


def keyset_page(qs: QuerySet, *, after: str = "", before: str = "", size: int | None = None) -> KeysetPage:
    """One page of households in (village_id, number) order, the model's ordering and an index-friendly
    key: the cost of page 1,000 is the cost of page 1 (an OFFSET would scan all earlier rows)."""
    size = size or PAGE_SIZE
    if before and ":" in before:
        v, n = before.split(":", 1)
        page = list(qs.filter(Q(village_id__lt=v) | Q(village_id=v, number__lt=n))
                    .order_by("-village_id", "-number")[: size + 1])
        has_more = len(page) > size
        rows = list(reversed(page[:size]))
        return KeysetPage(rows, _key(rows[-1]) if rows else None, _key(rows[0]) if rows and has_more else None)
    if after and ":" in after:
        v, n = after.split(":", 1)
        qs = qs.filter(Q(village_id__gt=v) | Q(village_id=v, number__gt=n))
    page = list(qs.order_by("village_id", "number")[: size + 1])
    rows = page[:size]
    return KeysetPage(rows, _key(rows[-1]) if len(page) > size else None, _key(rows[0]) if after and rows else None)


def present_counts(household_ids: list[int]) -> dict[int, int]:
    """{household pk: members 在户 today} for the households of one page (one grouped query)."""
    rows = (Member.objects.filter(household_id__in=household_ids, state="在户")
            .values("household_id").annotate(n=Count("id")))
    return {r["household_id"]: r["n"] for r in rows}


def areas_in_scope(user, *, max_level: int = 5) -> QuerySet[Area]:
    return Area.objects.filter(scope_q(user, "code"), level__gte=2, level__lte=max_level).order_by("code")


def area_choices(user, *, village_cap: int = 300) -> list[Area]:
    """Counties, townships and (when not too many for a select) villages of the user's scope."""
    areas = list(areas_in_scope(user, max_level=4).filter(level__gte=3))
    villages = areas_in_scope(user).filter(level=5)
    if villages[: village_cap + 1].count() <= village_cap:
        areas += list(villages)
        areas.sort(key=lambda a: a.code)
    return areas


def home_counts(user) -> dict:
    """Households and people of the user's scope, by status, attribute and kind (domain.md 3)."""
    hh = household_list(user=user).order_by()
    by_status = dict(hh.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    by_attribute = dict(hh.values_list("attribute").annotate(n=Count("id")).values_list("attribute", "n"))
    by_kind = dict(hh.values_list("kind").annotate(n=Count("id")).values_list("kind", "n"))
    people = Member.objects.filter(scope_q(user, "household__village_id"), state="在户").count()
    return {"households": sum(by_kind.values()), "people": people, "by_status": by_status,
            "by_attribute": by_attribute, "by_kind": by_kind}


# ---------------------------------------------------------------- household page

# ---------------------------------------------------------------- areas

def area_in_scope(user, code: str) -> Area | None:
    """The area if it lies inside the user's areas (None otherwise: the page answers 404)."""
    return Area.objects.filter(scope_q(user, "code")).filter(code=code).first()


def root_areas(user) -> list[Area]:
    """The user's own areas, dropping any that lie inside another of them."""
    if user.is_superuser:
        return list(Area.objects.filter(level=2).order_by("code")) or list(Area.objects.filter(level=1))
    areas = sorted(user.areas.all(), key=lambda a: (a.level, a.code))
    roots: list[Area] = []
    for a in areas:
        if not any(r.contains(a.code) for r in roots):
            roots.append(a)
    return roots


def household_counts_by_child(user, area: Area) -> dict[str, int]:
    """{child area code prefix: households} in one grouped query over the area's code range."""
    if area.level >= 5:
        return {}
    lo, hi = code_range(area.code, area.level)
    plen = PREFIX_LEN[area.level + 1]
    rows = (household_list(user=user).order_by().filter(village_id__gte=lo, village_id__lte=hi)
            .annotate(p=Substr("village_id", 1, plen)).values("p").annotate(n=Count("id")))
    return {r["p"]: r["n"] for r in rows}


def area_household_count(user, area: Area) -> tuple[int, bool]:
    return capped_count(household_list(user=user, filters={"area": area.code}), cap=1_000_000)


def area_children(user, area: Area) -> list[tuple[Area, int]]:
    counts = household_counts_by_child(user, area)
    plen = PREFIX_LEN.get(area.level + 1, 12)
    children = Area.objects.filter(scope_q(user, "code")).filter(parent=area).order_by("code")
    return [(c, counts.get(c.code[:plen], 0)) for c in children]


def village_attributes(village: Area) -> list[VillageAttributes]:
    return list(VillageAttributes.objects.filter(village=village).order_by("-year"))
